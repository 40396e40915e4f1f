from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from workflows.calendar import WorkingCalendar
from workflows.deadlines import (
    ERINNERUNG,
    ESKALATION,
    Point,
    SeriesPolicy,
    active_window,
    choose_due,
    deadline_series,
    meeting_reminders,
)

NI = WorkingCalendar("DE", "NI")
BERLIN = ZoneInfo("Europe/Berlin")
EIGHT = time(8, 0)


def _series(due: date) -> list[tuple[str, int, date]]:
    return [(p.kind, p.level, p.on) for p in deadline_series(due, SeriesPolicy(), NI)]


def test_the_auftaktgespraech_series_of_2026():
    assert _series(date(2026, 3, 31)) == [
        (ERINNERUNG, 1, date(2026, 3, 3)),
        (ERINNERUNG, 2, date(2026, 3, 24)),
        (ESKALATION, 1, date(2026, 4, 1)),
        (ESKALATION, 2, date(2026, 4, 14)),
    ]


def test_the_jahresbericht_escalation_skips_neujahr_and_the_weekend():
    series = _series(date(2026, 12, 31))
    assert (ESKALATION, 1, date(2027, 1, 4)) in series


def test_a_reminder_on_a_holiday_moves_to_the_previous_working_day():
    # 2026-09-30 minus 28 days is Wednesday 2026-09-02 (a working day); 7 days before
    # 2026-05-21 is Thursday 2026-05-14, Christi Himmelfahrt -> Wednesday 2026-05-13.
    series = _series(date(2026, 5, 21))
    assert (ERINNERUNG, 2, date(2026, 5, 13)) in series


def test_empty_policies_give_no_points():
    assert deadline_series(date(2026, 3, 31), SeriesPolicy((), ()), NI) == []


def test_meeting_reminders_fall_on_the_previous_working_day():
    points = meeting_reminders(date(2026, 3, 10), [7], NI)
    assert [(p.level, p.on) for p in points] == [(1, date(2026, 3, 3))]


def test_catch_up_sends_only_the_latest_due_point_and_skips_the_older_ones():
    points = deadline_series(date(2026, 3, 31), SeriesPolicy(), NI)
    now = datetime(2026, 4, 20, 9, 0, tzinfo=BERLIN)
    chosen = choose_due(points, now, EIGHT, NI)
    assert chosen.send == Point(date(2026, 4, 14), ESKALATION, 2, date(2026, 3, 31))
    assert [p.on for p in chosen.skip] == [date(2026, 3, 3), date(2026, 3, 24), date(2026, 4, 1)]


def test_a_point_is_not_due_before_the_send_time():
    points = deadline_series(date(2026, 3, 31), SeriesPolicy(), NI)
    before = datetime(2026, 3, 3, 7, 59, tzinfo=BERLIN)
    after = datetime(2026, 3, 3, 8, 0, tzinfo=BERLIN)
    assert choose_due(points, before, EIGHT, NI).send is None
    assert choose_due(points, after, EIGHT, NI).send is not None


def test_points_outside_the_pairing_window_are_ignored():
    points = deadline_series(date(2026, 3, 31), SeriesPolicy(), NI)
    now = datetime(2026, 4, 20, 9, 0, tzinfo=BERLIN)
    chosen = choose_due(points, now, EIGHT, NI, window=(date(2026, 1, 1), date(2026, 3, 31)))
    assert chosen.send is not None and chosen.send.on == date(2026, 3, 24)


def test_the_due_points_run_in_time_order_with_the_one_to_send_last():
    points = deadline_series(date(2026, 3, 31), SeriesPolicy(), NI)
    chosen = choose_due(points, datetime(2026, 4, 20, 9, 0, tzinfo=BERLIN), EIGHT, NI)
    assert chosen.due == (*chosen.skip, chosen.send)
    assert choose_due(points, datetime(2026, 1, 5, 9, 0, tzinfo=BERLIN), EIGHT, NI).due == ()


@pytest.mark.parametrize(
    ("end", "ended_on", "last"),
    [
        (None, None, None),
        (date(2026, 6, 30), None, date(2026, 6, 30)),
        (None, date(2026, 5, 4), date(2026, 5, 4)),
        (date(2026, 6, 30), date(2026, 5, 4), date(2026, 5, 4)),
        (date(2026, 6, 30), date(2026, 8, 1), date(2026, 6, 30)),
    ],
)
def test_a_pairing_is_active_until_its_contract_end_or_the_day_it_ended_whichever_is_first(
    end: date | None, ended_on: date | None, last: date | None
):
    assert active_window(date(2026, 1, 1), end, ended_on) == (date(2026, 1, 1), last)
