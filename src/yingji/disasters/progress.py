"""The progress board and the charts of an event (pure): who has reported, and the totals over time."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from yingji.disasters import review

CST = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class TownshipProgress:
    code: str
    initial: str  # none | returned | submitted | accepted
    latest_status: str  # the status of the township's latest report, or ""
    reports: int
    escalated: bool


def township_progress(
    townships: Sequence[str], reports: Iterable[tuple[str, str, str]], escalated: set[str]
) -> list[TownshipProgress]:
    """``reports``: (township, report_type, status) in submission order."""
    initial: dict[str, str] = {}
    latest: dict[str, str] = {}
    count: dict[str, int] = {}
    for township, report_type, status in reports:
        latest[township] = status
        count[township] = count.get(township, 0) + 1
        if report_type == "initial":
            state = "returned" if status == review.RETURNED else "accepted" if status in review.COUNTED else "submitted"
            if initial.get(township) in (None, "returned") or state != "returned":
                initial[township] = state
    return [
        TownshipProgress(t, initial.get(t, "none"), latest.get(t, ""), count.get(t, 0), t in escalated)
        for t in townships
    ]


def totals_over_time(
    accepted: Iterable[tuple[dt.datetime, str, Mapping[str, int]]], fields: Sequence[str], tz: ZoneInfo = CST
) -> tuple[list[str], dict[str, list[int]]]:
    """Per local day with an accepted report: the sum over townships of each one's latest accepted figures as
    of that day's end. ``accepted``: (submitted_at, township, figures) in submission order."""
    rows = sorted(accepted, key=lambda r: r[0])
    days: list[str] = []
    series: dict[str, list[int]] = {f: [] for f in fields}
    latest: dict[str, Mapping[str, int]] = {}
    for i, (at, township, figures) in enumerate(rows):
        latest[township] = figures
        day = at.astimezone(tz).date().isoformat()
        following = rows[i + 1][0].astimezone(tz).date().isoformat() if i + 1 < len(rows) else None
        if following != day:
            days.append(day)
            for f in fields:
                series[f].append(sum(int(v.get(f, 0)) for v in latest.values()))
    return days, series
