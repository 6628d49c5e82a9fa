"""Digital response plans (数字化预案) as data (pure): which tasks activating a response level creates.

The packaged plans live in ``standards/response_plans.yaml`` (example set, status U; see the file's
header); a bureau stores its own plans in the same format (``response_plans.py``), checked here first. A plan
covers some incident types and lists tasks per level (1 highest … 4). Activating level L (or escalating to
it) takes the tasks of L and of every lower level, so a level-2 response includes the level-3 and level-4
work; tasks already created (by key) are not created again.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import yaml

from yingji.errors import InvalidInput
from yingji.incidents.incident_types import IncidentType


@dataclass(frozen=True)
class PlanTask:
    key: str
    title: str
    organisation: str
    due_minutes: int
    level: int


@dataclass(frozen=True)
class Plan:
    id: str
    title: str
    incident_types: tuple[str, ...]
    tasks: tuple[PlanTask, ...]

    def tasks_for(self, level: int) -> list[PlanTask]:
        """Tasks of ``level`` and every lower level (numerically higher), most urgent level last."""
        if not 1 <= level <= 4:
            raise InvalidInput(f"response level must be 1 to 4 (got {level})", parameter="level")
        return [task for task in self.tasks if task.level >= level]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "incident_types": list(self.incident_types),
            "tasks": [
                {
                    "key": t.key,
                    "title": t.title,
                    "organisation": t.organisation,
                    "due_minutes": t.due_minutes,
                    "level": t.level,
                }
                for t in self.tasks
            ],
        }

    def as_document(self) -> dict[str, Any]:
        """The plan in the ``response_plans.yaml`` entry format (levels as JSON's string keys, 4 first)."""
        levels: dict[str, list[dict[str, Any]]] = {}
        for t in self.tasks:
            levels.setdefault(str(t.level), []).append(
                {"key": t.key, "title": t.title, "organisation": t.organisation, "due_minutes": t.due_minutes}
            )
        return {"id": self.id, "title": self.title, "incident_types": list(self.incident_types), "levels": levels}


LEVELS = (1, 2, 3, 4)
MAX_ID = 64  # the stored columns' widths (``incident_tasks.plan_id`` / ``plan_task_key``)
MAX_TEXT = 200


def _text(value: Any, where: str, limit: int = MAX_TEXT) -> str:
    if not isinstance(value, str | int) or isinstance(value, bool) or not str(value).strip():
        raise InvalidInput(f"{where} must be a non-empty text")
    text = str(value).strip()
    if len(text) > limit or "\x00" in text:
        raise InvalidInput(f"{where} must be at most {limit} characters, without NUL")
    return text


def _level(raw: Any, where: str) -> int:
    """A level key: 1 … 4, as YAML's integer or JSON's digit string."""
    text = str(raw).strip()
    if isinstance(raw, bool) or not text.isdigit() or int(text) not in LEVELS:
        raise InvalidInput(f"{where}: level {raw!r} must be 1, 2, 3 or 4 (1 is the highest)")
    return int(text)


def _task(item: Any, level: int, where: str) -> PlanTask:
    if not isinstance(item, dict):
        raise InvalidInput(f"{where} must be a mapping with key, title, organisation, due_minutes")
    minutes = item.get("due_minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 525_600:
        raise InvalidInput(f"{where}: due_minutes must be a whole number of minutes from 1 to 525600 (a year)")
    return PlanTask(
        key=_text(item.get("key"), f"{where}: key", MAX_ID),
        title=_text(item.get("title"), f"{where}: title"),
        organisation=_text(item.get("organisation"), f"{where}: organisation"),
        due_minutes=minutes,
        level=level,
    )


def parse_plan(raw: Any, where: str = "plan") -> Plan:
    """One plan entry in the ``response_plans.yaml`` format, checked; a problem is an :class:`InvalidInput`
    naming where it is (``plan dingri-quake: level 3: task 2: due_minutes …``)."""
    if not isinstance(raw, dict):
        raise InvalidInput(f"{where} must be a mapping with id, title, incident_types, levels")
    plan_id = _text(raw.get("id"), f"{where}: id", MAX_ID)
    where = f"plan {plan_id}"
    title = _text(raw.get("title"), f"{where}: title")
    types = raw.get("incident_types")
    if not isinstance(types, list) or not types:
        raise InvalidInput(f"{where}: incident_types must be a non-empty list")
    known = {t.value for t in IncidentType}
    unknown = [t for t in types if not isinstance(t, str) or t not in known]
    if unknown:
        raise InvalidInput(f"{where}: unknown incident types {unknown}; known: {', '.join(sorted(known))}")
    if len(set(types)) != len(types):
        raise InvalidInput(f"{where}: incident_types lists a type twice")
    levels = raw.get("levels")
    if not isinstance(levels, dict) or not levels:
        raise InvalidInput(f"{where}: levels must map levels (1 to 4) to lists of tasks")
    tasks: list[PlanTask] = []
    parsed = sorted(((_level(k, where), v) for k, v in levels.items()), key=lambda kv: kv[0], reverse=True)
    if len({level for level, _ in parsed}) != len(parsed):
        raise InvalidInput(f"{where}: a level is listed twice")
    for level, items in parsed:
        if not isinstance(items, list):
            raise InvalidInput(f"{where}: level {level} must be a list of tasks")
        tasks.extend(_task(item, level, f"{where}: level {level}: task {i + 1}") for i, item in enumerate(items))
    if not tasks:
        raise InvalidInput(f"{where}: has no task")
    keys = [t.key for t in tasks]
    repeated = sorted({k for k in keys if keys.count(k) > 1})
    if repeated:
        raise InvalidInput(f"{where}: task keys must be unique (repeated: {', '.join(repeated)})")
    return Plan(id=plan_id, title=title, incident_types=tuple(str(t) for t in types), tasks=tuple(tasks))


def parse_plans(data: Any) -> tuple[Plan, ...]:
    """A plan set (``{plans: [...]}``, the format of ``response_plans.yaml``), every plan checked; plan ids
    must be unique within the set."""
    raw_plans = data.get("plans") if isinstance(data, dict) else None
    if not isinstance(raw_plans, list):
        raise InvalidInput("a plan file holds a mapping with a list under 'plans'")
    plans = tuple(parse_plan(raw, f"plan {i + 1}") for i, raw in enumerate(raw_plans))
    ids = [p.id for p in plans]
    repeated = sorted({i for i in ids if ids.count(i) > 1})
    if repeated:
        raise InvalidInput(f"plan ids must be unique within a file (repeated: {', '.join(repeated)})")
    return plans


@cache
def packaged_plans() -> tuple[Plan, ...]:
    text = resources.files("yingji.standards").joinpath("response_plans.yaml").read_text("utf-8")
    return parse_plans(yaml.safe_load(text))


def plan_for(incident_type: str, plans: tuple[Plan, ...] | None = None) -> Plan | None:
    """The plan covering ``incident_type`` (the first listed), or None."""
    for plan in plans if plans is not None else packaged_plans():
        if incident_type in plan.incident_types:
            return plan
    return None
