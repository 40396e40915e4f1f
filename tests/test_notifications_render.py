"""German e-mail content: every template kind, the filters, bundles and overrides."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
import pytest

from notifications import filters
from notifications.render import KINDS, Rendered, Renderer, UnknownKind

BERLIN = ZoneInfo("Europe/Berlin")
AUFTAKT = {"id": "auftaktgespraech", "name": "Auftaktgespräch", "type": "meeting"}
FACHTAG = {"id": "fachtag", "name": "Fachtag", "type": "group_meeting"}
JAHRESBERICHT = {"id": "jahresbericht", "name": "Jahresbericht", "type": "report"}
VN = {"id": "verwendungsnachweis", "name": "Verwendungsnachweis", "type": "proof_of_funds"}
MEETING = {
    "start": datetime(2026, 3, 10, 9, 0, tzinfo=ZoneInfo("UTC")),
    "location": "Stadtteilhaus",
}


def sample(kind: str, **changes: Any) -> dict[str, Any]:
    context: dict[str, Any] = {
        "kind": kind,
        "level": 1,
        "stage": JAHRESBERICHT,
        "pairing": {"id": "kaltenmoor", "angebot": None, "handlungsfeld": None},
        "traeger": {"name": "AWO Kreisverband Lüneburg", "leitung": "Jürgen Müller"},
        "stadtteil": {"name": "Kaltenmoor"},
        "year": 2026,
        "due": date(2026, 3, 31),
        "days": 28,
        "meeting": None,
        "koordinierungsstelle": {
            "name": "Koordinierungsstelle Stadtteilarbeit",
            "email": "stadtteilarbeit@example.org",
        },
        "recipients_role": "kontakte",
        "erinnert_am": [date(2026, 3, 3), date(2026, 3, 24)],
        "eskaliert_am": [date(2026, 4, 1)],
        "eingeladen": True,
        "ebenfalls_an": (),
        "seit": date(2027, 6, 2),
        "link": "https://zyklus.example.org/zyklus/kaltenmoor/2026/verwendungsnachweis",
        "attachments": ["jahresbericht-vorlage.docx"],
        "week": "2026-W14",
        "weitere": 0,
        "vorschlaege": [],
        "web_link": "https://zyklus.example.org/zyklus/kaltenmoor/2026",
        "link_ueberfaellig": "https://zyklus.example.org/?ueberfaellig=1",
        "rows": [
            {
                "pairing": "kaltenmoor",
                "traeger": "AWO",
                "stadtteil": "Kaltenmoor",
                "stage": "Auftaktgespräch",
                "status": "offen",
                "due": date(2026, 3, 31),
                "overdue_days": 2,
                "wartet": "",
            },
            {
                "pairing": "kreideberg",
                "traeger": "Hansestadt Lüneburg",
                "stadtteil": "Kreideberg",
                "stage": "Jahresbericht",
                "status": "eingereicht",
                "due": date(2026, 12, 31),
                "overdue_days": 0,
                "wartet": "wartet seit 21 Tagen auf Prüfung",
            },
        ],
        "counts": {"zyklen": 8, "ueberfaellig": 1, "bald_faellig": 3, "wartend": 1},
        "failed": {
            "subject": "Erinnerung: Jahresbericht Kaltenmoor",
            "to": ["a@example.org", "b@example.org"],
            "error": "550 5.1.1 Benutzer unbekannt",
            "attempts": 3,
        },
    }
    if kind in ("einladung", "absage", "terminerinnerung"):
        context.update(stage=AUFTAKT, meeting=MEETING, attachments=["leitfaden.md", "termin.ics"])
        context["grund"] = "Krankheit"
    context.update(changes)
    return context


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_a_one_line_subject_a_text_and_an_html_body(
    renderer: Renderer, kind: str
) -> None:
    out = renderer.render(kind, sample(kind))
    assert out.subject and "\n" not in out.subject and len(out.subject) < 130
    assert out.text.startswith("Guten Tag,\n") and out.text.endswith("\n")
    assert "\n\n\n" not in out.text
    assert out.html.startswith("<!DOCTYPE html>") and '<html lang="de">' in out.html
    assert out.text_section and out.text_section in out.text
    assert "Guten Tag" not in out.text_section


@pytest.mark.parametrize(
    "kind", ["erinnerung", "eskalation", "einladung", "terminerinnerung", "eingangsbestaetigung"]
)
def test_stage_notifications_name_stage_stadtteil_and_traeger_and_are_signed(
    renderer: Renderer, kind: str
) -> None:
    out = renderer.render(kind, sample(kind))
    for text in (out.subject, out.text, out.html):
        assert "Kaltenmoor" in text
        assert "AWO Kreisverband Lüneburg" in text
    assert out.text.rstrip().endswith(
        "Koordinierungsstelle Stadtteilarbeit\nstadtteilarbeit@example.org"
    )


def test_a_report_reminder_says_what_to_send_to_whom_and_when(renderer: Renderer) -> None:
    out = renderer.render("erinnerung", sample("erinnerung"))
    assert out.subject == (
        "Erinnerung: Jahresbericht Kaltenmoor (AWO Kreisverband Lüneburg) – "
        "fällig am 31.03.2026, noch 28 Tage"
    )
    assert "Dienstag, 31.03.2026 – noch 28 Tage" in out.text
    assert "Bitte senden Sie den Jahresbericht 2026 bis zum 31.03.2026 an die " in out.text
    assert "(stadtteilarbeit@example.org)" in out.text
    assert "- jahresbericht-vorlage.docx" in out.text


@pytest.mark.parametrize(
    ("days", "phrase"),
    [
        (28, "noch 28 Tage"),
        (1, "noch 1 Tag"),
        (0, "heute fällig"),
        (-1, "seit 1 Tag überfällig"),
        (-14, "seit 14 Tagen überfällig"),
    ],
)
def test_days_left_or_overdue_read_correctly_in_singular_and_plural(
    renderer: Renderer, days: int, phrase: str
) -> None:
    assert filters.frist(days) == phrase
    kind = "erinnerung" if days >= 0 else "eskalation"
    out = renderer.render(kind, sample(kind, days=days))
    assert phrase in out.subject and phrase in out.text


def test_a_first_escalation_asks_to_catch_up_without_a_past_deadline(renderer: Renderer) -> None:
    out = renderer.render("eskalation", sample("eskalation", days=-1))
    assert out.subject.startswith("Frist überschritten: Jahresbericht Kaltenmoor")
    assert "ist am 31.03.2026 abgelaufen" in out.text
    assert "so bald wie möglich" in out.text
    assert "bis zum 31.03.2026" not in out.text


def test_a_later_escalation_to_the_stabsstellenleitung_is_a_sober_note(renderer: Renderer) -> None:
    context = sample("eskalation", level=2, days=-14, recipients_role="stabsstellenleitung")
    out = renderer.render("eskalation", context)
    assert out.subject == (
        "Erhebliche Fristüberschreitung: Jahresbericht Kaltenmoor (AWO Kreisverband Lüneburg) "
        "– seit 14 Tagen überfällig"
    )
    assert "Leitung: Jürgen Müller" in out.text
    assert "Die Frist endete am 31.03.2026." in out.text
    assert "Ein Handeln Ihrerseits ist derzeit nicht erforderlich" in out.text
    assert "Bitte senden Sie" not in out.text


def test_an_invitation_gives_the_local_time_and_mentions_the_attached_leitfaden(
    renderer: Renderer,
) -> None:
    out = renderer.render("einladung", sample("einladung"))
    # 09:00 UTC is 10:00 in Berlin (CET)
    assert out.subject == (
        "Einladung: Auftaktgespräch Kaltenmoor (AWO Kreisverband Lüneburg) "
        "am Dienstag, 10.03.2026, 10:00 Uhr"
    )
    assert "Wann:  Dienstag, 10.03.2026, 10:00 Uhr" in out.text
    assert "Wo:    Stadtteilhaus" in out.text
    assert "Im Anhang finden Sie den Leitfaden" in out.text
    assert "Leitfaden" in out.html and "10.03.2026, 10:00 Uhr" in out.html


def test_a_rescheduled_group_meeting_says_so_and_needs_no_pairing_in_the_subject(
    renderer: Renderer,
) -> None:
    summer = {"start": datetime(2026, 6, 9, 9, 30, tzinfo=BERLIN), "location": None}
    context = sample("einladung", stage=FACHTAG, meeting=summer, verschoben=True)
    out = renderer.render("einladung", context)
    assert out.subject == "Neuer Termin: Fachtag am Dienstag, 09.06.2026, 09:30 Uhr"
    assert "wird noch bekannt gegeben" in out.text
    assert "ersetzt den bisherigen Eintrag" in out.text


def test_an_invitation_without_a_meeting_is_refused(renderer: Renderer) -> None:
    with pytest.raises(ValueError):
        renderer.render("einladung", sample("einladung", meeting=None))


def test_a_proof_of_funds_confirmation_explains_the_next_steps(renderer: Renderer) -> None:
    out = renderer.render("eingangsbestaetigung", sample("eingangsbestaetigung", stage=VN))
    assert out.subject == (
        "Eingangsbestätigung: Verwendungsnachweis 2026 Kaltenmoor (AWO Kreisverband Lüneburg)"
    )
    assert "rechnerisch" in out.text and "Stabsstellenleitung zur Kenntnis" in out.text


def test_the_weekly_overview_lists_overdue_stages_with_german_dates(renderer: Renderer) -> None:
    out = renderer.render("wochenuebersicht", sample("wochenuebersicht"))
    assert out.subject == "Wochenübersicht Qualitätszyklus KW 14/2026: 1 überfällig, 3 bald fällig"
    line = (
        "- Kaltenmoor (AWO): Auftaktgespräch – offen – Frist 31.03.2026 – seit 2 Tagen überfällig"
    )
    assert line in out.text
    assert '<td style="padding: 4px 8px;">31.03.2026</td>' in out.html
    waiting = "- Kreideberg (Hansestadt Lüneburg): Jahresbericht – eingereicht – Frist 31.12.2026"
    assert f"{waiting} – wartet seit 21 Tagen auf Prüfung" in out.text
    assert "Bei der Koordinierungsstelle in Arbeit: 1" in out.text
    assert ">wartet seit 21 Tagen auf Prüfung</td>" in out.html
    empty = renderer.render("wochenuebersicht", sample("wochenuebersicht", rows=[]))
    assert "alles im Plan" in empty.text


def test_a_delivery_failure_report_names_subject_recipients_and_error(renderer: Renderer) -> None:
    out = renderer.render("zustellfehler", sample("zustellfehler"))
    assert out.subject == "Zustellfehler: „Erinnerung: Jahresbericht Kaltenmoor“ nicht zugestellt"
    assert "nach 3 Zustellversuchen" in out.text
    assert "a@example.org, b@example.org" in out.text
    single = sample("zustellfehler")
    single["failed"] = {**single["failed"], "attempts": 1, "to": "a@example.org"}
    assert "nach 1 Zustellversuch nicht" in renderer.render("zustellfehler", single).text


def test_html_bodies_escape_names_but_text_bodies_keep_them(renderer: Renderer) -> None:
    context = sample("erinnerung", traeger={"name": "Kinder & Jugend <e.V.>", "leitung": None})
    out = renderer.render("erinnerung", context)
    assert "Kinder &amp; Jugend &lt;e.V.&gt;" in out.html
    assert "<e.V.>" not in out.html
    assert "Kinder & Jugend <e.V.>" in out.text


def test_a_missing_context_key_is_an_error_not_an_empty_string(renderer: Renderer) -> None:
    context = sample("erinnerung")
    del context["stadtteil"]
    with pytest.raises(jinja2.UndefinedError):
        renderer.render("erinnerung", context)


def test_an_unknown_kind_is_refused(renderer: Renderer) -> None:
    with pytest.raises(UnknownKind):
        renderer.render("gibtsnicht", sample("erinnerung"))


def test_a_bundle_combines_parts_into_one_friendly_message(renderer: Renderer) -> None:
    parts = [
        renderer.render("erinnerung", sample("erinnerung")),
        renderer.render("erinnerung", sample("erinnerung", stadtteil={"name": "Bockelsberg"})),
        renderer.render("eskalation", sample("eskalation", days=-3, stage=AUFTAKT)),
    ]
    context = {
        "stadtteile": ["Kaltenmoor", "Bockelsberg"],
        "koordinierungsstelle": sample("erinnerung")["koordinierungsstelle"],
    }
    out = renderer.bundle(parts, context)
    assert out.subject == "Qualitätszyklus: 3 Hinweise für Kaltenmoor, Bockelsberg"
    assert out.text.count("Guten Tag,") == 1
    assert out.text.count("Mit freundlichen Grüßen") == 1
    for index, part in enumerate(parts, start=1):
        assert f"{index}. {part.subject}" in out.text
        assert part.text_section.strip()[1:] in out.text
        assert part.html_section.strip()[4:] in out.html
    assert "\n\nWir möchten Sie freundlich erinnern: Im Qualitätszyklus 2026" in out.text
    assert "<p>Die Frist für die Stufe „Auftaktgespräch“" in out.html
    assert "seit 3 Tagen überfällig" in out.text


def test_a_bundle_subject_stays_short_with_many_stadtteile(renderer: Renderer) -> None:
    part = renderer.render("erinnerung", sample("erinnerung"))
    names = ["Kaltenmoor", "Bockelsberg", "Kreideberg", "Ebensberg", "Hanseviertel"]
    context = {"stadtteile": names, "koordinierungsstelle": {"name": "K", "email": "k@example.org"}}
    out = renderer.bundle([part, part], context)
    assert out.subject == (
        "Qualitätszyklus: 2 Hinweise für Kaltenmoor, Bockelsberg, Kreideberg und 2 weitere"
    )


def test_a_bundle_of_one_is_the_part_itself(renderer: Renderer) -> None:
    part = renderer.render("erinnerung", sample("erinnerung"))
    assert renderer.bundle([part], {"stadtteile": ["Kaltenmoor"]}) is part
    with pytest.raises(ValueError):
        renderer.bundle([], {})


def test_an_override_folder_replaces_single_templates(tmp_path: Path) -> None:
    (tmp_path / "erinnerung-subject.txt").write_text(
        "Hallo {{ stadtteil.name }}: {{ due|datum }}", encoding="utf-8"
    )
    out = Renderer(tmp_path).render("erinnerung", sample("erinnerung"))
    assert out.subject == "Hallo Kaltenmoor: 31.03.2026"
    assert "Bitte senden Sie den Jahresbericht" in out.text  # body still from the package


def test_rendered_parts_are_plain_values() -> None:
    assert Rendered("a", "b", "c") == Rendered("a", "b", "c", "", "")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (date(2026, 3, 31), "31.03.2026"),
        (datetime(2026, 3, 29, 0, 30, tzinfo=ZoneInfo("UTC")), "29.03.2026"),
        (datetime(2026, 12, 31, 23, 30, tzinfo=ZoneInfo("UTC")), "01.01.2027"),
    ],
)
def test_datum_shows_the_berlin_date(value: date, expected: str) -> None:
    assert filters.datum(value) == expected


def test_datumzeit_and_wochentag_follow_daylight_saving_time() -> None:
    winter = datetime(2026, 3, 28, 9, 0, tzinfo=ZoneInfo("UTC"))
    summer = datetime(2026, 3, 30, 8, 0, tzinfo=ZoneInfo("UTC"))
    assert filters.datumzeit(winter) == "28.03.2026, 10:00 Uhr"
    assert filters.datumzeit(summer) == "30.03.2026, 10:00 Uhr"
    assert filters.wochentag(winter) == "Samstag"
    assert filters.wochentag(date(2026, 3, 31)) == "Dienstag"
    with pytest.raises(ValueError):
        filters.datumzeit(datetime(2026, 3, 28, 9, 0))


def test_week_labels_and_counts_read_naturally() -> None:
    assert filters.kalenderwoche("2026-W01") == "KW 1/2026"
    assert filters.kalenderwoche("Sonderwoche") == "Sonderwoche"
    assert filters.anzahl(1, "Hinweis", "Hinweise") == "1 Hinweis"
    assert filters.anzahl(2, "Hinweis", "Hinweise") == "2 Hinweise"
    assert filters.aufzaehlung(("Ayşe Demir",)) == "Ayşe Demir"
    assert filters.aufzaehlung(("A", "B")) == "A und B"
    assert filters.aufzaehlung(("A", "B", "C")) == "A, B und C"
    assert filters.tage(1) == "1 Tag" and filters.tage(7) == "7 Tage"


def test_an_escalation_names_the_reminders_that_were_sent_and_says_so_when_none_were(
    renderer: Renderer,
) -> None:
    context = sample("eskalation", level=2, days=-14, recipients_role="stabsstellenleitung")
    sent = renderer.render("eskalation", context).text
    assert "am 03.03.2026 und am 24.03.2026 an die Frist erinnert" in sent
    assert "am 01.04.2026 hingewiesen" in sent
    none = renderer.render("eskalation", {**context, "erinnert_am": [], "eskaliert_am": []}).text
    assert "Vor Ablauf der Frist wurde keine Erinnerung versandt" in none
    assert "erinnert;" not in none and "hingewiesen" not in none


def test_a_meeting_reminder_mentions_the_invitation_only_if_one_was_sent(
    renderer: Renderer,
) -> None:
    context = sample("terminerinnerung", stage=AUFTAKT, days=7)
    assert "mit der Einladung geschickt" in renderer.render("terminerinnerung", context).text
    uninvited = renderer.render("terminerinnerung", {**context, "eingeladen": False}).text
    assert "Einladung" not in uninvited


def test_a_group_meeting_not_yet_scheduled_reminds_the_koordinierungsstelle_as_organiser(
    renderer: Renderer,
) -> None:
    for kind in ("erinnerung", "eskalation"):
        context = sample(
            kind, recipients_role="koordinierungsstelle", days=-3 if kind == "eskalation" else 14
        )
        text = renderer.render(kind, context).text
        assert "von der Koordinierungsstelle organisiert" in text
        assert "noch nicht terminiert" in text


def test_the_weekly_overview_is_a_page_with_a_link_not_a_dump(renderer: Renderer) -> None:
    context = sample("wochenuebersicht", weitere=12, link="https://zyklus.example.org/")
    out = renderer.render("wochenuebersicht", context)
    assert "… und 12 weitere." in out.text
    assert "https://zyklus.example.org/?ueberfaellig=1" in out.text
    assert 'href="https://zyklus.example.org/"' in out.html
    assert "zyklus status" not in out.text


def test_mails_to_the_city_link_the_web_page_they_are_about(renderer: Renderer) -> None:
    escalation = sample("eskalation", level=2, days=-14, recipients_role="stabsstellenleitung")
    text = renderer.render("eskalation", escalation).text
    assert "Der Zyklus im Überblick: https://zyklus.example.org/zyklus/kaltenmoor/2026" in text
    to_traeger = renderer.render("eskalation", sample("eskalation", days=-3)).text
    assert "zyklus.example.org/zyklus" not in to_traeger  # the Träger get their portal link


def test_the_weekly_overview_lists_the_dates_proposed_in_the_portal(renderer: Renderer) -> None:
    proposal = {
        "stadtteil": "Kaltenmoor",
        "stage": "Auswertungsgespräch",
        "email": "l.hoffmann@awo-lueneburg.example.org",
        "dates": [datetime(2026, 11, 10, 9, 0, tzinfo=UTC)],
        "note": "Dienstag passt",
        "link": "https://zyklus.example.org/zyklus/kaltenmoor/2026",
    }
    out = renderer.render("wochenuebersicht", sample("wochenuebersicht", vorschlaege=[proposal]))
    assert "Terminvorschläge aus dem Portal (letzte 7 Tage):" in out.text
    line = "Kaltenmoor, Auswertungsgespräch (l.hoffmann@awo-lueneburg.example.org): "
    assert line + "10.11.2026, 10:00 Uhr" in out.text
    assert "„Dienstag passt“" in out.text


VARYING = ("pairing.id", "traeger.name", "traeger.leitung", "stadtteil.name", "web_link")
NAMES = [
    ("kaltenmoor", "AWO Kreisverband Lüneburg", "Jürgen Müller", "Kaltenmoor"),
    ("weststadt", 'Verein „Miteinander" & Partner <e. V.>', None, "West'stadt & Süd"),
    ("innenstadt", "Lebensraum Diakonie", "Sabine O'Neill", "Innenstadt inkl. Ilmenaugarten"),
]


def _named(kind: str, pairing: str, traeger: str, leitung: str | None, stadtteil: str) -> Any:
    return sample(
        kind,
        level=1 if kind == "erinnerung" else 2,
        pairing={"id": pairing, "angebot": None, "handlungsfeld": None},
        traeger={"name": traeger, "leitung": leitung},
        stadtteil={"name": stadtteil},
        web_link=f"https://zyklus.example.org/zyklus/{pairing}/2026",
    )


@pytest.mark.parametrize("kind", ["erinnerung", "eskalation"])
def test_rendering_once_per_shape_gives_exactly_the_full_rendering(kind: str) -> None:
    """Issue 12 item 1: names filled into a template rendered once, escaped as autoescape
    would, give byte for byte what rendering each mail gives."""
    shaped, full = Renderer(), Renderer()
    for names in NAMES * 2:  # the second round comes from the cache
        context = _named(kind, *names)
        assert shaped.render_shaped(kind, context, VARYING) == full.render(kind, context)
    assert len(shaped.shapes) == 2  # with and without a Leitung
    assert shaped.shapes.filled == 2 * len(NAMES) - 2  # all but the first of each shape
    html = shaped.render_shaped(kind, _named(kind, *NAMES[1]), VARYING).html
    assert "&amp; Partner &lt;e. V.&gt;" in html and "West&#39;stadt" in html


def test_a_template_that_changes_a_name_is_rendered_in_full(tmp_path: Path) -> None:
    # A template of the package never filters a name; a changed one might.
    (tmp_path / "erinnerung-subject.txt").write_text(
        "Erinnerung {{ stadtteil.name|upper }}", encoding="utf-8"
    )
    renderer = Renderer(tmp_path)
    for names in NAMES:
        context = _named("erinnerung", *names)
        assert renderer.render_shaped("erinnerung", context, VARYING).subject == (
            f"Erinnerung {names[3].upper()}"
        )
    assert renderer.shapes.filled == 0 and len(renderer.shapes) == 0


def test_a_name_with_a_line_break_or_double_spaces_is_rendered_in_full() -> None:
    renderer = Renderer()
    for stadtteil in ("Kalten-\nmoor", "Kalten  moor", " Kaltenmoor"):
        context = _named("erinnerung", "kaltenmoor", "AWO", None, stadtteil)
        expected = Renderer().render("erinnerung", context)
        assert renderer.render_shaped("erinnerung", context, VARYING) == expected
    assert len(renderer.shapes) == 0 and renderer.shapes.filled == 0
