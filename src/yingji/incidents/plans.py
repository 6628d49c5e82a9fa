"""Digital response plans (数字化预案) as data (pure): which tasks activating a response level creates.

Plans live in ``standards/response_plans.yaml`` (example set, status U; see the file's header). A plan
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


def parse_plans(data: dict[str, Any]) -> tuple[Plan, ...]:
    plans = []
    for raw in data.get("plans", []):
        tasks = []
        for level, items in sorted(raw["levels"].items(), reverse=True):
            for item in items:
                tasks.append(
                    PlanTask(
                        key=str(item["key"]),
                        title=str(item["title"]),
                        organisation=str(item["organisation"]),
                        due_minutes=int(item["due_minutes"]),
                        level=int(level),
                    )
                )
        keys = [t.key for t in tasks]
        if len(keys) != len(set(keys)):
            raise ValueError(f"plan {raw['id']}: task keys must be unique")
        plans.append(
            Plan(
                id=str(raw["id"]),
                title=str(raw["title"]),
                incident_types=tuple(raw["incident_types"]),
                tasks=tuple(tasks),
            )
        )
    return tuple(plans)


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
