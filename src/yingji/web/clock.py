"""Local times of the pages: shown and read in the zone of ``YINGJI_TIMEZONE`` (default Asia/Shanghai) as
``YYYY-MM-DD HH:MM`` — no ``T``, offset or fractional seconds, which duty officers do not read."""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo

SHOWN = "%Y-%m-%d %H:%M"


@cache
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def show(value: dt.datetime | None, zone_name: str) -> str:
    """An aware time as the pages show it; a naive one is taken as UTC (the database's clock)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone(zone_name)).strftime(SHOWN)


def for_input(value: dt.datetime, zone_name: str) -> str:
    """The value of an ``<input type=datetime-local>`` (minutes)."""
    return value.astimezone(zone(zone_name)).strftime("%Y-%m-%dT%H:%M")


def read(text: str, zone_name: str) -> dt.datetime | None:
    """A local date and time typed in a form (``YYYY-MM-DD HH:MM``, the ``T`` form of datetime-local, or a
    date alone for midnight) as an aware time; None if it is not one. A time given with its own offset
    keeps it."""
    text = text.strip()
    if not text:
        return None
    try:
        value = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone(zone_name))
    return value
