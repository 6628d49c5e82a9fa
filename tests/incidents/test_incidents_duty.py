"""Duty-desk escalation timers with an injected clock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from yingji.errors import InvalidInput
from yingji.incidents.duty import (
    Escalation,
    EscalationStatus,
    due_within,
    escalations,
    overdue,
    rules_from_minutes,
)

T0 = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def _statuses(
    done: dict[str, dt.datetime], now: dt.datetime, closed_at: dt.datetime | None = None
) -> dict[str, EscalationStatus]:
    return {e.action: e.status(now) for e in escalations(T0, done, now=now, closed_at=closed_at)}


def _overdue_at(now: dt.datetime, **rules: Any) -> list[Escalation]:
    return overdue(escalations(T0, {}, now=now, **rules), now)


def test_leader_due_ten_minutes_and_forwarding_thirty_after_receipt() -> None:
    dues = {e.action: e.due_at for e in escalations(T0, {}, now=T0)}
    assert dues == {"leader_told": T0 + 10 * MIN, "forwarded": T0 + 30 * MIN}


def test_nothing_overdue_at_the_due_time() -> None:
    assert _overdue_at(T0 + 10 * MIN) == []


def test_leader_overdue_after_ten_minutes() -> None:
    assert [e.action for e in _overdue_at(T0 + 11 * MIN)] == ["leader_told"]


def test_both_overdue_after_thirty_minutes() -> None:
    assert [e.action for e in _overdue_at(T0 + 31 * MIN)] == ["leader_told", "forwarded"]


def test_done_in_time_and_done_late() -> None:
    done = {"leader_told": T0 + 5 * MIN, "forwarded": T0 + 45 * MIN}
    assert _statuses(done, T0 + 60 * MIN) == {"leader_told": EscalationStatus.DONE, "forwarded": EscalationStatus.LATE}


def test_closing_before_due_cancels_the_rest() -> None:
    statuses = _statuses({"leader_told": T0 + MIN}, T0 + 60 * MIN, closed_at=T0 + 20 * MIN)
    assert statuses["forwarded"] is EscalationStatus.CANCELLED


def test_closing_after_due_does_not_excuse_a_miss() -> None:
    assert _statuses({}, T0 + 60 * MIN, closed_at=T0 + 20 * MIN)["leader_told"] is EscalationStatus.OVERDUE


def test_limits_are_configurable() -> None:
    rules = rules_from_minutes({"leader_told": 5, "forwarded": 15})
    assert [e.action for e in _overdue_at(T0 + 6 * MIN, rules=rules)] == ["leader_told"]


def test_reminder_lists_actions_falling_due_soon() -> None:
    soon = due_within(escalations(T0, {}, now=T0 + 25 * MIN), T0 + 25 * MIN, 5 * MIN)
    assert [e.action for e in soon] == ["forwarded"]


def test_unknown_action_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown duty action"):
        escalations(T0, {"told_leader": T0}, now=T0)


def test_non_positive_limit_is_refused() -> None:
    with pytest.raises(InvalidInput):
        rules_from_minutes({"leader_told": 0})


def test_naive_time_is_refused() -> None:
    with pytest.raises(InvalidInput, match="received_at"):
        escalations(dt.datetime(2026, 7, 1, 2, 0), {}, now=T0)
