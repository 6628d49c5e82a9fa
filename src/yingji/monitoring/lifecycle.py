"""Alarm lifecycle (pure): the ISA-18.2 / IEC 62682 state model, as OPC UA Part 9 §4.8 states it.

Annunciation states (``AlarmState.state``):

=====================  ==========  ============  =========================================
state                  active      acknowledged  meaning
=====================  ==========  ============  =========================================
``normal``             no          yes           nothing to do
``unacknowledged``     yes         no            new alarm: the operator must respond
``acknowledged``       yes         yes           operator knows; condition still present
``rtn_unacknowledged`` no          no            returned to normal before anyone acknowledged
=====================  ==========  ============  =========================================

Orthogonal to these, an alarm can be **shelved** (by an operator, until a time or — one-shot —
until it next clears), **suppressed by design** (logic, e.g. the equipment is stopped) or **out of
service** (maintenance). Such an alarm keeps tracking its condition but is not annunciated.

While an alarm stays unacknowledged it is **re-annunciated** every ``realarm_s`` (OPC UA
ReAlarmTime) and **escalated** — priority one step up — after ``escalate_after_s``.

Every function takes an :class:`AlarmState` and returns a new one plus the :class:`Notice` list the
caller should deliver; nothing reads a clock.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from yingji.errors import Conflict, InvalidInput
from yingji.monitoring.rules.ruleset import Priority

State = Literal["normal", "unacknowledged", "acknowledged", "rtn_unacknowledged"]
NoticeKind = Literal["annunciate", "reannunciate", "escalate", "return_to_normal", "unshelved"]
_PRIORITY_UP: dict[Priority, Priority] = {"low": "medium", "medium": "high", "high": "high"}
MAX_SHELVE_S = 24 * 3600  # OPC UA MaxTimeShelved: a shelve longer than a shift is refused


@dataclass(frozen=True)
class Note:
    at: int
    by: str
    text: str


@dataclass(frozen=True)
class Notice:
    """Something to tell the operators (the delivery channel is the caller's business)."""

    kind: NoticeKind
    at: int
    rule: str
    sensor_id: str
    priority: Priority


@dataclass(frozen=True)
class LifecyclePolicy:
    realarm_s: float | None = 600.0  # re-annunciate an unacknowledged alarm this often (None: never)
    escalate_after_s: float | None = 1800.0  # raise priority one step when unacknowledged this long


@dataclass(frozen=True)
class AlarmState:
    rule: str
    sensor_id: str
    priority: Priority
    active: bool = False
    acknowledged: bool = True
    raised_at: int | None = None
    cleared_at: int | None = None
    acknowledged_at: int | None = None
    acknowledged_by: str | None = None
    shelved_until: int | None = None  # epoch ms; shelving ends at this time
    shelved_one_shot: bool = False  # shelving ends when the alarm next clears
    suppressed: bool = False
    out_of_service: bool = False
    last_annunciated_at: int | None = None
    escalations: int = 0
    base_priority: Priority | None = None
    notes: tuple[Note, ...] = field(default_factory=tuple)

    @property
    def state(self) -> State:
        if self.active:
            return "acknowledged" if self.acknowledged else "unacknowledged"
        return "normal" if self.acknowledged else "rtn_unacknowledged"

    @property
    def shelved(self) -> bool:
        return self.shelved_until is not None or self.shelved_one_shot

    @property
    def annunciated(self) -> bool:
        """Shown to operators: in an unacknowledged or active state and not hidden."""
        hidden = self.shelved or self.suppressed or self.out_of_service
        return self.state != "normal" and not hidden


def new_alarm(rule: str, sensor_id: str, priority: Priority) -> AlarmState:
    return AlarmState(rule=rule, sensor_id=sensor_id, priority=priority, base_priority=priority)


def _notice(alarm: AlarmState, kind: NoticeKind, at: int) -> Notice:
    return Notice(kind, at, alarm.rule, alarm.sensor_id, alarm.priority)


def _hidden(alarm: AlarmState) -> bool:
    return alarm.shelved or alarm.suppressed or alarm.out_of_service


def raise_alarm(alarm: AlarmState, at: int) -> tuple[AlarmState, list[Notice]]:
    """The condition became active: the alarm needs acknowledging again."""
    if alarm.active:
        return alarm, []
    raised = replace(
        alarm,
        active=True,
        acknowledged=False,
        raised_at=at,
        cleared_at=None,
        acknowledged_at=None,
        acknowledged_by=None,
        escalations=0,
        priority=alarm.base_priority or alarm.priority,
    )
    if _hidden(raised):
        return raised, []
    raised = replace(raised, last_annunciated_at=at)
    return raised, [_notice(raised, "annunciate", at)]


def clear_alarm(alarm: AlarmState, at: int) -> tuple[AlarmState, list[Notice]]:
    """The condition returned to normal (to ``normal`` if acknowledged, else ``rtn_unacknowledged``)."""
    if not alarm.active:
        return alarm, []
    cleared = replace(alarm, active=False, cleared_at=at, shelved_one_shot=False)
    notices = [] if _hidden(alarm) else [_notice(cleared, "return_to_normal", at)]
    return cleared, notices


def acknowledge(alarm: AlarmState, at: int, by: str, note: str | None = None) -> AlarmState:
    """Operator acknowledgement; refused (``Conflict``) when there is nothing to acknowledge."""
    if alarm.acknowledged:
        raise Conflict(f"alarm {alarm.rule}/{alarm.sensor_id} is {alarm.state}: nothing to acknowledge")
    acked = replace(alarm, acknowledged=True, acknowledged_at=at, acknowledged_by=by)
    return add_note(acked, at, by, note) if note else acked


def add_note(alarm: AlarmState, at: int, by: str, text: str) -> AlarmState:
    if not text.strip():
        raise InvalidInput("note: text must not be empty")
    return replace(alarm, notes=(*alarm.notes, Note(at, by, text.strip())))


def shelve(
    alarm: AlarmState, at: int, by: str, *, until: int | None = None, one_shot: bool = False, reason: str
) -> AlarmState:
    """Shelve until ``until`` (timed, ≤ 24 h) or, with ``one_shot``, until the alarm next clears."""
    if (until is None) == (not one_shot):
        raise InvalidInput("shelve: give either `until` (timed) or `one_shot`")
    if until is not None and not at < until <= at + MAX_SHELVE_S * 1000:
        raise InvalidInput("shelve: `until` must be in the future and at most 24 h away")
    if one_shot and not alarm.active:
        raise Conflict("shelve: a one-shot shelve needs an active alarm")
    shelved = replace(alarm, shelved_until=until, shelved_one_shot=one_shot)
    return add_note(shelved, at, by, f"shelved: {reason}")


def unshelve(alarm: AlarmState, at: int, by: str | None = None) -> tuple[AlarmState, list[Notice]]:
    if not alarm.shelved:
        return alarm, []
    opened = replace(alarm, shelved_until=None, shelved_one_shot=False)
    if by:
        opened = add_note(opened, at, by, "unshelved")
    if opened.annunciated:
        opened = replace(opened, last_annunciated_at=at)
        return opened, [_notice(opened, "unshelved", at)]
    return opened, []


def set_suppressed(alarm: AlarmState, suppressed: bool) -> AlarmState:
    """Suppression by design (logic decides, e.g. the unit is shut down); no operator note."""
    return replace(alarm, suppressed=suppressed)


def set_out_of_service(alarm: AlarmState, at: int, by: str, out: bool, reason: str) -> AlarmState:
    changed = replace(alarm, out_of_service=out)
    return add_note(changed, at, by, f"{'out of service' if out else 'back in service'}: {reason}")


def tick(alarm: AlarmState, now: int, policy: LifecyclePolicy) -> tuple[AlarmState, list[Notice]]:
    """Time passes: timed shelving ends; unacknowledged alarms re-annunciate and escalate."""
    notices: list[Notice] = []
    if alarm.shelved_until is not None and now >= alarm.shelved_until:
        alarm, notices = unshelve(alarm, alarm.shelved_until)
    if alarm.acknowledged or not alarm.annunciated or alarm.raised_at is None:
        return alarm, notices
    if policy.escalate_after_s is not None:
        due = alarm.raised_at + round(policy.escalate_after_s * 1000) * (alarm.escalations + 1)
        if now >= due and alarm.priority != "high":
            alarm = replace(
                alarm, priority=_PRIORITY_UP[alarm.priority], escalations=alarm.escalations + 1, last_annunciated_at=due
            )
            notices.append(_notice(alarm, "escalate", due))
    if policy.realarm_s is not None and alarm.last_annunciated_at is not None:
        due = alarm.last_annunciated_at + round(policy.realarm_s * 1000)
        if now >= due:
            alarm = replace(alarm, last_annunciated_at=due)
            notices.append(_notice(alarm, "reannunciate", due))
    return alarm, notices
