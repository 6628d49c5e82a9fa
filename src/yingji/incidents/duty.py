"""Duty-desk escalation timers (值班值守, pure; the clock is injected).

When the duty desk receives information (phone, fax, system), the duty leader must be told within 10
minutes and the information forwarded (to the next level / the departments concerned) within 30 minutes
(docs/sources.md §D3; both configurable — local duty rules differ). Given when it was received and which
actions are done, :func:`escalations` says for each action its due time and status at ``now``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from yingji.errors import InvalidInput


class EscalationStatus(StrEnum):
    DONE = "done"
    LATE = "late"  # done after the due time
    PENDING = "pending"
    OVERDUE = "overdue"
    CANCELLED = "cancelled"  # the item was closed (with a reason) before the action fell due


@dataclass(frozen=True)
class EscalationRule:
    action: str  # e.g. "leader_told" (报告带班领导), "forwarded" (报送/转办)
    within: dt.timedelta
    description: str = ""


DEFAULT_RULES: tuple[EscalationRule, ...] = (
    EscalationRule("leader_told", dt.timedelta(minutes=10), "duty leader told (报告带班领导)"),
    EscalationRule("forwarded", dt.timedelta(minutes=30), "forwarded to the next level / departments (报送)"),
)


def rules_from_minutes(minutes: Mapping[str, float]) -> tuple[EscalationRule, ...]:
    """Rules from a setting such as ``{"leader_told": 10, "forwarded": 30}``."""
    rules = []
    for action, value in minutes.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise InvalidInput(f"escalation time for {action!r} must be a positive number of minutes", parameter=action)
        rules.append(EscalationRule(action, dt.timedelta(minutes=float(value))))
    return tuple(rules)


@dataclass(frozen=True)
class Escalation:
    action: str
    due_at: dt.datetime
    done_at: dt.datetime | None
    closed_at: dt.datetime | None

    def status(self, now: dt.datetime) -> EscalationStatus:
        if self.done_at is not None:
            return EscalationStatus.DONE if self.done_at <= self.due_at else EscalationStatus.LATE
        if self.closed_at is not None and self.closed_at <= min(now, self.due_at):
            return EscalationStatus.CANCELLED
        return EscalationStatus.PENDING if now <= self.due_at else EscalationStatus.OVERDUE

    def remaining(self, now: dt.datetime) -> dt.timedelta:
        """Time left until due (negative when overdue)."""
        return self.due_at - now

    def as_dict(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "action": self.action,
            "due_at": self.due_at.isoformat(),
            "done_at": None if self.done_at is None else self.done_at.isoformat(),
            "status": self.status(now).value,
        }


def _aware(value: dt.datetime | None, name: str) -> None:
    if value is not None and value.utcoffset() is None:
        raise InvalidInput(f"{name} must be a timezone-aware time", parameter=name)


def escalations(
    received_at: dt.datetime,
    done: Mapping[str, dt.datetime],
    *,
    now: dt.datetime,
    rules: Sequence[EscalationRule] = DEFAULT_RULES,
    closed_at: dt.datetime | None = None,
) -> list[Escalation]:
    """Each action's due time (received + its limit), when done, and so its status at ``now``.
    ``done`` maps action → time done; an action not in ``rules`` is an error (a typo would hide a miss)."""
    _aware(received_at, "received_at")
    _aware(now, "now")
    _aware(closed_at, "closed_at")
    known = {rule.action for rule in rules}
    for action, when in done.items():
        if action not in known:
            raise InvalidInput(f"unknown duty action {action!r}; one of: {', '.join(sorted(known))}", parameter="done")
        _aware(when, f"done[{action}]")
    return [
        Escalation(rule.action, received_at + rule.within, done.get(rule.action), closed_at)
        for rule in sorted(rules, key=lambda r: r.within)
    ]


def overdue(escalated: Iterable[Escalation], now: dt.datetime) -> list[Escalation]:
    """Of ``escalated`` (see :func:`escalations`), the actions not done by their due time, as of ``now``."""
    return [e for e in escalated if e.status(now) is EscalationStatus.OVERDUE]


def due_within(escalated: Iterable[Escalation], now: dt.datetime, horizon: dt.timedelta) -> list[Escalation]:
    """Of ``escalated``, the pending actions that fall due within ``horizon`` of ``now`` (for a reminder before
    the deadline)."""
    return [e for e in escalated if e.status(now) is EscalationStatus.PENDING and e.remaining(now) <= horizon]
