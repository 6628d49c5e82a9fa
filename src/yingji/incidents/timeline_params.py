"""The parameters of a timeline entry (事件时间线): what a page needs to show the entry in its reader's
language, kept in the entry's ``data`` next to the kind. The writers put them there; entries written before
they did are given them by migration ``dash_0002`` from their text, whose shapes (the writers' former
f-strings) are read here — and only here. Pure: strings and dicts in, a dict out.

Parameters by kind (existing keys are kept, never overwritten):
``created`` title, exercise · ``figures`` source · ``task`` title (+ from, to when it moved) ·
``task.feedback`` title, feedback · ``sitrep`` number, state · ``duty`` channel, received_at, summary ·
``quake_assessment`` magnitude · ``plan`` tasks."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_CREATED = re.compile(r"^(exercise )?incident reported: (.*)$", re.S)
_FIGURES = re.compile(r"^figures changed \((.*?)\): ", re.S)
_TASK_MOVED = re.compile(r"^task (.*): (\w+) → (\w+)$", re.S)
_TASK_ASSIGNED = re.compile(r"^task assigned: (.*)$", re.S)
_FEEDBACK = re.compile(r"^feedback on (.*?): (.*)$", re.S)
_SITREP = re.compile(r"^situation report no\. (\d+) (\w+)$")
_DUTY = re.compile(r"^from the duty desk: (\w+) information received (\S+): (.*)$", re.S)
_MAGNITUDE = re.compile(r": M([0-9.]+)")
_PLAN = re.compile(r": (\d+) tasks created$")
KINDS = ("created", "figures", "task", "task.feedback", "sitrep", "duty", "quake_assessment", "plan")


def _from_text(kind: str, text: str) -> dict[str, Any]:
    if kind == "created" and (m := _CREATED.match(text)):
        return {"title": m.group(2), "exercise": bool(m.group(1))}
    if kind == "figures" and (m := _FIGURES.match(text)):
        return {"source": m.group(1)}
    if kind == "task":
        if m := _TASK_MOVED.match(text):
            return {"title": m.group(1), "from": m.group(2), "to": m.group(3)}
        if m := _TASK_ASSIGNED.match(text):
            return {"title": m.group(1)}
    if kind == "task.feedback" and (m := _FEEDBACK.match(text)):
        return {"title": m.group(1), "feedback": m.group(2)}
    if kind == "sitrep" and (m := _SITREP.match(text)):
        return {"number": int(m.group(1)), "state": m.group(2)}
    if kind == "duty" and (m := _DUTY.match(text)):
        return {"channel": m.group(1), "received_at": m.group(2).rstrip(":"), "summary": m.group(3)}
    if kind == "quake_assessment" and (m := _MAGNITUDE.search(text)):
        return {"magnitude": float(m.group(1))}
    if kind == "plan" and (m := _PLAN.search(text)):
        return {"tasks": int(m.group(1))}
    return {}


def parameters(kind: str, text: str, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The entry's data with the parameters its kind needs (read from the text where missing)."""
    out = dict(data or {})
    for key, value in _from_text(kind, text).items():
        out.setdefault(key, value)
    return out


def needs_migration(kind: str, text: str, data: Mapping[str, Any] | None) -> bool:
    """True when the stored data lacks a parameter its text gives."""
    return kind in KINDS and parameters(kind, text, data) != dict(data or {})
