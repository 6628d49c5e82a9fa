"""Timeline entries in the reader's language: an entry is shown from its kind and parameters through the
message catalogue (``timeline.<kind>``), never as the English sentence the writer stored. Parameters come
from the entry's ``data`` (the writers store them; migration ``dash_0002`` gave them to older rows —
``incidents.timeline_params``). An unknown kind shows its catalogue name ``timeline.other`` with the text
the writer gave (another domain's free text).

Pure: the translator, the time display and the lookups (task titles, incident title) are passed in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from yingji.incidents import timeline_params

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
    d: Mapping[str, Any] = timeline_params.parameters(kind, text, data)  # a row a migration has not reached
    if kind == "created":
        key = "timeline.created_exercise" if d.get("exercise") else "timeline.created"
        return t(key, title=str(d.get("title", "")))
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
        return t("timeline.figures", source=str(d.get("source", "")), changes=_figure_changes(t, d, figure_text))
    if kind == "task":
        task_id = d.get("task_id")
        known = task_titles.get(int(task_id), "") if isinstance(task_id, int) else ""
        title = known or str(d.get("title", ""))
        if d.get("from") and d.get("to"):
            return t("timeline.task_moved", title=title, old=t(f"task.{d['from']}"), new=t(f"task.{d['to']}"))
        return t("timeline.task", title=title)
    if kind == "task.feedback" and "feedback" in d:
        return t("timeline.task_feedback", title=str(d.get("title", "")), feedback=str(d["feedback"]))
    if kind == "sitrep" and d.get("number") is not None and d.get("state"):
        return t(f"timeline.sitrep.{d['state']}", n=d["number"])
    if kind == "report_made":
        return t("timeline.report_made", report=t(f"due.kind.{str(d.get('key', '')).split(':')[0]}"))
    if kind == "report_overdue":
        report = t(f"due.kind.{str(d.get('report', '')).split(':')[0]}")
        return t("timeline.report_overdue", report=report, due=show_time(_iso(d.get("due_at"))))
    if kind == "task_overdue":
        task_id = d.get("task_id")
        late = task_titles.get(int(task_id), "") if isinstance(task_id, int) else ""
        return t("timeline.task_overdue", title=late, due=show_time(_iso(d.get("due_at"))))
    if kind == "duty" and d.get("channel"):
        return t("timeline.duty", channel=t(f"channel.{d['channel']}"), at=show_time(_iso(d.get("received_at"))),
                 summary=str(d.get("summary", "")))  # fmt: skip
    if kind == "reporter":
        return t("timeline.reporter", reporter=str(d.get("reporter", "")))
    if kind == "updated":
        return t("timeline.updated")
    if kind == "alarm" and d.get("alarm_id") is not None:
        return t("timeline.alarm", alarm=d["alarm_id"])
    if kind == "quake_assessment" and d.get("assessment_id") is not None:
        magnitude = d.get("magnitude")
        return t(
            "timeline.quake",
            id=d["assessment_id"],
            magnitude=f"{float(magnitude):.1f}" if magnitude is not None else "—",
            intensity=f"{float(d.get('max_intensity') or 0):.1f}",
            deaths=f"{float(d.get('expected_deaths') or 0):.0f}",
            level=_level(t, d.get("response_level")),
        )
    if kind == "plan":
        return t("timeline.plan", n=d.get("tasks", ""))
    if kind == "relief" and d.get("plan_id") is not None:
        tasks = len(d.get("tasks") or []) + len(d.get("team_tasks") or [])
        return t("timeline.relief", plan=d["plan_id"], transfers=len(d.get("transfers") or []), tasks=tasks)
    return t("timeline.other", text=text)
