"""The range of times the platform accepts: from 1900-01-01 to 2200-01-01 UTC.

Why these bounds: they hold every real record (instrumental earthquake catalogues start about 1900;
plans, forecasts and deadlines reach decades ahead), and they stay a day clear of the limits of Python's
``datetime`` (years 1 to 9999), so converting a time between any two UTC offsets (less than 24 hours
apart) can never overflow. Times near those limits reached the database layer and answered 500
(``OverflowError`` converting ``0001-01-01T00:00:00+14:00`` to UTC).

Pure: used by the API's shared schema type (``yingji.api_common.ApiDateTime`` and every ``Schema``), the
database's UTC column (``yingji.db.UTCDateTime``, the last guard), the CLI and the pages.
"""

from __future__ import annotations

import datetime as dt

EARLIEST = dt.datetime(1900, 1, 1, tzinfo=dt.UTC)
LATEST = dt.datetime(2200, 1, 1, tzinfo=dt.UTC)  # exclusive
RANGE_TEXT = "from 1900-01-01T00:00:00Z up to (not including) 2200-01-01T00:00:00Z"

_EARLIEST_WALL = EARLIEST.replace(tzinfo=None)
_LATEST_WALL = LATEST.replace(tzinfo=None)
_MARGIN = dt.timedelta(days=1)  # more than any UTC offset


class TimeOutOfRange(ValueError):
    """A time outside :data:`EARLIEST` … :data:`LATEST`."""


def check(value: dt.datetime) -> dt.datetime:
    """``value`` unchanged when it lies in the range (a naive time is read as UTC), else
    :class:`TimeOutOfRange`. Does no arithmetic that could overflow, whatever the value."""
    wall = value.replace(tzinfo=None)
    if _EARLIEST_WALL - _MARGIN <= wall <= _LATEST_WALL + _MARGIN:
        utc_wall = wall - (value.utcoffset() or dt.timedelta(0))
        if _EARLIEST_WALL <= utc_wall < _LATEST_WALL:
            return value
    raise TimeOutOfRange(f"the time must lie {RANGE_TEXT}")
