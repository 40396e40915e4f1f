import pytest

from workflows.machine import StageView, TransitionRefused, fire
from workflows.stages import StageType

MEETING = StageType.MEETING
REPORT = StageType.REPORT
PROOF = StageType.PROOF_OF_FUNDS


@pytest.mark.parametrize(
    ("stage_type", "status", "event", "expected"),
    [
        (MEETING, "offen", "schedule", "terminiert"),
        (MEETING, "terminiert", "schedule", "terminiert"),
        (MEETING, "terminiert", "complete", "durchgefuehrt"),
        (MEETING, "offen", "complete", "durchgefuehrt"),
        (REPORT, "offen", "submit", "eingereicht"),
        (REPORT, "eingereicht", "return", "zurueckgegeben"),
        (REPORT, "zurueckgegeben", "submit", "eingereicht"),
        (REPORT, "eingereicht", "accept", "angenommen"),
        (PROOF, "eingereicht", "check", "geprueft"),
        (PROOF, "geprueft", "acknowledge", "zur_kenntnis_genommen"),
        (PROOF, "zur_kenntnis_genommen", "file", "abgelegt"),
        (PROOF, "geprueft", "waive", "entfallen"),
    ],
)
def test_allowed_events_move_the_status(stage_type, status, event, expected):
    assert fire(StageView("Stufe", stage_type, status), event) == expected


@pytest.mark.parametrize(
    ("stage_type", "status", "event", "fragment"),
    [
        (MEETING, "durchgefuehrt", "schedule", "im Status „durchgeführt“ nicht möglich"),
        (REPORT, "offen", "accept", "im Status „offen“ nicht möglich"),
        (PROOF, "eingereicht", "file", "im Status „eingereicht“ nicht möglich"),
        (PROOF, "abgelegt", "waive", "nicht möglich"),
        (REPORT, "offen", "schedule", "für diese Art von Stufe nicht möglich"),
    ],
)
def test_out_of_order_events_are_refused_in_german(stage_type, status, event, fragment):
    with pytest.raises(TransitionRefused, match=fragment):
        fire(StageView("Stufe", stage_type, status), event)


def test_a_report_before_its_meeting_is_refused_naming_the_open_stage():
    with pytest.raises(TransitionRefused, match="zuerst muss abgeschlossen sein: Auswertung"):
        fire(StageView("Jahresbericht", REPORT, "offen"), "submit", ["Auswertung"])


def test_scheduling_does_not_wait_for_earlier_stages():
    assert fire(StageView("Fachtag", MEETING, "offen"), "schedule", ["Auftakt"]) == "terminiert"
