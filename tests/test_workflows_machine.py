import threading

import pytest

from workflows.machine import StageView, TransitionRefused, fire, possible_events
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


@pytest.mark.parametrize(
    ("stage_type", "status", "open_required", "scheduled", "expected"),
    [
        (REPORT, "offen", ["Auswertung"], False, ["waive", "extend"]),
        (REPORT, "offen", [], False, ["submit", "waive", "extend"]),
        (REPORT, "eingereicht", [], False, ["return", "accept", "waive", "extend", "korrigieren"]),
        (MEETING, "durchgefuehrt", [], True, ["datum_korrigieren", "korrigieren"]),
        (PROOF, "abgelegt", [], False, ["datum_korrigieren", "korrigieren"]),
    ],
)
def test_the_events_a_page_may_offer_come_from_the_graph(
    stage_type, status, open_required, scheduled, expected
):
    view = StageView("Stufe", stage_type, status)
    assert possible_events(view, open_required, scheduled=scheduled) == expected


@pytest.mark.parametrize(
    ("stage_type", "status", "scheduled", "expected"),
    [
        (MEETING, "durchgefuehrt", True, "terminiert"),
        (MEETING, "durchgefuehrt", False, "offen"),
        (REPORT, "angenommen", False, "eingereicht"),
        (PROOF, "abgelegt", False, "zur_kenntnis_genommen"),
        (PROOF, "entfallen", False, "offen"),
    ],
)
def test_korrigieren_goes_one_step_back(stage_type, status, scheduled, expected):
    view = StageView("Stufe", stage_type, status)
    assert fire(view, "korrigieren", scheduled=scheduled) == expected


def test_a_successor_takes_over_the_predecessors_status_only_from_offen():
    assert fire(StageView("VN", PROOF, "offen"), "uebernehmen", takes="geprueft") == "geprueft"
    with pytest.raises(TransitionRefused):
        fire(StageView("VN", PROOF, "eingereicht"), "uebernehmen", takes="geprueft")


def test_extend_keeps_the_status_and_is_refused_once_done():
    assert fire(StageView("Fachtag", MEETING, "terminiert"), "extend") == "terminiert"
    with pytest.raises(TransitionRefused, match="im Status „durchgeführt“ nicht möglich"):
        fire(StageView("Fachtag", MEETING, "durchgefuehrt"), "extend")


def test_sixteen_threads_fire_and_ask_the_shared_machines_without_a_single_error():
    """The web serves pages from a thread pool: every thread must see its own adapter."""
    cases = [
        (StageView("Auftakt", MEETING, "offen"), "schedule", "terminiert"),
        (StageView("Auftakt", MEETING, "terminiert"), "complete", "durchgefuehrt"),
        (StageView("Bericht", REPORT, "eingereicht"), "accept", "angenommen"),
        (StageView("VN", PROOF, "geprueft"), "acknowledge", "zur_kenntnis_genommen"),
    ]
    expected_events = {view: possible_events(view) for view, _, _ in cases}
    errors: list[BaseException] = []
    wrong: list[tuple[str, str]] = []
    start = threading.Barrier(16)

    def work(offset: int) -> None:
        start.wait()
        for i in range(250):
            view, event, expected = cases[(offset + i) % len(cases)]
            try:
                if (moved := fire(view, event)) != expected:
                    wrong.append((event, moved))
                if possible_events(view) != expected_events[view]:
                    wrong.append((view.status, "possible_events"))
            except BaseException as exc:  # any error at all is the finding
                errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert wrong == []
