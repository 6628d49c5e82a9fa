"""Response-time metrics over plain incident records (pure).

Intervals (docs/sources.md §D4), in seconds:

* ``first_report`` — occurred → first reported (接报);
* ``verification`` — reported → verified;
* ``response`` — reported → response activated;
* ``closure`` — reported → closed.

Exercises (演练) never count. A record lacking either end of an interval does not count for it (the
interval has not happened yet); an interval with its end before its start is a data error, left out and
counted as ``invalid``. Records are grouped by incident type, by division (optionally cut to a prefix:
2 digits = province, 4 = city, 6 = county), by both, or not at all.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from yingji.errors import InvalidInput

Interval = Literal["first_report", "verification", "response", "closure"]
INTERVALS: dict[Interval, tuple[str, str]] = {
    "first_report": ("occurred_at", "reported_at"),
    "verification": ("reported_at", "verified_at"),
    "response": ("reported_at", "response_at"),
    "closure": ("reported_at", "closed_at"),
}
GroupField = Literal["incident_type", "division"]


@dataclass(frozen=True)
class IncidentRecord:
    incident_type: str
    division_code: str
    occurred_at: dt.datetime | None
    reported_at: dt.datetime | None
    verified_at: dt.datetime | None = None
    response_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    exercise: bool = False


@dataclass(frozen=True)
class IntervalSummary:
    count: int
    invalid: int
    mean_s: float | None
    median_s: float | None
    p90_s: float | None
    max_s: float | None


def interval_seconds(record: IncidentRecord, interval: Interval) -> float | None:
    """The interval in seconds, or ``None`` if either end is unknown. May be negative (a data error)."""
    start_name, end_name = INTERVALS[interval]
    start, end = getattr(record, start_name), getattr(record, end_name)
    if start is None or end is None:
        return None
    return float((end - start).total_seconds())


def _nearest_rank(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (the smallest value with at least ``fraction`` of the values at or below)."""
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(values: Iterable[float | None]) -> IntervalSummary:
    known = [v for v in values if v is not None]
    valid = sorted(v for v in known if v >= 0)
    invalid = len(known) - len(valid)
    if not valid:
        return IntervalSummary(0, invalid, None, None, None, None)
    return IntervalSummary(
        count=len(valid),
        invalid=invalid,
        mean_s=statistics.fmean(valid),
        median_s=statistics.median(valid),
        p90_s=_nearest_rank(valid, 0.9),
        max_s=valid[-1],
    )


def _group_key(record: IncidentRecord, by: Sequence[GroupField], division_digits: int | None) -> tuple[str, ...]:
    key: list[str] = []
    for name in by:
        if name == "incident_type":
            key.append(record.incident_type)
        else:
            code = record.division_code
            key.append(code[:division_digits] if division_digits else code)
    return tuple(key)


def response_times(
    records: Iterable[IncidentRecord],
    *,
    by: Sequence[GroupField] = ("incident_type", "division"),
    division_digits: int | None = None,
) -> dict[tuple[str, ...], dict[Interval, IntervalSummary]]:
    """Summaries of every interval per group (key: the values of ``by`` in order; ``()`` = everything).
    Exercises are left out."""
    for name in by:
        if name not in ("incident_type", "division"):
            raise InvalidInput(f"cannot group by {name!r}; use incident_type and/or division", parameter="by")
    if division_digits is not None and division_digits <= 0:
        raise InvalidInput("division_digits must be positive", parameter="division_digits")
    groups: dict[tuple[str, ...], list[IncidentRecord]] = defaultdict(list)
    for record in records:
        if not record.exercise:
            groups[_group_key(record, by, division_digits)].append(record)
    return {
        key: {interval: summarise(interval_seconds(r, interval) for r in members) for interval in INTERVALS}
        for key, members in sorted(groups.items())
    }
