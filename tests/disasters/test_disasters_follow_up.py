"""Follow-up reports (续报) chased on the regime's schedule (issue #17 item 2): the due instants at every
boundary on an injected clock (pure), and the scheduler's pass flagging a township that reported initially but
missed the latest follow-up, once per due instant (service, both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.disasters.test_disasters_api import T1, T2

from yingji.auth.scope import system_scope
from yingji.disasters import escalation, regime, service
from yingji.disasters.models import DisasterEscalation
from yingji.disasters.officers import service as officers
from yingji.disasters.schemas import EventIn, ReportIn

START = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)  # 10:00 北京时间
DUE1 = dt.datetime(2026, 7, 2, 1, 0, tzinfo=dt.UTC)  # 07-02 09:00 北京时间: the first daily follow-up
EPS = dt.timedelta(microseconds=1)
DAY = dt.timedelta(days=1)
SCOPE = system_scope("follow-up-test")


def schedule(kind: str) -> regime.Deadline:
    return next(d for d in regime.default_regime().deadlines_for("follow_up", kind) if d.from_level == "county")


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (START + dt.timedelta(hours=5), None),  # 15:00 on the first day: the initial report's day
        (DUE1, None),  # at the due instant itself: still on time
        (DUE1 + EPS, (START, DUE1)),  # one instant later: the first follow-up is missed
        (DUE1 + DAY, (START, DUE1)),  # at the second due instant: still the first
        (DUE1 + DAY + EPS, (DUE1, DUE1 + DAY)),
        (DUE1 + 5 * DAY + dt.timedelta(hours=3), (DUE1 + 4 * DAY, DUE1 + 5 * DAY)),
    ],
)
def test_a_daily_follow_up_is_due_at_0900_from_the_day_after_the_start(
    now: dt.datetime, expected: tuple[dt.datetime, dt.datetime] | None
) -> None:
    assert escalation.follow_up_window(schedule("flood"), START, now) == expected


def test_an_event_that_starts_before_0900_has_its_first_follow_up_the_next_day() -> None:
    early = dt.datetime(2026, 6, 30, 16, 30, tzinfo=dt.UTC)  # 07-01 00:30 北京时间
    assert (
        escalation.follow_up_window(schedule("flood"), early, dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC) + EPS)
        is None
    )
    # a report counts for it from 09:00 of the first day (the day's data run to 24:00)
    assert escalation.follow_up_window(schedule("flood"), early, DUE1 + EPS) == (DUE1 - DAY, DUE1)


@pytest.mark.parametrize(
    ("days", "expected"),
    [(10, None), (10 + 1e-9, (0, 10)), (20, (0, 10)), (20 + 1e-9, (10, 20)), (35, (20, 30))],
)
def test_a_drought_follow_up_is_due_every_ten_days(days: float, expected: tuple[int, int] | None) -> None:
    now = START + dt.timedelta(days=days) + (EPS if days % 1 else dt.timedelta(0))
    window = escalation.follow_up_window(schedule("drought"), START, now)
    if expected is None:
        assert window is None
    else:
        assert window == (START + dt.timedelta(days=expected[0]), START + dt.timedelta(days=expected[1]))


def test_a_report_at_the_due_instant_counts_and_one_at_the_window_start_does_not() -> None:
    reported = {"a": [DUE1], "b": [START], "c": [DUE1 + EPS]}
    assert escalation.missed_follow_up(["a", "b", "c", "d"], reported, START, DUE1) == ["b", "c", "d"]


def _report(session: Session, event_id: int, township: str, kind: str, at: dt.datetime) -> None:
    report_in = ReportIn(township_code=township, report_type=kind, figures={"affected": 3})
    row = service.submit_report(session=session, scope=SCOPE, event_id=event_id, report_in=report_in)
    row.submitted_at = at
    session.flush()


def _flagged(session: Session, event_id: int) -> list[tuple[str, dt.datetime]]:
    rows = session.scalars(
        select(DisasterEscalation).where(
            DisasterEscalation.event_id == event_id, DisasterEscalation.report_type == "follow_up"
        )
    )
    return sorted((r.township_code, r.due_at.replace(tzinfo=dt.UTC) if r.due_at.tzinfo is None else r.due_at)
                  for r in rows)  # fmt: skip


def test_the_scheduler_flags_a_missed_follow_up_once_per_due_instant(session: Session) -> None:
    ev = service.create_event(session=session, scope=SCOPE,
                              event_in=EventIn(name="定日洪涝", kind="flood", division_code="540223000000",
                                               started_at=START))  # fmt: skip
    _report(session, ev.id, T1, "initial", START + dt.timedelta(hours=1))
    _report(session, ev.id, T2, "initial", START + dt.timedelta(hours=1))
    _report(session, ev.id, T1, "follow_up", DUE1 - dt.timedelta(minutes=30))  # a zero-change report in time

    officers.escalate_overdue(session=session, scope=SCOPE, now=DUE1, township_hours=2)
    assert _flagged(session, ev.id) == []
    officers.escalate_overdue(session=session, scope=SCOPE, now=DUE1 + EPS, township_hours=2)
    assert _flagged(session, ev.id) == [(T2, DUE1)]
    officers.escalate_overdue(session=session, scope=SCOPE, now=DUE1 + dt.timedelta(hours=3), township_hours=2)
    assert _flagged(session, ev.id) == [(T2, DUE1)]  # once per due instant
    officers.escalate_overdue(session=session, scope=SCOPE, now=DUE1 + DAY + EPS, township_hours=2)
    assert _flagged(session, ev.id) == [(T1, DUE1 + DAY), (T2, DUE1), (T2, DUE1 + DAY)]
