"""When a report is due under the regime's deadlines (pure; the clock is passed in, never read).

* ``within_hours``: the event's start plus the hours (初报: county → prefecture within 2 h);
* ``daily_local_time``: the given local day at that clock time, China Standard Time (续报 by 09:00);
* ``every_days``: the n-th follow-up is due n × days after the start (drought 续报 every 10 days);
* ``within_working_days``: the end (24:00 local) of the n-th working day (Monday–Friday) after the day
  the disaster stabilised (核报). Public holidays and make-up working days are not encoded.

A report made exactly at its due instant is on time; one instant later it is late.
"""

from __future__ import annotations

import datetime as dt

from yingji.disasters.regime import Deadline

CST = dt.timezone(dt.timedelta(hours=8))  # 北京时间, no daylight saving


def local_day(moment: dt.datetime) -> dt.date:
    """The calendar day (北京时间) of an instant (a naive one is taken as UTC, as the database returns it)."""
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).astimezone(CST).date()


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.tzinfo is None:
        raise ValueError(f"{name} must carry a time zone")
    return value


def due_at(
    deadline: Deadline,
    *,
    event_start: dt.datetime,
    local_day: dt.date | None = None,
    nth: int = 1,
    stabilised_on: dt.date | None = None,
) -> dt.datetime:
    """The instant (UTC) a report under ``deadline`` is due."""
    start = _aware(event_start, "event_start")
    if deadline.within_hours is not None:
        return (start + dt.timedelta(hours=deadline.within_hours)).astimezone(dt.UTC)
    if deadline.daily_local_time is not None:
        if local_day is None:
            raise ValueError("a daily deadline needs the local day of the report")
        hours, minutes = (int(p) for p in deadline.daily_local_time.split(":"))
        return dt.datetime.combine(local_day, dt.time(hours, minutes), CST).astimezone(dt.UTC)
    if deadline.every_days is not None:
        if nth < 1:
            raise ValueError("follow-ups are counted from 1")
        return (start + dt.timedelta(days=deadline.every_days * nth)).astimezone(dt.UTC)
    if deadline.within_working_days is not None:
        if stabilised_on is None:
            raise ValueError("a verified-report deadline needs the day the disaster stabilised")
        day, left = stabilised_on, deadline.within_working_days
        while left:
            day += dt.timedelta(days=1)
            if day.weekday() < 5:
                left -= 1
        return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 0), CST).astimezone(dt.UTC)
    raise ValueError(f"deadline {deadline.report}/{deadline.kind} gives no time")


def is_late(due: dt.datetime, *, reported_at: dt.datetime) -> bool:
    """Late only after the due instant."""
    return _aware(reported_at, "reported_at") > _aware(due, "due")
