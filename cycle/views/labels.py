"""The one table of German labels: audit actions, statuses, mail kinds, outbox states and the
fields of an audit entry's data — for every listing of the log (CLI table, CSV/XLSX, web
Protokoll, Zyklus page, Prüfakte) and the pages. Users see labels, never the stored ids.

Statuses and event verbs are the domain's (``workflows.stages``: the state machine words its
refusals with them); they are read through ``status_label`` and ``event_label`` here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import tzinfo
from typing import Any

from cycle.german import instant_text, zahl
from workflows.stages import EVENT_LABELS, STATUS_LABELS

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
    "erneut_eingereiht": "erneut eingereiht",
    "passwort_geaendert": "Passwort geändert",
    "termin_bestaetigt": "Termin bestätigt",
    "termin_vorgeschlagen": "Termin vorgeschlagen",
    "termin_vorschlag": "Termin vorgeschlagen",
    "termine_vorgeschlagen": "Termine vorgeschlagen",
    "portal_link_angefordert": "Portal: Link angefordert",
    "portal_vn_entwurf": "Portal: Entwurf des Verwendungsnachweises gespeichert",
    "stammdaten_importiert": "Stammdaten übernommen",
    "zyklus_geoeffnet": "Zyklus eröffnet",
}

# Mail kinds (outbox, Vorschau, Zyklus page).
KIND_LABELS: dict[str, str] = {
    "erinnerung": "Erinnerung",
    "eskalation": "Eskalation",
    "einladung": "Einladung",
    "absage": "Absage",
    "terminerinnerung": "Terminerinnerung",
    "eingangsbestaetigung": "Eingangsbestätigung",
    "aufgabe": "Aufgabe",
    "aufgabe_erinnerung": "Erinnerung an eine Aufgabe",
    "wochenuebersicht": "Wochenübersicht",
    "zustellfehler": "Zustellfehler",
    "sammelnachricht": "Sammelnachricht",
    "portal_link": "Portal-Link",
    "passwort-link": "Link zum Passwort",
}

# Outbox states.
OUTBOX_LABELS: dict[str, str] = {
    "pending": "ausstehend",
    "sent": "gesendet",
    "failed": "fehlgeschlagen",
    "skipped": "übersprungen",
    "ungewiss": "ungewiss",
}

# Keys of an audit entry's data, in the order they are shown.
FIELD_LABELS: dict[str, str] = {
    "am": "am",
    "termin": "Termin",
    "ort": "Ort",
    "grund": "Grund",
    "notiz": "Notiz",
    "text": "Notiz",
    "bis": "bis",
    "frist": "Frist",
    "datei": "Datei",
    "teilnehmende": "Teilnehmende",
    "anzahl_teilnehmende": "Anzahl",
    "login": "Benutzer",
    "rolle": "Rolle",
    "nachfolge": "Nachfolge",
    "vorgaenger": "Vorgängerin",
    "neue_frist": "neue Frist",
    "bisherige_frist": "bisherige Frist",
    "vorheriger_termin": "vorheriger Termin",
    "detail": "Einzelheit",  # an SSO refusal: what the provider or the token check said
    "claim": "Merkmal",
    "werte": "Werte beim Anbieter",
}


def stage_names(ctx: Any) -> dict[str, str]:
    """Stage id → its configured name (``auswertungsgespraech`` → ``Auswertungsgespräch``);
    ``ctx`` is anything with ``settings`` (a ViewContext, the App)."""
    return {s.id: s.name for s in ctx.settings.stages}


# Why a sign-on was refused (``sso_abgelehnt``: the id in ``after``, this text as ``grund``).
SSO_REFUSALS: dict[str, str] = {
    "state": "Anmeldeversuch unbekannt, abgelaufen oder aus einem anderen Browser",
    "code": "Anbieter hat den Anmeldecode nicht eingelöst",
    "abgelaufen": "ID-Token abgelaufen",
    "algorithmus": "unzulässiger Signaturalgorithmus",
    "signatur": "Signatur des ID-Tokens ungültig",
    "schluessel_unbekannt": "Signaturschlüssel des Anbieters unbekannt",
    "token_ungueltig": "ID-Token ungültig",
    "kein_id_token": "kein ID-Token erhalten",
    "unvollstaendig": "Angaben im ID-Token unvollständig",
    "iss": "ID-Token eines anderen Anbieters",
    "aud": "ID-Token für eine andere Anwendung",
    "jwks_ungueltig": "Schlüsselliste des Anbieters ungültig",
    "anbieter_antwort_ungueltig": "Antwort des Anbieters ungültig",
    "anbieter_nicht_erreichbar": "Anbieter nicht erreichbar",
    "anbieter_fehler": "Anbieter meldet einen Fehler",
    "kein_benutzername": "Anbieter nennt keinen Benutzernamen",
    "anderes_konto": "Benutzername gehört zu einem anderen Konto",
    "gesperrt": "Benutzerkonto gesperrt",
    "keine_rolle": "keine Rolle beim Anbieter",
}


def sso_refusal(reason: str) -> str:
    """The German text of a refusal id; any other id is a claim of the ID token (``nonce``)."""
    return SSO_REFUSALS.get(reason, f"Angabe „{reason}“ im ID-Token ungültig")


def after_label(action: str, after: str | None) -> str:
    """The "nachher" of an audit entry: a status label, or a refused sign-on's reason."""
    if action == "sso_abgelehnt" and after:
        return sso_refusal(after)
    return status_label(after)


def change_text(action: str, before: str | None, after: str | None) -> str:
    """The "vorher → nachher" of an audit entry: status labels, a refused sign-on's reason."""
    if action == "sso_abgelehnt" and after:
        return after_label(action, after)
    if not (before or after):
        return ""
    return f"{status_label(before)} → {after_label(action, after)}"


def status_label(status: str | None) -> str:
    return STATUS_LABELS.get(status or "", status or "")


def event_label(event: str) -> str:
    return EVENT_LABELS.get(event, event)


def kind_label(kind: object) -> str:
    return KIND_LABELS.get(str(kind), str(kind).replace("_", " "))


def outbox_label(status: str) -> str:
    return OUTBOX_LABELS.get(status, status)


def payload_text(payload: str | Mapping[str, Any], tz: tzinfo) -> str:
    """The notable data of an audit entry, in German and short: labels, not keys; dates and
    times local (``Termin: 15.06.2027 10:00``); numbers with the decimal comma."""
    if isinstance(payload, str):
        try:
            payload = json.loads(payload)
        except ValueError:
            return ""
    if not isinstance(payload, Mapping):
        return ""
    parts = []
    for key, label in FIELD_LABELS.items():
        value = payload.get(key)
        if value in (None, "", []):
            continue
        parts.append(f"{label}: {_value(value, tz)}")
    return " · ".join(parts)


def _value(value: Any, tz: tzinfo) -> str:
    if isinstance(value, list):
        return ", ".join(_value(v, tz) for v in value)
    if isinstance(value, str):
        return instant_text(value, tz) or value
    if isinstance(value, float | int) and not isinstance(value, bool):
        return zahl(value)
    if isinstance(value, Mapping):
        return ", ".join(f"{k}: {_value(v, tz)}" for k, v in value.items())
    return str(value)


_UMLAUTS = (("ae", "ä"), ("oe", "ö"), ("ue", "ü"))


def action_label(action: str) -> str:
    """The German label of an audit action (or event); an unlisted one reads as words,
    umlauts restored where the ASCII spelling is unambiguous in our vocabulary
    (``eroeffnet`` → ``eröffnet``)."""
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    if action in EVENT_LABELS:
        return EVENT_LABELS[action]
    words = action.replace("_", " ")
    for ascii_form, umlaut in _UMLAUTS:
        words = words.replace(f"g{ascii_form}ndert", f"g{umlaut}ndert")
    words = words.replace("eroeffnet", "eröffnet").replace("bestaetigt", "bestätigt")
    return words[:1].upper() + words[1:]
