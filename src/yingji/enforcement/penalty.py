"""The steps of an administrative penalty case (pure): which step may follow which, and what each requires.

立案 (filed) → 调查取证 (investigating) → 告知 (notified: 陈述申辩 and, where the penalty allows it, 听证) →
[听证 (hearing) → 听证结束 (heard)] → 决定 (decided) → 送达 (served) → 执行 (executed) → 结案 (closed).
A case may also be closed without a penalty after the investigation (不予处罚 / 撤销立案), with a reason.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from yingji.enforcement import clocks

STATES = ("filed", "investigating", "notified", "hearing", "heard", "decided", "served", "executed", "closed")
# kind -> (states it may follow, state after it; None keeps the state)
STEPS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "investigate": (("filed",), "investigating"),
    "notify": (("investigating",), "notified"),
    "hearing_waived": (("notified",), None),
    "hearing_requested": (("notified",), "hearing"),
    "hearing_notified": (("hearing",), None),
    "heard": (("hearing",), "heard"),
    "extend": (("filed", "investigating", "notified", "hearing", "heard"), None),
    "decide": (("notified", "heard"), "decided"),
    "serve": (("decided",), "served"),
    "execute": (("served",), "executed"),
    "close": (("investigating", "executed"), "closed"),
}
EVENT_OF_STEP = {  # the clock event a step sets (clocks.yaml names events by what happened)
    "investigate": "investigating",
    "notify": "notified",
    "decide": "decided",
    "serve": "served",
    "execute": "executed",
    "heard": "heard",
}


class StepRefused(ValueError):
    pass


@dataclass(frozen=True)
class Step:
    kind: str
    on: dt.date
    hearing_at: dt.date | None = None


def next_state(
    state: str,
    step: Step,
    *,
    filed: dt.date,
    events: Mapping[str, dt.date],
    last_step_on: dt.date | None,
    regime: Mapping[str, object],
    extensions_used: int,
    has_penalty_text: bool,
) -> str:
    """The case's state after ``step`` (``events``: the clock events' first days, as
    :func:`yingji.enforcement.clocks.evaluate` takes them); raise :class:`StepRefused` with the reason otherwise."""
    allowed, after = STEPS.get(step.kind, ((), None))
    if not allowed:
        raise StepRefused(f"unknown step {step.kind!r}")
    if state not in allowed:
        raise StepRefused(f"the step {step.kind} cannot follow the state {state}")
    if step.on < filed:
        raise StepRefused("a step cannot happen before the case was filed")
    latest = last_step_on or filed
    if step.on < latest:
        raise StepRefused(f"a step cannot be dated before the case's last step ({latest.isoformat()})")
    if step.kind == "notify" and not has_penalty_text:
        raise StepRefused("the notice (告知) needs the facts, the legal basis and the proposed penalty")
    if step.kind == "extend" and extensions_used >= len(clocks.allowed_extensions(regime)):
        raise StepRefused("the rules in force for this case allow no (further) extension of the decision period")
    if step.kind == "hearing_notified":
        if step.hearing_at is None:
            raise StepRefused("the hearing notice needs the hearing day (hearing_at)")
        latest_notice = clocks.calendar().subtract_working(step.hearing_at, _notice_days(regime))
        if step.on > latest_notice:
            raise StepRefused(
                f"the hearing must be notified at least {_notice_days(regime)} working days before it "
                f"(for a hearing on {step.hearing_at.isoformat()}: by {latest_notice.isoformat()})"
            )
    if step.kind == "decide" and state == "notified":
        _require_hearing_window_over(step.on, events, regime)
    return after or state


def _notice_days(regime: Mapping[str, object]) -> int:
    rules = regime["clocks"]
    assert isinstance(rules, Sequence)
    return int(next(c for c in rules if c["key"] == "hearing_notice")["days"])


def _require_hearing_window_over(on: dt.date, events: Mapping[str, dt.date], regime: Mapping[str, object]) -> None:
    """A decision after the notice waits for the party's hearing period, unless the party waived it."""
    if "hearing_waived" in events:
        return
    rules = regime["clocks"]
    assert isinstance(rules, Sequence)
    clock = next(c for c in rules if c["key"] == "hearing_request")
    ends = clocks.calendar().add(events["notified"], int(clock["days"]), clock["unit"])
    if on <= ends:
        raise StepRefused(
            f"the party may ask for a hearing until {ends.isoformat()} (行政处罚法第六十四条); decide after that "
            "day, or record that the party waived it"
        )
