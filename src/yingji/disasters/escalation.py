"""When a township's report is overdue (pure; the clock is passed in).

Follow-up reports (续报, zero reports included) are chased on the regime's schedule
(``standards/disasters/regime-2020.yaml``): daily by the local time (09:00 CST, from the day after the event
started), or every n days for the kinds that say so (drought: 10). At each pass the latest follow-up due
instant strictly before the clock is taken; a township that made an initial report is late for it when no
follow-up or verified report (not returned) was submitted after the previous due instant (or the event's
start) and at or before this one.

The national regime sets the county's deadline (initial report to the prefecture within 2 hours); how long a
township has to report to its county is local (``YINGJI_DISASTER_TOWNSHIP_INITIAL_HOURS``, status U). A
township with no initial report that was not returned is overdue one instant after ``start + hours``; at
the due instant itself it is still on time. Events older than ``WINDOW`` are no longer chased (U).

Verified reports (核报) are chased once the event records the day the disaster stabilised
(``DisasterEvent.stabilised_on``): due at the end (24:00 北京时间) of the regime's n-th working day after it
(county → prefecture: 2, ``deadlines.due_at``); a township that made an initial report is late one instant
after that with no verified report that was not returned. They are chased for ``WINDOW`` after the due
instant (the event's own window does not apply: a drought may stabilise months after it started).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from yingji.disasters import deadlines
from yingji.disasters.regime import Deadline

CST = dt.timezone(dt.timedelta(hours=8))  # 北京时间

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


def follow_up_window(
    deadline: Deadline, started_at: dt.datetime, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime] | None:
    """``(after, due)``: the latest follow-up due instant strictly before ``now`` and the instant after which a
    report counts for it; None before the first follow-up is overdue (or when the deadline is no schedule)."""
    if deadline.daily_local_time is not None:
        hours, minutes = (int(p) for p in deadline.daily_local_time.split(":"))
        at = dt.time(hours, minutes)
        due = dt.datetime.combine(now.astimezone(CST).date(), at, CST)
        if not is_overdue(due, now):
            due -= dt.timedelta(days=1)
        first = dt.datetime.combine(started_at.astimezone(CST).date() + dt.timedelta(days=1), at, CST)
        if due < first:
            return None
        return max(due - dt.timedelta(days=1), started_at).astimezone(dt.UTC), due.astimezone(dt.UTC)
    if deadline.every_days is not None:
        period = dt.timedelta(days=deadline.every_days)
        n = (now - started_at) // period
        if not is_overdue(started_at + n * period, now):
            n -= 1
        if n < 1:
            return None
        return started_at + (n - 1) * period, started_at + n * period
    return None


def missed_follow_up(
    initial: Iterable[str], reported_at: dict[str, list[dt.datetime]], after: dt.datetime, due: dt.datetime
) -> list[str]:
    """The townships (of those that made an initial report) with no follow-up submitted in ``(after, due]``."""
    return [t for t in initial if not any(after < at <= due for at in reported_at.get(t, ()))]


def verified_due(deadline: Deadline, started_at: dt.datetime, stabilised_on: dt.date | None) -> dt.datetime | None:
    """When the verified reports are due (None while the event records no day the disaster stabilised)."""
    if stabilised_on is None or deadline.within_working_days is None:
        return None
    return deadlines.due_at(deadline, event_start=started_at, stabilised_on=stabilised_on)


def verified_chased(due: dt.datetime, now: dt.datetime) -> bool:
    """Whether missing verified reports are chased at ``now``: strictly after the due instant, within WINDOW."""
    return is_overdue(due, now) and now <= due + WINDOW


def missed_verified(initial: Iterable[str], verified: set[str]) -> list[str]:
    """The townships (of those that made an initial report) with no verified report, in order."""
    return [t for t in initial if t not in verified]
