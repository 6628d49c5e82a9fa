"""Calendar weeks of the statistics page (pure): Monday 00:00 to Sunday 24:00 in the zone of
``YINGJI_TIMEZONE``, so an incident of a Sunday evening counts in the week it happened in locally."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MAX_WEEKS = 53  # one year of weeks on one page or sheet


@dataclass(frozen=True)
class Period:
    first: dt.date  # a Monday
    weeks: int
    clipped: bool  # the asked period was longer than MAX_WEEKS

    @property
    def last(self) -> dt.date:
        """The Sunday that ends the period."""
        return self.first + dt.timedelta(days=7 * self.weeks - 1)

    def mondays(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=7 * i) for i in range(self.weeks)]

    def bounds(self, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
        """The period's start and end as aware times (local midnights)."""
        start = dt.datetime.combine(self.first, dt.time(), tzinfo=zone)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(), tzinfo=zone)
        return start, end


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def period(first: dt.date | None, last: dt.date | None, today: dt.date, default_weeks: int = 13) -> Period:
    """The calendar weeks from the week holding ``first`` to the week holding ``last`` (default: the
    ``default_weeks`` weeks ending with the current one); reversed dates are swapped; at most MAX_WEEKS,
    keeping the latest."""
    end = monday(last or today)
    start = monday(first) if first else end - dt.timedelta(weeks=default_weeks - 1)
    if start > end:
        start, end = end, start
    weeks = (end - start).days // 7 + 1
    if weeks > MAX_WEEKS:
        return Period(end - dt.timedelta(weeks=MAX_WEEKS - 1), MAX_WEEKS, True)
    return Period(start, weeks, False)


def local_date(text: str | None) -> dt.date | None:
    """A date typed in the filter form (``YYYY-MM-DD``), or None."""
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None
