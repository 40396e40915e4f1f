"""Guiding questions for the Jahresbericht skeleton, in our own words (German, user-facing).

Each entry is a tuple of lines; a line starting with ``- `` is a bullet.
"""

from __future__ import annotations

GUIDES: dict[str, tuple[str, ...]] = {
    "intro": (
        "Diese Vorlage folgt der Gliederung des Leitfadens zum Jahresbericht (Anlage 1 des "
        "Fachkonzepts). Bitte behalten Sie die nummerierten Überschriften bei und schreiben Sie "
        "Ihren Text unter die jeweilige Überschrift.",
        "Kursiv gesetzte Hinweise wie dieser sind Leitfragen: Sie können stehen bleiben oder "
        "gelöscht werden und zählen nicht als Inhalt. Felder in eckigen Klammern bitte ersetzen.",
    ),
    "1": (
        "Bitte prüfen Sie die Angaben aus unseren Stammdaten und korrigieren Sie sie bei Bedarf.",
    ),
    "2": (
        "Nennen Sie das Stadtteilhaus bzw. -büro und die Angebote und Projekte, über die Sie "
        "berichten.",
    ),
    "2.1": (
        "Wie lässt sich der Stadtteil in wenigen Sätzen beschreiben?",
        "- Wie wohnen die Menschen hier, und wer lebt im Stadtteil?",
        "- Welche Infrastruktur gibt es (Verkehr, Einkauf, Schulen, Treffpunkte)?",
        "- In welcher Lebenslage befinden sich einzelne Gruppen der Bewohnerschaft?",
        "- Welche Angebote, Initiativen und Schlüsselpersonen gibt es bereits?",
        "- Welchen Ruf hat der Stadtteil, innen wie außen?",
    ),
    "2.2": (
        "Welche Aufgaben stehen im Mittelpunkt, und warum gerade diese?",
        "- Auf welche Handlungsfelder legen Sie den Schwerpunkt?",
        "- Mit welchen Methoden und auf welchem Weg gehen Sie vor?",
        "- Was wurde bisher schon unternommen, und was ist neu?",
        "- Wie wird sich der Stadtteil voraussichtlich entwickeln?",
    ),
    "2.3": (
        "Für welche Zielgruppe planen Sie welche Leistung, und was soll sie bewirken? "
        "Eine Zeile je Lösungsansatz; fügen Sie weitere Zeilen nach Bedarf hinzu.",
    ),
    "3.1": (
        "Welche Mittel wurden im Berichtsjahr eingesetzt? Die Beträge entsprechen dem "
        "Verwendungsnachweis.",
    ),
    "3.2": (
        "Wer hat mitgewirkt, mit welchem Zeitanteil und bei welchen Tätigkeiten?",
        "- Stadtteilmanagement: Wochenstunden und Aufgaben",
        "- Kooperationspartner: geschätzte Stunden und gemeinsame Vorhaben",
        "- Ehrenamtliche: geschätzte Stunden und Tätigkeiten, ohne Klarnamen (z. B. „Person 1“)",
    ),
    "3.3": (
        "Was wurde im Berichtsjahr tatsächlich geleistet? Zählen Sie auf und beschreiben Sie kurz, "
        "zum Beispiel Angebote, Initiativen, Befragungen, Stadtteilrunden und -feste, "
        "Arbeitsgruppen, Projekte, Vernetzung und Kooperationen, Fortbildungen, Sprechstunden "
        "und Räume für selbstorganisierte Gruppen.",
    ),
    "3.4": (
        "Welche Wirkungen haben die Leistungen erzielt? Stellen Sie Ressourcen, Leistungen und "
        "Wirkungen nebeneinander und ordnen Sie jede Wirkung einer Stufe der Wirkungstreppe zu.",
    ),
    "abgleich": (
        "Vergleichen Sie die unter 2.3 geplanten Lösungsansätze mit dem Erreichten:",
        "- Wo deckt sich das Ergebnis mit der Planung?",
        "- Wo weicht es ab, und was sind die Gründe dafür?",
    ),
    "3.5": (
        "Zahlen zu den Angeboten, die das Stadtteilmanagement selbst oder gemeinsam mit "
        "Partnern durchgeführt hat.",
    ),
    "4": (
        "Planung und Ziele, Chancen und Risiken:",
        "- Was lernen Sie aus dem Berichtsjahr?",
        "- Was hat sich bewährt und sollte ausgebaut werden?",
        "- Welche Chancen und Risiken zeichnen sich ab, und wie gehen Sie damit um?",
        "- Was sollte die Planung für das kommende Jahr zusätzlich berücksichtigen?",
    ),
}

WIRKUNGSTREPPE: tuple[str, ...] = (
    "Die Stufen der Wirkungstreppe (nach Phineo):",
    "- Stufe 1: Die Aktivitäten finden wie geplant statt.",
    "- Stufe 2: Die Zielgruppen werden erreicht.",
    "- Stufe 3: Die Zielgruppen nehmen das Angebot an.",
    "- Stufe 4: Bewusstsein und Fähigkeiten der Zielgruppen verändern sich.",
    "- Stufe 5: Das Handeln der Zielgruppen verändert sich.",
    "- Stufe 6: Die Lebenslage der Zielgruppen verändert sich.",
    "- Stufe 7: Die Gesellschaft verändert sich.",
    "Stufen 1–3 beschreiben Leistungen (Output), Stufen 4–6 Wirkungen bei den Zielgruppen "
    "(Outcome), Stufe 7 gesellschaftliche Wirkung (Impact).",
)
