"""Site rules (compound, rollup): they follow the point alarms event by event (pure)."""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from typing import Any

from yingji.monitoring.rules import arrays
from yingji.monitoring.rules.alarms import AlarmEvent
from yingji.monitoring.rules.ruleset import (
    COLOUR_PRIORITY,
    COLOURS,
    CompoundRule,
    Priority,
    RollupRule,
)

# ----------------------------------------------------------------------------------- site rules


def _colour_rank(colour: str | None) -> int:
    return COLOURS.index(colour) if colour in COLOURS else -1  # type: ignore[arg-type]


class _SiteEngine:
    """Compound (AND/OR) and roll-up rules, following point alarm events in time order."""

    def __init__(self, rules: Sequence[CompoundRule | RollupRule]) -> None:
        self.rules = list(rules)
        # compound: rule id → condition index → active (rule, sensor) keys; rollup: sensor → colours
        self.compound: dict[str, list[list[str]]] = {}
        self.rollup_points: dict[str, dict[str, list[str]]] = {}
        self.level: dict[str, str | None] = {}
        for rule in self.rules:
            if isinstance(rule, CompoundRule):
                self.compound[rule.id] = [[] for _ in rule.conditions]
            else:
                self.rollup_points[rule.id] = {}
            self.level[rule.id] = None

    def follow(self, events: list[AlarmEvent]) -> list[AlarmEvent]:
        if not self.rules or not events:
            return events
        out = list(events)
        for event in events:
            for rule in self.rules:
                if isinstance(rule, CompoundRule):
                    out.extend(self._compound(rule, event))
                else:
                    out.extend(self._rollup(rule, event))
        out.sort(key=arrays.EVENT_ORDER)
        return out

    def _compound(self, rule: CompoundRule, event: AlarmEvent) -> list[AlarmEvent]:
        key = f"{event.rule}\x00{event.sensor_id}"
        touched = False
        for number, condition in enumerate(rule.conditions):
            if condition.rule != event.rule or not fnmatch.fnmatchcase(event.sensor_id, condition.sensors):
                continue
            active = self.compound[rule.id][number]
            if event.raised and key not in active:
                active.append(key)
            elif not event.raised and key in active:
                active.remove(key)
            touched = True
        if not touched:
            return []
        holds = [bool(a) for a in self.compound[rule.id]]
        now_active = all(holds) if rule.op == "all" else any(holds)
        was_active = self.level[rule.id] is not None
        if now_active == was_active:
            return []
        self.level[rule.id] = "active" if now_active else None
        return [AlarmEvent(event.at, now_active, rule.id, rule.site, rule.effective_priority, rule.colour)]

    def _rollup(self, rule: RollupRule, event: AlarmEvent) -> list[AlarmEvent]:
        if event.colour is None or not fnmatch.fnmatchcase(event.sensor_id, rule.sensors):
            return []
        if rule.rules is not None and event.rule not in rule.rules:
            return []
        if event.sensor_id == rule.site:
            return []
        points = self.rollup_points[rule.id]
        colours = points.setdefault(event.sensor_id, [])
        if event.raised:
            colours.append(event.colour)
        elif event.colour in colours:
            colours.remove(event.colour)
        if not colours:
            del points[event.sensor_id]
        new_level = _rollup_level(rule, points)
        old_level = self.level[rule.id]
        if new_level == old_level:
            return []
        self.level[rule.id] = new_level
        out = []
        if old_level is not None:
            out.append(AlarmEvent(event.at, False, rule.id, rule.site, _site_priority(rule, old_level), old_level))
        if new_level is not None:
            out.append(AlarmEvent(event.at, True, rule.id, rule.site, _site_priority(rule, new_level), new_level))
        return out

    def dump(self) -> dict[str, Any]:
        return {"compound": self.compound, "rollup_points": self.rollup_points, "level": self.level}

    def load(self, data: dict[str, Any]) -> None:
        self.compound = {k: [list(a) for a in v] for k, v in data["compound"].items()}
        self.rollup_points = {k: {p: list(c) for p, c in v.items()} for k, v in data["rollup_points"].items()}
        self.level = dict(data["level"])


def _site_priority(rule: RollupRule, colour: str) -> Priority:
    return rule.priority if rule.priority is not None else COLOUR_PRIORITY[colour]


def _rollup_level(rule: RollupRule, points: dict[str, list[str]]) -> str | None:
    """Highest point colour, raised one step where ≥ N points have reached a colour (GB 50863 §5.5)."""
    point_rank = [max(_colour_rank(c) for c in colours) for colours in points.values() if colours]
    if not point_rank:
        return None
    rank = max(point_rank)
    for colour, needed in rule.escalate.items():
        step = _colour_rank(colour)
        if step + 1 < len(COLOURS) and sum(1 for r in point_rank if r >= step) >= needed:
            rank = max(rank, step + 1)
    return COLOURS[rank]
