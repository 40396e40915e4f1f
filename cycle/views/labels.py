"""German labels of audit actions, for every listing of the log (CLI table, web Protokoll)."""

from __future__ import annotations

ACTION_LABELS: dict[str, str] = {
    "schedule": "Termin festgelegt",
    "complete": "als durchgeführt erfasst",
    "submit": "eingereicht",
    "return": "zurückgegeben",
    "accept": "angenommen",
    "check": "rechnerisch geprüft",
    "acknowledge": "zur Kenntnis genommen",
    "file": "abgelegt",
    "waive": "entfallen",
    "extend": "Frist verlängert",
    "korrigieren": "Schritt zurückgenommen",
    "datum_korrigieren": "Datum korrigiert",
    "uebernahme": "von Vorgängerin übernommen",
    "uebernehmen": "von Vorgängerin übernommen",
    "notiz": "Notiz",
    "zyklus_eroeffnet": "Zyklus eröffnet",
    "fristen_neu_berechnet": "Fristen neu berechnet",
    "zyklus_beendet": "Zyklus beendet",
    "zyklus_storniert": "Zyklus storniert",
    "partnerschaft_beendet": "Partnerschaft beendet",
    "partnerschaft_angelegt": "Partnerschaft angelegt",
    "pairing_angelegt": "Partnerschaft angelegt",
    "pairing_geaendert": "Partnerschaft geändert",
    "partnerschaft_geaendert": "Partnerschaft geändert",
    "traeger_angelegt": "Träger angelegt",
    "traeger_geaendert": "Träger geändert",
    "stadtteil_angelegt": "Stadtteil angelegt",
    "stadtteil_geaendert": "Stadtteil geändert",
    "benachrichtigung_eingereiht": "Benachrichtigung eingereiht",
    "benachrichtigung_uebersprungen": "Benachrichtigung übersprungen",
    "nachricht_gesendet": "Nachricht gesendet",
    "nachricht_fehlgeschlagen": "Nachricht fehlgeschlagen",
    "nachricht_ungewiss": "Zustellung ungewiss",
    "nachricht_erneut_eingereiht": "Nachricht erneut eingereiht",
    "benutzer_angelegt": "Benutzer angelegt",
    "benutzer_gesperrt": "Benutzer gesperrt",
    "benutzer_passwort_geaendert": "Passwort geändert",
    "benutzer_passwort_festgelegt": "Passwort mit Link festgelegt",
    "benutzer_entsperrt": "Benutzer entsperrt",
    "benutzer_geaendert": "Benutzer geändert",
    "benutzer_rolle_geaendert": "Rolle geändert",
    "sso_anmeldung": "Anmeldung über SSO",
    "sso_abgelehnt": "Anmeldung über SSO abgelehnt",
    "portal_anmeldung": "Portal: angemeldet",
    "portal_abmeldung": "Portal: abgemeldet",
    "portal_kalender_neu": "Portal: neue Kalenderadresse",
    "portal_widerrufen": "Portalzugang widerrufen",
    "nachricht_umadressiert": "Nachricht umadressiert (Kontaktwechsel)",
}

_UMLAUTS = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"))


def action_label(action: str) -> str:
    """The German label of an audit action; an unlisted one reads as words, umlauts restored
    where the ASCII spelling is unambiguous in our vocabulary (``eroeffnet`` → ``eröffnet``)."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    words = action.replace("_", " ")
    for ascii_form, umlaut in _UMLAUTS:
        words = words.replace(f"g{ascii_form}ndert", f"g{umlaut}ndert")
    return words[:1].upper() + words[1:]
