from datetime import date, datetime, time

import pytest

from workflows.calendar import DateSpec, DateSpecError, WorkingCalendar, effective_due

NI = WorkingCalendar("DE", "NI")


@pytest.mark.parametrize(
    ("nominal", "effective"),
    [
        (date(2026, 3, 31), date(2026, 3, 31)),  # Tuesday
        (date(2026, 10, 31), date(2026, 11, 2)),  # Saturday and Reformationstag
        (date(2026, 4, 3), date(2026, 4, 7)),  # Karfreitag, then Ostermontag
        (date(2027, 1, 1), date(2027, 1, 4)),  # Neujahr on a Friday, then the weekend
        (date(2026, 10, 3), date(2026, 10, 5)),  # Tag der Deutschen Einheit on a Saturday
        (date(2026, 12, 25), date(2026, 12, 28)),  # Christmas Friday, Saturday, Sunday
        (date(2026, 5, 14), date(2026, 5, 15)),  # Christi Himmelfahrt
        (date(2027, 6, 30), date(2027, 6, 30)),  # Wednesday
    ],
)
def test_a_due_date_on_a_weekend_or_holiday_moves_to_the_next_working_day(nominal, effective):
    assert effective_due(nominal, NI) == effective


def test_without_the_shift_the_nominal_due_date_stays():
    assert effective_due(date(2026, 10, 31), NI, shift=False) == date(2026, 10, 31)


def test_reformationstag_is_a_holiday_in_niedersachsen_but_not_in_bavaria():
    assert NI.is_holiday(date(2025, 10, 31))
    assert not WorkingCalendar("DE", "BY").is_holiday(date(2025, 10, 31))


def test_previous_working_day_skips_back_over_easter():
    assert NI.previous_working_day(date(2026, 4, 6)) == date(2026, 4, 2)


@pytest.mark.parametrize(
    ("text", "year", "expected"),
    [
        ("03-31", 2026, date(2026, 3, 31)),
        ("+1-06-30", 2026, date(2027, 6, 30)),
        ("-1-11-01", 2026, date(2025, 11, 1)),
        ("02-29", 2026, date(2026, 2, 28)),
        ("02-29", 2028, date(2028, 2, 29)),
    ],
)
def test_date_specs_resolve_relative_to_the_cycle_year(text, year, expected):
    assert DateSpec.parse(text).resolve(year) == expected


@pytest.mark.parametrize("text", ["13-01", "03-32", "3-31", "2026-03-31", "+x-01-01", ""])
def test_malformed_date_specs_are_refused(text):
    with pytest.raises(DateSpecError):
        DateSpec.parse(text)


def test_send_time_is_local_and_dst_correct():
    winter = NI.at(date(2026, 3, 3), time(8, 0))
    summer = NI.at(date(2026, 4, 1), time(8, 0))
    assert winter.utcoffset().total_seconds() == 3600
    assert summer.utcoffset().total_seconds() == 7200
    assert summer.astimezone().tzinfo is not None
    assert isinstance(summer, datetime)
