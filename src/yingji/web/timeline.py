"""Timeline entries in the reader's language: an entry is shown from its kind and parameters through the
message catalogue (``timeline.<kind>``), never as the English sentence the writer stored. Parameters come
from the entry's ``data``; for entries written before a kind carried all of them, from the stored text's
fixed shape (the writers' own f-strings in ``incidents.service``). An unknown kind shows its catalogue
name ``timeline.other`` with the text the writer gave (another domain's free text).

Pure: the translator, the time display and the lookups (task titles, incident title) are passed in."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

Translate = Callable[..., str]
ShowTime = Callable[[dt.datetime | None], str]


def _iso(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        return None


def _level(t: Translate, level: Any) -> str:
    return t(f"level.{level}") if level in (1, 2, 3, 4, "1", "2", "3", "4") else "—"


def _figure_changes(t: Translate, changes: Mapping[str, Any], figure_text: Callable[[str, Any], str]) -> str:
    parts = []
    for name, change in changes.items():
        if not isinstance(change, Mapping):
            continue
        old, new = change.get("old"), change.get("new")
        parts.append(f"{t('figure.' + name)} {figure_text(name, old)} → {figure_text(name, new)}")
    return "；".join(parts)


def describe(
    *,
    t: Translate,
    show_time: ShowTime,
    kind: str,
    text: str,
    data: Mapping[str, Any] | None,
    task_titles: Mapping[int, str],
    figure_text: Callable[[str, Any], str],
) -> str:
    """The entry as one line in the reader's language."""
    d: Mapping[str, Any] = data or {}
    if kind == "created":
        title = str(d.get("title") or text.split(": ", 1)[-1])
        return t("timeline.created_exercise" if text.startswith("exercise ") else "timeline.created", title=title)
    if kind == "status":
        return t("timeline.status", old=t(f"status.{d.get('from')}"), new=t(f"status.{d.get('to')}"))
    if kind == "grading":
        if d.get("level"):
            grade = t(f"grade.{d['grade']}") if d.get("grade") else t("grade.none")
            return t("timeline.grading", grade=grade, level=_level(t, d.get("level")))
        return t("timeline.grading_none")
    if kind.startswith("response."):
        action = kind.split(".", 1)[1]
        return t(f"timeline.response.{action}", level=_level(t, d.get("level")))
    if kind == "figures":
        match = re.match(r"figures changed \((.*)\): ", text)
        source = match.group(1) if match else ""
        return t("timeline.figures", source=source, changes=_figure_changes(t, d, figure_text))
    if kind == "task":
        task_id = d.get("task_id")
        known = task_titles.get(int(task_id), "") if isinstance(task_id, int) else ""
        moved = re.match(r"task (.*): (\w+) → (\w+)$", text)
        if moved:
            return t("timeline.task_moved", title=known or moved.group(1), old=t(f"task.{moved.group(2)}"),
                     new=t(f"task.{moved.group(3)}"))  # fmt: skip
        return t("timeline.task", title=known or text.split(": ", 1)[-1])
    if kind == "task.feedback":
        match = re.match(r"feedback on (.*?): (.*)$", text, re.S)
        return t("timeline.task_feedback", title=match.group(1), feedback=match.group(2)) if match else text
    if kind == "sitrep":
        match = re.match(r"situation report no\. (\d+) (\w+)$", text)
        if match:
            return t(f"timeline.sitrep.{match.group(2)}", n=match.group(1))
    if kind == "report_made":
        return t("timeline.report_made", report=t(f"due.kind.{str(d.get('key', '')).split(':')[0]}"))
    if kind == "report_overdue":
        report = t(f"due.kind.{str(d.get('report', '')).split(':')[0]}")
        return t("timeline.report_overdue", report=report, due=show_time(_iso(d.get("due_at"))))
    if kind == "task_overdue":
        task_id = d.get("task_id")
        late = task_titles.get(int(task_id), "") if isinstance(task_id, int) else ""
        return t("timeline.task_overdue", title=late, due=show_time(_iso(d.get("due_at"))))
    if kind == "duty":
        match = re.match(r"from the duty desk: (\w+) information received (\S+): (.*)$", text, re.S)
        if match:
            return t("timeline.duty", channel=t(f"channel.{match.group(1)}"),
                     at=show_time(_iso(match.group(2).rstrip(":"))), summary=match.group(3))  # fmt: skip
    if kind == "reporter":
        return t("timeline.reporter", reporter=str(d.get("reporter", "")))
    if kind == "updated":
        return t("timeline.updated")
    if kind == "alarm" and d.get("alarm_id") is not None:
        return t("timeline.alarm", alarm=d["alarm_id"])
    if kind == "quake_assessment" and d.get("assessment_id") is not None:
        magnitude = re.search(r": M([0-9.]+)", text)
        return t(
            "timeline.quake",
            id=d["assessment_id"],
            magnitude=magnitude.group(1) if magnitude else "—",
            intensity=f"{float(d.get('max_intensity') or 0):.1f}",
            deaths=f"{float(d.get('expected_deaths') or 0):.0f}",
            level=_level(t, d.get("response_level")),
        )
    if kind == "plan":
        match = re.search(r": (\d+) tasks created$", text)
        return t("timeline.plan", n=match.group(1) if match else "")
    if kind == "relief" and d.get("plan_id") is not None:
        tasks = len(d.get("tasks") or []) + len(d.get("team_tasks") or [])
        return t("timeline.relief", plan=d["plan_id"], transfers=len(d.get("transfers") or []), tasks=tasks)
    return t("timeline.other", text=text)
