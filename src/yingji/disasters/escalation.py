"""When a township's report is overdue (pure; the clock is passed in).

The national regime sets the county's deadline (initial report to the prefecture within 2 hours); how long a
township has to report to its county is local (``YINGJI_DISASTER_TOWNSHIP_INITIAL_HOURS``, status U). A
township with no initial report that was not returned is overdue one instant after ``start + hours``; at
the due instant itself it is still on time. Events older than ``WINDOW`` are no longer chased (U).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

WINDOW = dt.timedelta(days=30)


def initial_due(started_at: dt.datetime, hours: float) -> dt.datetime:
    return started_at + dt.timedelta(hours=hours)


def is_overdue(due: dt.datetime, now: dt.datetime) -> bool:
    """Strictly after the due instant."""
    return now > due


def chased(started_at: dt.datetime, now: dt.datetime) -> bool:
    """Whether an event is still chased for missing initial reports."""
    return started_at <= now <= started_at + WINDOW


def overdue(townships: Iterable[str], reported: set[str], due: dt.datetime, now: dt.datetime) -> list[str]:
    """The townships without a report once the due instant has passed, in order."""
    if not is_overdue(due, now):
        return []
    return [t for t in townships if t not in reported]


def escalation_key(event_id: int, township: str, report_type: str) -> str:
    return f"{report_type}:{event_id}:{township}"
