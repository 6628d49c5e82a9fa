"""The rule engine: sensor readings in, alarm events out (pure; numpy on the batch path; clock injected).

Semantics (docs/monitoring.md has the long form):

* **Readings.** A batch is evaluated per sensor in arrival order. A reading whose timestamp equals the
  sensor's newest accepted one is a *duplicate* (ignored, never a second alarm); an older one is
  *late* (rejected to the caller's dead letters). Times are integer epoch milliseconds.
* **Condition.** ``limit``/``rate``/``window`` rules compare a signal (the value, its rate of change
  per ``per_s``, or the trailing-window aggregate) with ``high``/``low``: a value ≥ high (≤ low) sets
  the condition, a value < high − deadband (> low + deadband) clears it, values between hold it
  (OPC UA Part 9 B.1.5 deadband). ``flatline``: unchanged for ``duration_s``.
* **Delays.** The signal is sample-and-hold: the condition holds from the reading that set it until
  the reading that changes it. The alarm is raised when a true run has lasted ``on_delay_s``
  (``raised_at`` = run start + on delay) and cleared when a false run has lasted ``off_delay_s``
  (``cleared_at`` = run start + off delay). A batch only uses what its readings prove; ``tick(now)``
  lets the clock extend the newest run of every sensor to ``now`` (real time, or the end of a replay).
* **Stale.** A gap ≥ ``timeout_s`` between readings raises at the older reading + timeout and clears
  at the newer reading; ``tick(now)`` raises it for sensors silent since ``now − timeout``.
* **Site rules** (``compound``, ``rollup``) follow the point alarms event by event.

All state lives in arrays indexed by sensor (plus small dicts for site rules) and round-trips through
:meth:`RuleEngine.checkpoint` / :meth:`RuleEngine.restore`, so a restarted worker resumes exactly.
"""

from __future__ import annotations

import base64
import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from yingji.errors import InvalidInput
from yingji.monitoring.ruleset import (
    COLOUR_PRIORITY,
    COLOURS,
    CompoundRule,
    FlatlineRule,
    LimitRule,
    PointRule,
    Priority,
    RateRule,
    RollupRule,
    RuleSet,
    StaleRule,
    WindowRule,
)

NO_TIME = np.iinfo(np.int64).min  # "never": a sensor with no run / no reading yet
CHECKPOINT_VERSION = 1

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, order=True)
class AlarmEvent:
    """An alarm raised (``raised=True``) or cleared at ``at`` (epoch ms) for a sensor (or a site)."""

    at: int
    raised: bool
    rule: str
    sensor_id: str
    priority: Priority = "medium"
    colour: str | None = None


@dataclass(frozen=True)
class BatchResult:
    """What one batch did: events in time order, and the input positions that were not evaluated."""

    events: list[AlarmEvent]
    evaluated: int
    duplicates: IntArray  # positions (in the caller's batch) of repeated (sensor, ts) readings
    late: IntArray  # positions of readings older than the sensor's newest accepted reading


# ---------------------------------------------------------------------------------- array helpers


def _forward_fill(values: npt.NDArray[Any], marked: BoolArray) -> npt.NDArray[Any]:
    """Each position takes the value at the nearest marked position at or before it (first is marked)."""
    if marked.all():
        return values
    index = np.where(marked, np.arange(len(marked)), 0)
    np.maximum.accumulate(index, out=index)
    return values[index]


def _shift(values: npt.NDArray[Any], first: npt.NDArray[Any], starts: BoolArray) -> npt.NDArray[Any]:
    """The previous row's value within each segment; ``first`` (one per segment) at segment starts."""
    out = np.empty_like(values)
    out[1:] = values[:-1]
    out[starts] = first
    return out


def _segment_starts(sensor: IntArray) -> BoolArray:
    starts = np.empty(len(sensor), dtype=np.bool_)
    if len(sensor):
        starts[0] = True
        np.not_equal(sensor[1:], sensor[:-1], out=starts[1:])
    return starts


def _segment_ends(starts: BoolArray) -> BoolArray:
    ends = np.empty_like(starts)
    if len(starts):
        ends[:-1] = starts[1:]
        ends[-1] = True
    return ends


def _ms(seconds: float) -> int:
    return round(seconds * 1000)


def _encode(array: npt.NDArray[Any]) -> dict[str, Any]:
    data = np.ascontiguousarray(array)
    return {"dtype": data.dtype.str, "data": base64.b64encode(data.tobytes()).decode("ascii")}


def _decode(spec: dict[str, Any]) -> npt.NDArray[Any]:
    return np.frombuffer(base64.b64decode(spec["data"]), dtype=np.dtype(spec["dtype"])).copy()


# ---------------------------------------------------------------------------- per-rule state


@dataclass
class _History:
    """Retained readings of a window rule, as chunks sorted by (sensor, time), with running totals."""

    chunks: list[tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray]] = field(default_factory=list)


class _PointState:
    """State of one point rule, one slot per sensor."""

    ARRAYS = (
        "latched_high",
        "latched_low",
        "run_cond",
        "run_start",
        "active",
        "flat_start",
        "total",
        "count",
        "base_total",
        "base_count",
    )

    def __init__(self, capacity: int) -> None:
        self.latched_high = np.zeros(capacity, np.bool_)
        self.latched_low = np.zeros(capacity, np.bool_)
        self.run_cond = np.zeros(capacity, np.bool_)
        self.run_start = np.full(capacity, NO_TIME, np.int64)
        self.active = np.zeros(capacity, np.bool_)
        self.flat_start = np.full(capacity, NO_TIME, np.int64)
        self.total = np.zeros(capacity, np.float64)  # window rules: running sum / count per sensor
        self.count = np.zeros(capacity, np.int64)
        self.base_total = np.zeros(capacity, np.float64)  # totals at the newest reading dropped from history
        self.base_count = np.zeros(capacity, np.int64)
        self.history = _History()
        self.member = np.zeros(capacity, np.bool_)

    def grow(self, capacity: int) -> None:
        for name in (*self.ARRAYS, "member"):
            old = getattr(self, name)
            fill = NO_TIME if name in ("run_start", "flat_start") else 0
            new = np.full(capacity, fill, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)

    def dump(self, size: int) -> dict[str, Any]:
        out: dict[str, Any] = {name: _encode(getattr(self, name)[:size]) for name in self.ARRAYS}
        out["history"] = [[_encode(a) for a in chunk] for chunk in self.history.chunks]
        return out

    def load(self, data: dict[str, Any]) -> None:
        for name in self.ARRAYS:
            values = _decode(data[name])
            getattr(self, name)[: len(values)] = values
        self.history.chunks = [
            (_decode(c[0]), _decode(c[1]), _decode(c[2]), _decode(c[3]), _decode(c[4])) for c in data["history"]
        ]


# ---------------------------------------------------------------------------- condition signals


def _latch(starts: BoolArray, carried: BoolArray, *, set_mask: BoolArray, clear_mask: BoolArray) -> BoolArray:
    """Deadband latch: set where ``set_mask``, clear where ``clear_mask``, otherwise hold (carried in)."""
    marked = set_mask | clear_mask
    if marked.all():
        return set_mask
    value = set_mask.copy()
    hold_at_start = starts & ~marked
    value[hold_at_start] = carried[hold_at_start[starts]]
    return _forward_fill(value, marked | starts)


def _threshold_condition(
    rule: LimitRule | RateRule | WindowRule,
    signal: FloatArray,
    starts: BoolArray,
    seg_sensor: IntArray,
    ends: BoolArray,
    state: _PointState,
) -> BoolArray:
    condition = np.zeros(len(signal), np.bool_)
    if rule.high is not None:
        high = _latch(
            starts,
            state.latched_high[seg_sensor],
            set_mask=signal >= rule.high,
            clear_mask=signal < rule.high - rule.deadband,
        )
        state.latched_high[seg_sensor] = high[ends]
        condition |= high
    if rule.low is not None:
        low = _latch(
            starts,
            state.latched_low[seg_sensor],
            set_mask=signal <= rule.low,
            clear_mask=signal > rule.low + rule.deadband,
        )
        state.latched_low[seg_sensor] = low[ends]
        condition |= low
    return condition


def _rate_signal(
    rule: RateRule, t: IntArray, x: FloatArray, starts: BoolArray, prev: tuple[IntArray, FloatArray]
) -> FloatArray:
    prev_t = _shift(t, prev[0], starts)
    prev_x = _shift(x, prev[1], starts)
    with np.errstate(divide="ignore", invalid="ignore"):
        rate: FloatArray = (x - prev_x) / (t - prev_t).astype(np.float64) * (rule.per_s * 1000.0)
    rate[prev_t == NO_TIME] = np.nan
    return rate


def _lookup(keys: IntArray, query: IntArray, key_sensor: IntArray, query_sensor: IntArray) -> IntArray:
    """Index of the last key ≤ query of the same sensor, or −1."""
    found = np.searchsorted(keys, query, side="right") - 1
    ok = found >= 0
    ok[ok] = key_sensor[found[ok]] == query_sensor[ok]
    return np.where(ok, found, -1)


def _window_signal(
    rule: WindowRule,
    s: IntArray,
    t: IntArray,
    x: FloatArray,
    starts: BoolArray,
    ends: BoolArray,
    state: _PointState,
    last_ts: IntArray,
) -> FloatArray:
    """Trailing-window aggregate per reading over (t − window, t], history carried across batches."""
    window = _ms(rule.window_s)
    seg_sensor = s[starts]
    # Running totals per sensor: totals at each reading minus totals at the window's left edge.
    seg_index = np.cumsum(starts) - 1
    cum = np.cumsum(x)
    seg_offset = (cum - x)[starts]  # cumulative sum before each segment
    total = cum - seg_offset[seg_index] + state.total[seg_sensor][seg_index]
    count = (np.arange(len(x)) - np.flatnonzero(starts)[seg_index] + 1) + state.count[seg_sensor][seg_index]
    query = t - window
    chunks = state.history.chunks
    lowest = min([int(query.min())] + [int(c[1].min()) for c in chunks if len(c[1])])
    highest = max([int(t.max())] + [int(c[1].max()) for c in chunks if len(c[1])])
    span = highest - lowest + 1
    if span * (max([int(s.max())] + [int(c[0].max()) for c in chunks if len(c[0])]) + 1) >= 2**62:
        raise InvalidInput("batch spans too long a time for the window index; split it")
    query_key = s * span + (query - lowest)
    left_total = state.base_total[s].copy()
    left_count = state.base_count[s].copy()
    left_time = np.full(len(x), NO_TIME, np.int64)
    for cs, ct, ctotal, _cx, ccount in [*chunks, (s, t, total, x, count)]:
        if not len(ct):
            continue
        hit = _lookup(cs * span + (ct - lowest), query_key, cs, s)
        use = hit >= 0
        newer = use & (ct[np.where(use, hit, 0)] > left_time)
        left_time[newer] = ct[hit[newer]]
        left_total[newer] = ctotal[hit[newer]]
        left_count[newer] = ccount[hit[newer]]
    if rule.agg in ("sum", "mean"):
        signal: FloatArray = total - left_total
        if rule.agg == "mean":
            signal = signal / (count - left_count)
    else:
        signal = _window_extreme(rule, s, t, x, chunks, query)
    state.total[seg_sensor] = total[ends]
    state.count[seg_sensor] = count[ends]
    chunks.append((s.copy(), t.copy(), total, x.copy(), count))
    _expire_history(state, last_ts, window)
    return signal


def _window_extreme(
    rule: WindowRule,
    s: IntArray,
    t: IntArray,
    x: FloatArray,
    chunks: list[tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray]],
    query: IntArray,
) -> FloatArray:
    """max/min over the window: all retained rows merged, then a sparse-table range query."""
    all_s = np.concatenate([c[0] for c in chunks] + [s])
    all_t = np.concatenate([c[1] for c in chunks] + [t])
    all_x = np.concatenate([c[3] for c in chunks] + [x])
    order = np.lexsort((all_t, all_s))
    all_s, all_t, all_x = all_s[order], all_t[order], all_x[order]
    if rule.agg == "min":
        all_x = -all_x
    lowest = min(int(all_t.min()), int(query.min()))
    span = int(all_t.max()) - lowest + 1
    keys = all_s * span + (all_t - lowest)
    right = np.searchsorted(keys, s * span + (t - lowest), side="right") - 1
    left = np.searchsorted(keys, s * span + (query - lowest), side="right")
    table = [all_x]
    width = 1
    while width * 2 <= len(all_x):
        prev = table[-1]
        table.append(np.maximum(prev[:-width], prev[width:]))
        width *= 2
    length = right - left + 1
    level = np.floor(np.log2(length)).astype(np.int64)
    out = np.empty(len(s), np.float64)
    for k in np.unique(level):
        rows = level == k
        half = 1 << int(k)
        out[rows] = np.maximum(table[k][left[rows]], table[k][right[rows] - half + 1])
    return -out if rule.agg == "min" else out


def _expire_history(state: _PointState, last_ts: IntArray, window: int) -> None:
    """Drop retained rows older than their sensor's newest reading − window (keeping their totals)."""
    chunks = state.history.chunks
    if len(chunks) <= 4:
        # Only whole chunks from the front (oldest first), so the totals kept as base only move forward.
        while chunks and bool(np.all(chunks[0][1] <= last_ts[chunks[0][0]] - window)):
            _note_base(state, chunks.pop(0))
        return
    merged = [np.concatenate([c[i] for c in chunks]) for i in range(5)]
    order = np.argsort(merged[0], kind="stable")  # chunks are in time order, so this is (sensor, time)
    cs, ct, ctotal, cx, ccount = (m[order] for m in merged)
    expired = ct <= last_ts[cs] - window
    _note_base(state, (cs[expired], ct[expired], ctotal[expired], cx[expired], ccount[expired]))
    live = ~expired
    state.history.chunks = [(cs[live], ct[live], ctotal[live], cx[live], ccount[live])] if live.any() else []


def _note_base(state: _PointState, chunk: tuple[IntArray, IntArray, FloatArray, FloatArray, IntArray]) -> None:
    cs, _ct, ctotal, _cx, ccount = chunk
    if not len(cs):
        return
    ends = _segment_ends(_segment_starts(cs))
    state.base_total[cs[ends]] = ctotal[ends]
    state.base_count[cs[ends]] = ccount[ends]


def _flat_condition(
    rule: FlatlineRule,
    t: IntArray,
    x: FloatArray,
    starts: BoolArray,
    ends: BoolArray,
    seg_sensor: IntArray,
    state: _PointState,
    prev_x: FloatArray,
) -> BoolArray:
    before = _shift(x, prev_x, starts)
    with np.errstate(invalid="ignore"):
        flat = np.abs(x - before) <= rule.tolerance
    value = t.copy()
    carried = state.flat_start[seg_sensor]
    continuing = starts & flat
    value[continuing] = carried[continuing[starts]]
    flat_start = _forward_fill(value, ~flat | starts)
    state.flat_start[seg_sensor] = flat_start[ends]
    condition: BoolArray = flat & (t - flat_start >= _ms(rule.duration_s))
    return condition


# ------------------------------------------------------------------------------ runs and delays


@dataclass(frozen=True)
class _Transitions:
    sensor: IntArray
    at: IntArray
    raised: BoolArray


def _runs(
    s: IntArray,
    t: IntArray,
    condition: BoolArray,
    starts: BoolArray,
    ends: BoolArray,
    state: _PointState,
    *,
    on_delay: int,
    off_delay: int,
) -> _Transitions:
    """Alarm transitions from a condition series: the newest *qualified* run (true runs that held
    ``on_delay``, false runs that held ``off_delay``) decides whether the alarm is active."""
    seg_sensor = s[starts]
    carried_start = state.run_start[seg_sensor]
    is_new = carried_start == NO_TIME
    prev_cond = _shift(condition, np.where(is_new, condition[starts], state.run_cond[seg_sensor]), starts)
    boundary = condition != prev_cond
    start_rows = np.flatnonzero(starts)
    run_value = t.copy()
    run_value[start_rows] = np.where(boundary[start_rows] | is_new, t[start_rows], carried_start)
    run_start = _forward_fill(run_value, boundary | starts)

    bounds = np.flatnonzero(boundary)
    at_start = starts[bounds]
    prev_rows = np.maximum(bounds - 1, 0)
    ended_start = run_start[prev_rows].copy()
    ended_start[at_start] = carried_start[np.searchsorted(start_rows, bounds[at_start])]
    last_rows = np.flatnonzero(ends)
    cand_key = np.concatenate([2 * bounds, 2 * last_rows + 1])
    cand_cond = np.concatenate([prev_cond[bounds], condition[last_rows]])
    cand_start = np.concatenate([ended_start, run_start[last_rows]])
    cand_held = np.concatenate([t[bounds], t[last_rows]])
    state.run_cond[seg_sensor] = condition[last_rows]
    state.run_start[seg_sensor] = run_start[last_rows]
    return _qualify(state, s, cand_key, cand_cond, cand_start, cand_held, on_delay, off_delay, starts)


def _qualify(
    state: _PointState,
    s: IntArray,
    key: IntArray,
    cond: BoolArray,
    start: IntArray,
    held: IntArray,
    on_delay: int,
    off_delay: int,
    starts: BoolArray | None,
) -> _Transitions:
    delay = np.where(cond, on_delay, off_delay)
    qualified = held - start >= delay
    if not qualified.any():
        return _Transitions(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.bool_))
    order = np.argsort(key[qualified], kind="stable")
    rows = (key[qualified] // 2)[order] if starts is not None else key[qualified][order]
    q_cond = cond[qualified][order]
    q_time = (start + delay)[qualified][order]
    sensor = s[rows]
    first = _segment_starts(sensor)
    previous = _shift(q_cond, state.active[sensor[first]], first)
    change = q_cond != previous
    last = _segment_ends(first)
    state.active[sensor[last]] = q_cond[last]
    return _Transitions(sensor[change], q_time[change], q_cond[change])


def _stale_transitions(
    rule: StaleRule, s: IntArray, t: IntArray, starts: BoolArray, state: _PointState, carried_ts: IntArray
) -> _Transitions:
    timeout = _ms(rule.timeout_s)
    seg_sensor = s[starts]
    prev_t = _shift(t, carried_ts, starts)
    gap = (prev_t != NO_TIME) & (t - prev_t >= timeout)
    was_active = np.zeros(len(t), np.bool_)
    was_active[starts] = state.active[seg_sensor]
    raise_rows = gap & ~was_active
    clear_rows = gap | was_active
    state.active[seg_sensor] = False
    sensor = np.concatenate([s[raise_rows], s[clear_rows]])
    at = np.concatenate([prev_t[raise_rows] + timeout, t[clear_rows]])
    raised = np.concatenate([np.ones(int(raise_rows.sum()), np.bool_), np.zeros(int(clear_rows.sum()), np.bool_)])
    return _Transitions(sensor, at, raised)


# ------------------------------------------------------------------------------------ the engine


class RuleEngine:
    """Evaluates a :class:`RuleSet` over batches of readings; all state in arrays indexed by sensor."""

    def __init__(self, ruleset: RuleSet, *, capacity: int = 1024) -> None:
        self.ruleset = ruleset
        self._rules: list[PointRule] = ruleset.point_rules
        self._site_rules = ruleset.site_rules
        self._capacity = max(int(capacity), 16)
        self.sensor_ids: list[str] = []
        self._index: dict[str, int] = {}
        self._last_ts = np.full(self._capacity, NO_TIME, np.int64)
        self._last_value = np.full(self._capacity, np.nan, np.float64)
        self._states = [_PointState(self._capacity) for _ in self._rules]
        self._site = _SiteEngine(self._site_rules)

    # ---- sensors
    def intern(self, sensor_ids: Iterable[str]) -> IntArray:
        """Sensor ids → engine indices (new sensors are registered and matched against the rules)."""
        ids = list(sensor_ids)
        index = self._index
        out = np.empty(len(ids), np.int64)
        for position, sensor_id in enumerate(ids):
            found = index.get(sensor_id)
            if found is None:
                found = self._register(sensor_id)
            out[position] = found
        return out

    def _register(self, sensor_id: str) -> int:
        number = len(self.sensor_ids)
        if number >= self._capacity:
            self._grow(self._capacity * 2)
        self.sensor_ids.append(sensor_id)
        self._index[sensor_id] = number
        for rule, state in zip(self._rules, self._states, strict=True):
            state.member[number] = fnmatch.fnmatchcase(sensor_id, rule.sensors)
        return number

    def _grow(self, capacity: int) -> None:
        self._capacity = capacity
        for name, fill in (("_last_ts", NO_TIME), ("_last_value", np.nan)):
            old = getattr(self, name)
            new = np.full(capacity, fill, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        for state in self._states:
            state.grow(capacity)

    def last_timestamp(self, sensor_id: str) -> int | None:
        found = self._index.get(sensor_id)
        if found is None or self._last_ts[found] == NO_TIME:
            return None
        return int(self._last_ts[found])

    # ---- evaluation
    def evaluate(self, sensor: IntArray, ts: IntArray, value: FloatArray) -> BatchResult:
        """Evaluate one batch (arrival order; ``sensor`` from :meth:`intern`). Pure in the sense that the
        result depends only on the state and the batch; no clock is read."""
        sensor = np.asarray(sensor, np.int64)
        ts = np.asarray(ts, np.int64)
        value = np.asarray(value, np.float64)
        if not (len(sensor) == len(ts) == len(value)):
            raise InvalidInput("sensor, ts and value must have the same length")
        if len(sensor) == 0:
            return BatchResult([], 0, np.empty(0, np.int64), np.empty(0, np.int64))
        if int(sensor.min()) < 0 or int(sensor.max()) >= len(self.sensor_ids):
            raise InvalidInput("sensor index out of range: intern() the sensor ids first")
        in_order = bool(np.all(sensor[1:] >= sensor[:-1]))
        order = np.arange(len(sensor)) if in_order else np.argsort(sensor, kind="stable")
        s, t, x = (sensor, ts, value) if in_order else (sensor[order], ts[order], value[order])
        duplicate, late = self._classify(s, t)
        accepted = ~(duplicate | late)
        if not accepted.all():
            s, t, x = s[accepted], t[accepted], x[accepted]
        transitions = self._evaluate_sorted(s, t, x) if len(s) else []
        events = self._site.follow(self._to_events(transitions))
        return BatchResult(events, len(s), np.sort(order[duplicate]), np.sort(order[late]))

    def _classify(self, s: IntArray, t: IntArray) -> tuple[BoolArray, BoolArray]:
        """Duplicates (ts equal to the newest accepted) and late rows (older), per sensor."""
        starts = _segment_starts(s)
        carried = self._last_ts[s[starts]]
        step = np.empty(len(t), np.bool_)
        step[0] = True
        np.greater(t[1:], t[:-1], out=step[1:])
        step[starts] = t[starts] > carried
        if step.all():  # the common case: every sensor's readings arrive in time order
            return np.zeros(len(t), np.bool_), np.zeros(len(t), np.bool_)
        segment = np.cumsum(starts) - 1
        lowest = min(int(t.min()), int(carried[carried != NO_TIME].min(initial=t.min())))
        span = int(t.max()) - lowest + 2
        key = segment * span + (t - lowest + 1)
        running = np.maximum.accumulate(key) - segment * span + lowest - 1
        before = _shift(running, np.full(len(carried), NO_TIME, np.int64), starts)
        newest = np.maximum(before, np.repeat(carried, np.diff(np.r_[np.flatnonzero(starts), len(t)])))
        return t == newest, t < newest

    def _evaluate_sorted(self, s: IntArray, t: IntArray, x: FloatArray) -> list[tuple[int, _Transitions]]:
        starts = _segment_starts(s)
        ends = _segment_ends(starts)
        seg_sensor = s[starts]
        prev = (self._last_ts[seg_sensor].copy(), self._last_value[seg_sensor].copy())
        self._last_ts[seg_sensor] = t[ends]
        self._last_value[seg_sensor] = x[ends]
        out = []
        for number, (rule, state) in enumerate(zip(self._rules, self._states, strict=True)):
            member = state.member[s]
            if member.all():
                rs, rt, rx, rstarts, rends, rprev = s, t, x, starts, ends, prev
            elif not member.any():
                continue
            else:
                rs, rt, rx = s[member], t[member], x[member]
                rstarts = _segment_starts(rs)
                rends = _segment_ends(rstarts)
                keep = member[starts]
                rprev = (prev[0][keep], prev[1][keep])
            out.append((number, self._evaluate_rule(rule, state, rs, rt, rx, rstarts, rends, rprev)))
        return out

    def _evaluate_rule(
        self,
        rule: PointRule,
        state: _PointState,
        s: IntArray,
        t: IntArray,
        x: FloatArray,
        starts: BoolArray,
        ends: BoolArray,
        prev: tuple[IntArray, FloatArray],
    ) -> _Transitions:
        seg_sensor = s[starts]
        if isinstance(rule, StaleRule):
            return _stale_transitions(rule, s, t, starts, state, prev[0])
        if isinstance(rule, FlatlineRule):
            condition = _flat_condition(rule, t, x, starts, ends, seg_sensor, state, prev[1])
            return _runs(s, t, condition, starts, ends, state, on_delay=0, off_delay=0)
        if isinstance(rule, LimitRule):
            signal = x
        elif isinstance(rule, RateRule):
            signal = _rate_signal(rule, t, x, starts, prev)
        else:
            signal = _window_signal(rule, s, t, x, starts, ends, state, self._last_ts)
        condition = _threshold_condition(rule, signal, starts, seg_sensor, ends, state)
        return _runs(
            s,
            t,
            condition,
            starts,
            ends,
            state,
            on_delay=_ms(rule.on_delay_s),
            off_delay=_ms(rule.off_delay_s),
        )

    def tick(self, now: int) -> list[AlarmEvent]:
        """Let the clock (epoch ms) extend every sensor's newest run to ``now``; raise stale alarms."""
        size = len(self.sensor_ids)
        out = []
        for number, (rule, state) in enumerate(zip(self._rules, self._states, strict=True)):
            sensors = np.flatnonzero(state.member[:size] & (self._last_ts[:size] != NO_TIME))
            if not len(sensors):
                continue
            if isinstance(rule, StaleRule):
                timeout = _ms(rule.timeout_s)
                due = sensors[~state.active[sensors] & (now - self._last_ts[sensors] >= timeout)]
                state.active[due] = True
                moves = _Transitions(due, self._last_ts[due] + timeout, np.ones(len(due), np.bool_))
            elif isinstance(rule, FlatlineRule):
                continue  # flat-line needs readings as evidence
            else:
                sensors = sensors[state.run_start[sensors] != NO_TIME]
                held = np.maximum(np.full(len(sensors), now, np.int64), self._last_ts[sensors])
                moves = _qualify(
                    state,
                    sensors,
                    np.arange(len(sensors)),
                    state.run_cond[sensors],
                    state.run_start[sensors],
                    held,
                    _ms(rule.on_delay_s),
                    _ms(rule.off_delay_s),
                    None,
                )
            out.append((number, moves))
        return self._site.follow(self._to_events(out))

    def _to_events(self, transitions: list[tuple[int, _Transitions]]) -> list[AlarmEvent]:
        events = []
        ids = self.sensor_ids
        for number, moves in transitions:
            rule = self._rules[number]
            priority, colour = rule.effective_priority, rule.colour
            for sensor, at, raised in zip(moves.sensor.tolist(), moves.at.tolist(), moves.raised.tolist(), strict=True):
                events.append(AlarmEvent(at, raised, rule.id, ids[sensor], priority, colour))
        events.sort(key=lambda e: (e.at, e.raised, e.rule, e.sensor_id))
        return events

    # ---- checkpoint
    def checkpoint(self) -> dict[str, Any]:
        """All state as a JSON-safe dict (arrays base64-encoded); :meth:`restore` resumes exactly."""
        size = len(self.sensor_ids)
        return {
            "version": CHECKPOINT_VERSION,
            "rules": [r.id for r in self._rules],
            "sensors": list(self.sensor_ids),
            "last_ts": _encode(self._last_ts[:size]),
            "last_value": _encode(self._last_value[:size]),
            "states": [state.dump(size) for state in self._states],
            "site": self._site.dump(),
        }

    @classmethod
    def restore(cls, ruleset: RuleSet, data: dict[str, Any]) -> RuleEngine:
        """An engine in the state a :meth:`checkpoint` recorded (the rules must be the same ids)."""
        if data.get("version") != CHECKPOINT_VERSION:
            raise InvalidInput(f"checkpoint version {data.get('version')!r} is not {CHECKPOINT_VERSION}")
        engine = cls(ruleset, capacity=max(16, len(data["sensors"])))
        if data["rules"] != [r.id for r in engine._rules]:
            raise InvalidInput("checkpoint was written for other rules; it cannot be restored with these")
        engine.intern(data["sensors"])
        size = len(data["sensors"])
        engine._last_ts[:size] = _decode(data["last_ts"])
        engine._last_value[:size] = _decode(data["last_value"])
        for state, dumped in zip(engine._states, data["states"], strict=True):
            state.load(dumped)
        engine._site.load(data["site"])
        return engine


# ----------------------------------------------------------------------------------- site rules


def _colour_rank(colour: str | None) -> int:
    return COLOURS.index(colour) if colour in COLOURS else -1  # type: ignore[arg-type]


class _SiteEngine:
    """Compound (AND/OR) and roll-up rules, following point alarm events in time order."""

    def __init__(self, rules: Sequence[CompoundRule | RollupRule]) -> None:
        self.rules = list(rules)
        # compound: rule id → condition index → active (rule, sensor) keys; rollup: sensor → colours
        self.compound: dict[str, list[list[str]]] = {}
        self.rollup_points: dict[str, dict[str, list[str]]] = {}
        self.level: dict[str, str | None] = {}
        for rule in self.rules:
            if isinstance(rule, CompoundRule):
                self.compound[rule.id] = [[] for _ in rule.conditions]
            else:
                self.rollup_points[rule.id] = {}
            self.level[rule.id] = None

    def follow(self, events: list[AlarmEvent]) -> list[AlarmEvent]:
        if not self.rules or not events:
            return events
        out = list(events)
        for event in events:
            for rule in self.rules:
                if isinstance(rule, CompoundRule):
                    out.extend(self._compound(rule, event))
                else:
                    out.extend(self._rollup(rule, event))
        out.sort(key=lambda e: (e.at, e.raised, e.rule, e.sensor_id))
        return out

    def _compound(self, rule: CompoundRule, event: AlarmEvent) -> list[AlarmEvent]:
        key = f"{event.rule}\x00{event.sensor_id}"
        touched = False
        for number, condition in enumerate(rule.conditions):
            if condition.rule != event.rule or not fnmatch.fnmatchcase(event.sensor_id, condition.sensors):
                continue
            active = self.compound[rule.id][number]
            if event.raised and key not in active:
                active.append(key)
            elif not event.raised and key in active:
                active.remove(key)
            touched = True
        if not touched:
            return []
        holds = [bool(a) for a in self.compound[rule.id]]
        now_active = all(holds) if rule.op == "all" else any(holds)
        was_active = self.level[rule.id] is not None
        if now_active == was_active:
            return []
        self.level[rule.id] = "active" if now_active else None
        return [AlarmEvent(event.at, now_active, rule.id, rule.site, rule.effective_priority, rule.colour)]

    def _rollup(self, rule: RollupRule, event: AlarmEvent) -> list[AlarmEvent]:
        if event.colour is None or not fnmatch.fnmatchcase(event.sensor_id, rule.sensors):
            return []
        if rule.rules is not None and event.rule not in rule.rules:
            return []
        if event.sensor_id == rule.site:
            return []
        points = self.rollup_points[rule.id]
        colours = points.setdefault(event.sensor_id, [])
        if event.raised:
            colours.append(event.colour)
        elif event.colour in colours:
            colours.remove(event.colour)
        if not colours:
            del points[event.sensor_id]
        new_level = _rollup_level(rule, points)
        old_level = self.level[rule.id]
        if new_level == old_level:
            return []
        self.level[rule.id] = new_level
        out = []
        if old_level is not None:
            out.append(AlarmEvent(event.at, False, rule.id, rule.site, _site_priority(rule, old_level), old_level))
        if new_level is not None:
            out.append(AlarmEvent(event.at, True, rule.id, rule.site, _site_priority(rule, new_level), new_level))
        return out

    def dump(self) -> dict[str, Any]:
        return {"compound": self.compound, "rollup_points": self.rollup_points, "level": self.level}

    def load(self, data: dict[str, Any]) -> None:
        self.compound = {k: [list(a) for a in v] for k, v in data["compound"].items()}
        self.rollup_points = {k: {p: list(c) for p, c in v.items()} for k, v in data["rollup_points"].items()}
        self.level = dict(data["level"])


def _site_priority(rule: RollupRule, colour: str) -> Priority:
    return rule.priority if rule.priority is not None else COLOUR_PRIORITY[colour]


def _rollup_level(rule: RollupRule, points: dict[str, list[str]]) -> str | None:
    """Highest point colour, raised one step where ≥ N points have reached a colour (GB 50863 §5.5)."""
    point_rank = [max(_colour_rank(c) for c in colours) for colours in points.values() if colours]
    if not point_rank:
        return None
    rank = max(point_rank)
    for colour, needed in rule.escalate.items():
        step = _colour_rank(colour)
        if step + 1 < len(COLOURS) and sum(1 for r in point_rank if r >= step) >= needed:
            rank = max(rank, step + 1)
    return COLOURS[rank]


# ------------------------------------------------------------------------------ alarm records


@dataclass
class AlarmRecord:
    """One alarm from raise to clear (``cleared_at`` None while active)."""

    sensor_id: str
    rule: str
    priority: Priority
    raised_at: int
    cleared_at: int | None = None
    colour: str | None = None


def pair_events(
    events: Iterable[AlarmEvent], open_alarms: dict[tuple[str, str], AlarmRecord] | None = None
) -> list[AlarmRecord]:
    """Alarm records from a stream of events (raise opens, clear closes the open one)."""
    records: list[AlarmRecord] = []
    active = open_alarms if open_alarms is not None else {}
    for event in events:
        key = (event.rule, event.sensor_id)
        if event.raised:
            record = AlarmRecord(event.sensor_id, event.rule, event.priority, event.at, None, event.colour)
            active[key] = record
            records.append(record)
        elif key in active:
            active.pop(key).cleared_at = event.at
    return records
