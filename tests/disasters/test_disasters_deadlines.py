"""The regime's deadlines at their boundaries, with the clock passed in."""

from __future__ import annotations

import datetime as dt

import pytest

from yingji.disasters.deadlines import due_at, is_late
from yingji.disasters.regime import Deadline, default_regime

REGIME = default_regime()
START = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 Beijing time, a Wednesday
SECOND = dt.timedelta(seconds=1)


def hop(report: str, kind: str = "flood", frm: str = "county") -> Deadline:
    (found,) = [d for d in REGIME.deadlines_for(report, kind) if d.from_level == frm]
    return found


def test_initial_report_is_due_two_hours_after_the_start_and_late_one_second_after() -> None:
    due = due_at(hop("initial"), event_start=START)
    assert due == START + dt.timedelta(hours=2)
    assert not is_late(due, reported_at=due)
    assert is_late(due, reported_at=due + SECOND)


def test_daily_follow_up_is_due_at_nine_beijing_time() -> None:
    due = due_at(hop("follow_up"), event_start=START, local_day=dt.date(2026, 7, 2))
    assert due == dt.datetime(2026, 7, 2, 1, 0, tzinfo=dt.UTC)  # 09:00 +08:00
    assert not is_late(due, reported_at=dt.datetime(2026, 7, 2, 9, 0, tzinfo=dt.timezone(dt.timedelta(hours=8))))
    assert is_late(due, reported_at=due + SECOND)


def test_drought_follow_ups_fall_every_ten_days() -> None:
    drought = hop("follow_up", "drought")
    assert due_at(drought, event_start=START, nth=1) == START + dt.timedelta(days=10)
    assert due_at(drought, event_start=START, nth=3) == START + dt.timedelta(days=30)


@pytest.mark.parametrize(
    "stabilised,last_day",
    [
        (dt.date(2026, 7, 1), dt.date(2026, 7, 3)),  # Wednesday → Thursday, Friday
        (dt.date(2026, 7, 2), dt.date(2026, 7, 6)),  # Thursday → Friday, (weekend), Monday
        (dt.date(2026, 7, 4), dt.date(2026, 7, 7)),  # Saturday → Monday, Tuesday
    ],
)
def test_verified_report_is_due_at_the_end_of_the_second_working_day(stabilised: dt.date, last_day: dt.date) -> None:
    due = due_at(hop("verified"), event_start=START, stabilised_on=stabilised)
    end = dt.datetime.combine(last_day, dt.time(23, 59, 59), dt.timezone(dt.timedelta(hours=8)))
    assert not is_late(due, reported_at=end) and is_late(due, reported_at=end + SECOND * 2)


def test_naive_times_and_missing_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        due_at(hop("initial"), event_start=dt.datetime(2026, 7, 1))
    with pytest.raises(ValueError, match="local day"):
        due_at(hop("follow_up"), event_start=START)
    with pytest.raises(ValueError, match="stabilised"):
        due_at(hop("verified"), event_start=START)
