"""Statutory clocks of penalty cases (pure): which regime a case takes, each clock's last day, its state on a
given day. The limits are data (``standards/enforcement/penalty_clocks.yaml``, with sources); the day is
passed in, never read here.

Counting: the start day is not counted. A calendar period of N days ends on start + N; a working-day period
ends on the N-th working day after the start (行政处罚法 2021 第八十五条). A clock ``before`` an event (the
hearing notice) is met when the notice is given at least N working days before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

RUNNING, DUE_SOON, OVERDUE, MET, LATE, WAITING = "running", "due_soon", "overdue", "met", "late", "waiting"


class ClockError(ValueError):
    pass


@dataclass(frozen=True)
class Calendar:
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]  # weekend days that are working days (调休)

    def working(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        return day.weekday() < 5 and day not in self.holidays

    def add(self, start: dt.date, days: int, unit: str) -> dt.date:
        if unit == "calendar":
            return start + dt.timedelta(days=days)
        day, left = start, days
        while left:
            day += dt.timedelta(days=1)
            left -= self.working(day)
        return day

    def subtract_working(self, end: dt.date, days: int) -> dt.date:
        """The latest day from which ``days`` working days still end on or before ``end``."""
        day = end
        while self.add(day, days, "working") > end:
            day -= dt.timedelta(days=1)
        return day


class ClockState(BaseModel):
    """One clock of a case on a day (also the API's ``ClockRead``)."""

    model_config = ConfigDict(frozen=True)

    key: str
    label: dict[str, str]
    start: dt.date | None
    due: dt.date | None
    stopped: dt.date | None
    state: str
    days_left: int | None
    party: bool
    source: str
    status: str


@cache
def rules() -> dict[str, Any]:
    text = (files("yingji.standards") / "enforcement" / "penalty_clocks.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def calendar(data: Mapping[str, Any] | None = None) -> Calendar:
    data = data or rules()
    return Calendar(frozenset(data.get("holidays") or ()), frozenset(data.get("workdays") or ()))


def regime_for(filed: dt.date, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The regime whose ``cases_filed`` range holds the filing date."""
    for regime in (data or rules())["regimes"]:
        span = regime["cases_filed"]
        if span["from"] <= filed and ("until" not in span or filed <= span["until"]):
            result: dict[str, Any] = regime
            return result
    raise ClockError(f"no penalty-clock regime covers cases filed on {filed.isoformat()}")


def regime_by_id(regime_id: str, data: Mapping[str, Any] | None = None) -> dict[str, Any]:
    for regime in (data or rules())["regimes"]:
        if regime["id"] == regime_id:
            result: dict[str, Any] = regime
            return result
    raise ClockError(f"unknown penalty-clock regime {regime_id!r}")


def _stops(clock: Mapping[str, Any]) -> list[str]:
    stops = clock.get("stops", [])
    return [stops] if isinstance(stops, str) else list(stops)


def _judge(due: dt.date, stopped: dt.date | None, today: dt.date, warn: int) -> tuple[str, int | None]:
    if stopped is not None:
        return (MET if stopped <= due else LATE), None
    left = (due - today).days
    if left < 0:
        return OVERDUE, left
    return (DUE_SOON if left <= warn else RUNNING), left


def evaluate(
    regime: Mapping[str, Any],
    events: Mapping[str, dt.date],
    today: dt.date,
    *,
    extension_days: int | None = None,
    data: Mapping[str, Any] | None = None,
) -> list[ClockState]:
    """Every clock of the regime for a case whose events (kind -> day of the first such event) are given.
    ``extension_days`` replaces the decision clock's days when an approved extension applies."""
    data = data or rules()
    cal, warn = calendar(data), int(data.get("warn_days", 0))
    out = []
    for clock in regime["clocks"]:
        common = {"key": clock["key"], "label": dict(clock["label"]), "party": bool(clock.get("party")),
                  "source": clock["source"], "status": clock["status"]}  # fmt: skip
        days = int(clock["days"])
        if clock["key"] == "decision" and extension_days is not None:
            days = extension_days
        if "before" in clock:  # the notice must come at least `days` before the event it announces
            target = events.get(clock["before"])
            if target is None:
                continue
            due = cal.subtract_working(target, days)
            notice = events.get("hearing_notified")
            state, left = _judge(due, notice, today, warn)
            out.append(ClockState(start=None, due=due, stopped=notice, state=state, days_left=left, **common))
            continue
        start = events.get(clock["starts"])
        if start is None:
            out.append(ClockState(start=None, due=None, stopped=None, state=WAITING, days_left=None, **common))
            continue
        due = cal.add(start, days, clock["unit"])
        stopped = min((events[s] for s in _stops(clock) if s in events), default=None)
        state, left = _judge(due, stopped, today, warn)
        out.append(ClockState(start=start, due=due, stopped=stopped, state=state, days_left=left, **common))
    return out


def allowed_extensions(regime: Mapping[str, Any]) -> list[dict[str, Any]]:
    decision = next(c for c in regime["clocks"] if c["key"] == "decision")
    return [dict(e) for e in decision.get("extensions", [])]


def first_days(events: Sequence[tuple[str, dt.date]]) -> dict[str, dt.date]:
    """The day of the first event of each kind."""
    out: dict[str, dt.date] = {}
    for kind, day in events:
        out.setdefault(kind, day)
    return out
