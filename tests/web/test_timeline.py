"""The incident timeline in the reader's language: every kind the writers store is shown from its kind and
parameters through the catalogue — in Chinese with no English words or ISO times — and in English."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from yingji.web import clock
from yingji.web.figures_pages import display
from yingji.web.i18n import translator
from yingji.web.timeline import describe

ENGLISH = re.compile(r"[A-Za-z]{2,}")
ISO = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
# (kind, stored text, stored data) as the writers in incidents/monitoring/quake/relief/web store them
ENTRIES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("created", "incident reported: 曲当乡滑坡", {"divisions": ["540223000000"]}),
    ("created", "exercise incident reported: 演练火灾", {"divisions": ["540223000000"]}),
    ("status", "status reported → verified: checked on site (复核)", {"from": "reported", "to": "verified"}),
    (
        "grading",
        "grading recommends response level 2 (serious)",
        {"grade": "serious", "level": 2, "rules_version": "production-safety-2024"},
    ),
    ("grading", "grading recommends no response level", {"grade": None, "level": None, "rules_version": "x"}),
    ("response.activate", "response activated: level 3", {"level": 3, "previous": None}),
    ("response.escalate", "response escalated: level 2", {"level": 2, "previous": 3}),
    ("response.de_escalate", "response de-escalated: level 3", {"level": 3, "previous": 2}),
    ("response.end", "response ended", {"level": None, "previous": 3}),
    (
        "figures",
        "figures changed (续报 · 县消防救援大队): deaths 1→12",
        {"deaths": {"old": 1, "new": 12}, "direct_loss_cny": {"old": None, "new": 1_200_000.0}},
    ),
    ("task", "task assigned: 疏散群众", {"task_id": 7}),
    ("task", "task 疏散群众: open → acknowledged", {"task_id": 7}),
    ("task.feedback", "feedback on 疏散群众: 已疏散 120 人", None),
    ("sitrep", "situation report no. 2 drafted", {"report_id": 3}),
    ("sitrep", "situation report no. 2 approved", {"report_id": 3}),
    ("sitrep", "situation report no. 2 published", {"report_id": 3}),
    ("report_made", "report initial made", {"key": "initial"}),
    (
        "report_overdue",
        "report initial of incident 5 (火灾) was due 2026-12-01T01:00:00+00:00",
        {"report": "initial", "due_at": "2026-12-01T01:00:00+00:00"},
    ),
    (
        "task_overdue",
        "overdue task 7 of incident 5 (火灾): 疏散群众 for 消防, due 2026-12-01T01:00:00+00:00, still open",
        {"task_id": 7, "due_at": "2026-12-01T01:00:00+00:00", "status": "open"},
    ),
    (
        "duty",
        "from the duty desk: phone information received 2026-12-06T15:43:19.439601+00:00: 岗嘎镇民房起火",
        {"duty_item_id": 4},
    ),
    ("reporter", "报告人：扎西", {"reporter": "扎西"}),
    ("updated", "details changed: title, description", None),
    (
        "alarm",
        "alarm 9: hc1-lel-level1 on BR-1-LEL raised 2026-07-01T00:02:00+00:00",
        {"alarm_id": 9, "rule": "hc1-lel-level1", "sensor": "BR-1-LEL", "site": "BR-1"},
    ),
    (
        "quake_assessment",
        "earthquake rapid assessment #3: M6.8 Mw, max intensity 9.1, expected deaths 120, response level 1",
        {"assessment_id": 3, "max_intensity": 9.1, "expected_deaths": 120.4, "response_level": 1},
    ),
    ("plan", "plan 地质灾害预案 (县级): 4 tasks created", {"plan": 1}),
    (
        "relief",
        "dispatch plan 2 committed: 3 transfer orders, 5 tasks; unmet 0 of 10 units",
        {"plan_id": 2, "transfers": [1, 2, 3], "tasks": [4, 5, 6], "team_tasks": [7, 8]},
    ),
]


def _line(lang: str, kind: str, text: str, data: dict[str, Any] | None) -> str:
    t = translator(lang)
    return describe(t=t, show_time=lambda v: clock.show(v, "Asia/Shanghai"), kind=kind, text=text, data=data,
                    task_titles={7: "疏散群众"}, figure_text=lambda n, v: display(t, n, v))  # fmt: skip


@pytest.mark.parametrize(("kind", "text", "data"), ENTRIES, ids=[f"{e[0]}-{i}" for i, e in enumerate(ENTRIES)])
def test_every_kind_reads_in_chinese_without_english_or_iso_times(kind: str, text: str, data: Any) -> None:
    line = _line("zh", kind, text, data)
    assert not ENGLISH.findall(line), line
    assert not ISO.search(line), line
    assert not line.startswith("timeline."), line


def test_the_same_entries_read_in_english() -> None:
    line = _line("en", "status", "status reported → verified", {"from": "reported", "to": "verified"})
    assert line == "Status: Reported → Verified"
    assert _line("en", "duty", ENTRIES[19][1], None).startswith("From the duty desk: Phone, received 2026-12-06 23:43")


def test_times_in_the_timeline_are_local_minutes() -> None:
    line = _line("zh", "report_overdue", "", {"report": "initial", "due_at": "2026-12-01T01:00:00+00:00"})
    assert "2026-12-01 09:00" in line
    moment = dt.datetime(2026, 12, 6, 15, 43, 19, 439601, tzinfo=dt.UTC)
    assert clock.show(moment, "Asia/Shanghai") == "2026-12-06 23:43"
