"""Alarm-fatigue analytics (pure functions over alarm histories).

Criteria (monitoring reference §2):

* **Flood** — ISA-18.2: more than 10 alarms in 10 minutes for one operator area. A flood begins
  when a trailing 10-minute interval holds more than 10 alarms and ends when it holds fewer than 5
  (ProSys / exida practice). Some sources say "10 or more"; yingji uses *more than 10*.
* **Chattering** — an alarm (rule × sensor) raised 3 or more times within 60 s (PAS/Hexagon
  starting criterion).
* **Fleeting** — active for less than ``fleeting_s`` (default 5 s) and cleared without operator
  action.
* **Bad actors** — the alarms that raise most; for each, the on/off delays that would have removed
  most of their raises, found by replaying the recorded history through those delays.
"""

from __future__ import annotations

import bisect
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from yingji.monitoring.rules import AlarmRecord

FLOOD_WINDOW_S = 600
FLOOD_START_ABOVE = 10  # > 10 alarms / 10 min
FLOOD_END_BELOW = 5  # < 5 alarms / 10 min
CHATTER_WINDOW_S = 60
CHATTER_COUNT = 3
FLEETING_S = 5.0
# ISA-18.2 typical delays are seconds to a minute (monitoring reference §2); a suggestion never goes
# beyond these, and is only made for alarms that repeat (``min_alarms``).
ON_DELAY_CANDIDATES_S = (5, 10, 15, 30, 60)
OFF_DELAY_CANDIDATES_S = (5, 10, 15, 30, 60, 120, 300)
MIN_ALARMS_FOR_ADVICE = 5


@dataclass(frozen=True)
class FloodPeriod:
    area: str
    start: int
    end: int | None  # None: still in flood at the end of the history
    alarms: int  # raised during the period
    peak_per_window: int


@dataclass(frozen=True)
class KeyCount:
    rule: str
    sensor_id: str
    count: int


@dataclass(frozen=True)
class BadActor:
    rule: str
    sensor_id: str
    alarms: int
    chattering: bool
    fleeting: int
    suggested_on_delay_s: int | None
    suggested_off_delay_s: int | None
    alarms_with_suggestion: int
    advice: str


def flood_periods(
    records: Iterable[AlarmRecord], area_of: Callable[[AlarmRecord], str], *, until: int | None = None
) -> list[FloodPeriod]:
    """Flood periods per operator area (raises counted in a trailing 10-minute window)."""
    by_area: dict[str, list[int]] = defaultdict(list)
    for record in records:
        by_area[area_of(record)].append(record.raised_at)
    out: list[FloodPeriod] = []
    window = FLOOD_WINDOW_S * 1000
    for area in sorted(by_area):
        raises = sorted(by_area[area])
        # counts change when a raise enters (+1 at t) or leaves the window (−1 at t + window)
        changes = sorted([(t, 1) for t in raises] + [(t + window, -1) for t in raises], key=lambda c: (c[0], c[1]))
        count = 0
        start: int | None = None
        peak = 0
        for at, step in changes:
            count += step
            if start is None and count > FLOOD_START_ABOVE:
                start, peak = at, count
            elif start is not None:
                peak = max(peak, count)
                if count < FLOOD_END_BELOW:
                    out.append(FloodPeriod(area, start, at, _raised_between(raises, start, at, window), peak))
                    start = None
        if start is not None:
            end = until
            out.append(FloodPeriod(area, start, None, _raised_between(raises, start, end, window), peak))
    return out


def _raised_between(raises: Sequence[int], start: int, end: int | None, window: int) -> int:
    """Raises that made up the flood: those in the window that opened it through its end."""
    low = bisect.bisect_right(raises, start - window)
    high = len(raises) if end is None else bisect.bisect_right(raises, end)
    return high - low


def time_in_flood(periods: Iterable[FloodPeriod], start: int, end: int) -> float:
    """Fraction of [start, end) spent in flood (ISA-18.2 target: below ~1 %)."""
    if end <= start:
        return 0.0
    covered = 0
    for period in periods:
        lo, hi = max(period.start, start), min(period.end if period.end is not None else end, end)
        covered += max(0, hi - lo)
    return covered / (end - start)


def _by_key(records: Iterable[AlarmRecord]) -> dict[tuple[str, str], list[AlarmRecord]]:
    grouped: dict[tuple[str, str], list[AlarmRecord]] = defaultdict(list)
    for record in records:
        grouped[(record.rule, record.sensor_id)].append(record)
    for items in grouped.values():
        items.sort(key=lambda r: r.raised_at)
    return grouped


def _chatters(raises: Sequence[int]) -> bool:
    window = CHATTER_WINDOW_S * 1000
    return any(raises[i + CHATTER_COUNT - 1] - raises[i] <= window for i in range(len(raises) - CHATTER_COUNT + 1))


def chattering(records: Iterable[AlarmRecord]) -> list[KeyCount]:
    """Alarms raised ≥ 3 times within 60 s somewhere in the history, with their total raises."""
    out = [
        KeyCount(rule, sensor, len(items))
        for (rule, sensor), items in _by_key(records).items()
        if _chatters([r.raised_at for r in items])
    ]
    return sorted(out, key=lambda k: (-k.count, k.rule, k.sensor_id))


def _fleeting_count(items: Iterable[AlarmRecord], fleeting_s: float) -> int:
    limit = fleeting_s * 1000
    return sum(1 for r in items if r.cleared_at is not None and r.cleared_at - r.raised_at < limit)


def fleeting(records: Iterable[AlarmRecord], fleeting_s: float = FLEETING_S) -> list[KeyCount]:
    """Alarms that cleared by themselves within ``fleeting_s`` seconds, counted per rule × sensor."""
    out = []
    for (rule, sensor), items in _by_key(records).items():
        count = _fleeting_count(items, fleeting_s)
        if count:
            out.append(KeyCount(rule, sensor, count))
    return sorted(out, key=lambda k: (-k.count, k.rule, k.sensor_id))


def per_rule_counts(records: Iterable[AlarmRecord]) -> dict[str, int]:
    return dict(Counter(r.rule for r in records).most_common())


def replay_delays(items: Sequence[AlarmRecord], on_delay_s: float, off_delay_s: float) -> int:
    """How many of these alarms (one rule × sensor, time-ordered) an on/off delay would have raised:
    alarms separated by less than the off-delay merge, and merged alarms shorter than the on-delay
    never raise. Open alarms count as lasting."""
    on, off = on_delay_s * 1000, off_delay_s * 1000
    merged: list[tuple[int, int | None]] = []
    for record in items:
        if merged and merged[-1][1] is not None and record.raised_at - merged[-1][1] < off:  # type: ignore[operator]
            merged[-1] = (merged[-1][0], record.cleared_at)
        else:
            merged.append((record.raised_at, record.cleared_at))
    return sum(1 for raised, cleared in merged if cleared is None or cleared - raised >= on)


def bad_actors(
    records: Iterable[AlarmRecord],
    top: int = 10,
    *,
    fleeting_s: float = FLEETING_S,
    min_alarms: int = MIN_ALARMS_FOR_ADVICE,
) -> list[BadActor]:
    """The ``top`` most frequent alarms with delay suggestions replayed from their own history (only
    for alarms raised at least ``min_alarms`` times)."""
    grouped = _by_key(records)
    ranked = sorted(grouped.items(), key=lambda kv: (-len(kv[1]), kv[0]))[:top]
    out = []
    for (rule, sensor), items in ranked:
        count = len(items)
        advise = count >= min_alarms
        on = _smallest_delay(lambda d, h=items: replay_delays(h, d, 0), count, ON_DELAY_CANDIDATES_S, advise)  # type: ignore[misc]
        off = _smallest_delay(lambda d, h=items: replay_delays(h, 0, d), count, OFF_DELAY_CANDIDATES_S, advise)  # type: ignore[misc]
        after = replay_delays(items, on or 0, off or 0)
        chatter = _chatters([r.raised_at for r in items])
        flee = _fleeting_count(items, fleeting_s)
        out.append(
            BadActor(
                rule,
                sensor,
                count,
                chatter,
                flee,
                on,
                off,
                after,
                _advice(on, off, chatter, count, after) if advise else "too few alarms to suggest a change",
            )
        )
    return out


def _smallest_delay(
    raised_with: Callable[[float], int], count: int, candidates: Sequence[int], advise: bool
) -> int | None:
    """The smallest candidate delay that removes at least half of the raises, if any does."""
    if not advise:
        return None
    for delay in candidates:
        if count and raised_with(delay) <= count / 2:
            return delay
    return None


def _advice(on: int | None, off: int | None, chatter: bool, count: int, after: int) -> str:
    parts = []
    if on is not None:
        parts.append(f"on-delay {on} s")
    if off is not None:
        parts.append(f"off-delay {off} s")
    if chatter:
        parts.append("a deadband of ≥ 1–5 % of span (ISA-18.2 typical: pressure 2 %, flow/level 5 %, temperature 1 %)")
    if not parts:
        return "frequent but sustained alarms: review the limit itself or the process condition"
    return f"try {', '.join(parts)}: {count} → {after} alarms over this history"
