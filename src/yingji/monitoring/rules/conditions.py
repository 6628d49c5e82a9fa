"""Condition signals (limit, rate, window sums and extremes, flatline) and the runs, on/off delays and stale
gaps that turn them into alarm transitions (pure numpy)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from yingji.monitoring.rules import arrays
from yingji.monitoring.rules.arrays import FIXED_POINT, NO_TIME, BoolArray, FloatArray, IntArray
from yingji.monitoring.rules.ruleset import (
    FlatlineRule,
    LimitRule,
    RateRule,
    StaleRule,
    WindowRule,
)
from yingji.monitoring.rules.windows import _Batch, _PointState

# ---------------------------------------------------------------------------- condition signals


def _latch(first_row: IntArray, carried: BoolArray, *, set_mask: BoolArray, clear_mask: BoolArray) -> BoolArray:
    """Deadband latch: set where ``set_mask``, clear where ``clear_mask``, otherwise hold (carried in
    at each segment's first row)."""
    marked = set_mask | clear_mask
    if marked.all():
        return set_mask
    value = set_mask.copy()
    hold = ~marked[first_row]  # segments that open holding their carried state
    value[first_row[hold]] = carried[hold]
    marked[first_row] = True
    return arrays.forward_fill(value, marked)


def _threshold_condition(
    rule: LimitRule | RateRule | WindowRule, signal: FloatArray, batch: _Batch, state: _PointState
) -> BoolArray:
    condition: BoolArray | None = None
    for limit, carried in ((rule.high, state.latched_high), (rule.low, state.latched_low)):
        if limit is None:
            continue
        if carried is state.latched_high:
            set_mask, clear_mask = signal >= limit, signal < limit - rule.deadband
        else:
            set_mask, clear_mask = signal <= limit, signal > limit + rule.deadband
        latched = _latch(batch.first_row, carried[batch.sensors], set_mask=set_mask, clear_mask=clear_mask)
        carried[batch.sensors] = latched[batch.last_row]
        condition = latched if condition is None else condition | latched
    assert condition is not None  # the rule model requires high or low
    return condition


def _rate_signal(rule: RateRule, batch: _Batch) -> FloatArray:
    with np.errstate(divide="ignore", invalid="ignore"):
        rise = np.empty(len(batch.x), np.float64)
        np.subtract(batch.x[1:], batch.x[:-1], out=rise[1:])
        rise[batch.first_row] = batch.x[batch.first_row] - batch.prev_value
        rate: FloatArray = rise / batch.since
        rate *= rule.per_s * 1000.0
    rate[batch.first_ever] = np.nan  # no previous reading: no rate, the condition holds
    return rate


def _count_until(times: IntArray, head: IntArray, count: IntArray, query: IntArray) -> IntArray:
    """For each slot (rows ``head`` … ``head + count − 1`` of ``times``, time-sorted), the number of rows
    with time ≤ ``query`` (binary search, only where the oldest row is that old)."""
    out = np.zeros(len(head), np.int64)
    some = np.flatnonzero(count > 0)
    some = some[times[head[some]] <= query[some]]
    if not len(some):
        return out
    base, q, size = head[some], query[some], count[some]
    low = np.ones(len(some), np.int64)  # rows before ``low`` are ≤ query, rows from ``high`` on are later
    high = size.copy()
    while True:
        open_ = low < high
        if not open_.any():
            break
        mid = (low + high) // 2
        older = times[base + np.minimum(mid, size - 1)] <= q
        low = np.where(open_ & older, mid + 1, low)
        high = np.where(open_ & ~older, mid, high)
    out[some] = low
    return out


def _window_sum(rule: WindowRule, batch: _Batch, state: _PointState) -> FloatArray:
    """Trailing-window sum (or mean) per reading over (t − window, t], readings retained across batches.

    The new readings are appended to their sensors' slots as running sums, so a window's sum is the
    running sum at the reading minus the one just before the window's first row. That row is found
    by a guess checked against its two neighbours: regular sensors keep the same number of readings
    in a window, so the newest reading's edge (found exactly) predicts the others; the guesses that
    fail are searched for exactly."""
    window = arrays.ms_of(rule.window_s)
    store = state.window
    t, present, first_row, counts, last = batch.t, batch.sensors, batch.first_row, batch.counts, batch.last_row
    # Fixed point (1e-6 of the unit) makes running-sum differences exact (int64 wrap-around cancels),
    # so a window's sum does not depend on how the stream was cut into batches (a restart replays to
    # the same alarms).
    scaled = batch.x * FIXED_POINT
    np.rint(scaled, out=scaled)
    values = scaled.astype(np.int64)
    query = t - window  # a window holds the rows later than this
    # the live rows are the previous newest reading's window; the lead row is older than every query
    count = store.count[present]
    start = store.make_room(present, counts)
    # running sums continue from the row before each sensor's new rows (the lead row if none is live)
    running = np.cumsum(values)
    earlier = np.zeros(len(present), np.int64)  # what the cumulative sum holds of earlier sensors
    earlier[1:] = running[first_row[1:] - 1]
    running += np.repeat(store.x[start - 1] - earlier, counts)
    pos = np.arange(len(t))
    pos += np.repeat(start - first_row, counts)  # arena row of each reading
    store.t[pos] = t
    store.x[pos] = running
    head = store.head[present]
    end = start + counts
    # a regular sensor's newest window holds as many rows as the one before
    edge_last = _edges(store.t, head, end, np.maximum(end - np.maximum(count, 1), head), query[last])
    # the row before each window: guessed from the newest reading's reach, kept within the slot
    # (its lead row is older than every query of the batch)
    reach = np.maximum(end - edge_last, 1)  # rows in the newest reading's window (≥ 1 to stay in bounds)
    before_edge = pos - np.repeat(reach, counts)
    floor = np.repeat(head - 1, counts)
    np.maximum(before_edge, floor, out=before_edge)
    ok = np.take(store.t[1:], before_edge) > query  # the guessed first row is inside …
    ok &= np.take(store.t, before_edge) <= query  # … and the row before it outside
    if not ok.all():
        bad = np.flatnonzero(~ok)
        lo = floor[bad] + 1
        before_edge[bad] = lo - 1 + _count_until(store.t, lo, pos[bad] - lo + 1, query[bad])
    signal: FloatArray = (running - np.take(store.x, before_edge)) / FIXED_POINT
    if rule.agg == "mean":
        signal /= pos - before_edge  # readings in each window
    # keep what a later reading's window can still reach: the newest reading's window, per sensor
    store.keep(present, edge_last, end)
    return signal


def _edges(times: IntArray, head: IntArray, end: IntArray, guess: IntArray, query: IntArray) -> IntArray:
    """For each slot (rows ``head`` … ``end − 1`` of ``times``, time-sorted, the row before ``head``
    older than every query), the first row later than ``query``: ``guess`` (``head`` … ``end − 1``)
    where its neighbours confirm it, else a binary search."""
    ok = times[guess] > query
    ok &= times[guess - 1] <= query
    if ok.all():
        return guess
    bad = np.flatnonzero(~ok)
    edges = guess.copy()
    edges[bad] = head[bad] + _count_until(times, head[bad], end[bad] - head[bad], query[bad])
    return edges


def _window_extreme(rule: WindowRule, batch: _Batch, state: _PointState) -> FloatArray:
    """Trailing-window maximum (or minimum) per reading over (t − window, t], readings retained across
    batches. Each present sensor's rows are laid out as [sentinel, retained rows, new rows]."""
    window = arrays.ms_of(rule.window_s)
    store = state.window
    s, t, x, segment = batch.s, batch.t, batch.x, batch.segment
    present, first_row, batch_count, last = batch.sensors, batch.first_row, batch.counts, batch.last_row
    head, count = store.head[present], store.count[present]
    query = t - window
    seg_total = count + batch_count
    padded = seg_total + 1
    sentinel = np.cumsum(padded) - padded  # time NO_TIME: ends every backward look
    seg_offset = sentinel + 1  # first real row of each sensor
    batch_start = seg_offset + count
    batch_pos = np.arange(len(s)) + (batch_start - first_row)[segment]
    merged_t = np.empty(int(padded.sum()), np.int64)
    merged_x = np.empty(len(merged_t), np.float64)
    merged_t[sentinel] = NO_TIME
    merged_x[sentinel] = 0
    merged_t[batch_pos] = t
    merged_x[batch_pos] = x
    retained = arrays.ranges(head, count)
    if len(retained):
        rows = arrays.ranges(seg_offset, count)
        merged_t[rows] = store.t[retained]
        merged_x[rows] = store.x[retained]
    left = _window_edges(merged_t, query, batch_pos, seg_offset, seg_total, batch)
    signal = _range_extreme(merged_x, left, batch_pos, rule.agg)
    # keep what a later reading's window can still reach: the newest reading's window, per sensor
    left_last = left[last]
    keep_from = np.maximum(left_last, batch_start)
    new_count = batch_start + batch_count - keep_from
    appended = arrays.ranges(keep_from, new_count)
    evicted = np.minimum(left_last - seg_offset, count)
    store.replace(present, evicted, merged_t[appended], merged_x[appended], new_count)
    return signal


def _window_edges(
    merged_t: IntArray, query: IntArray, pos: IntArray, seg_offset: IntArray, seg_total: IntArray, batch: _Batch
) -> IntArray:
    """First merged row inside each reading's window (t > query), searching only its sensor's rows.

    Regular sensors keep the same number of readings in a window, so the newest reading's edge
    (found exactly) predicts the others; predictions that fail are searched for exactly."""
    last, segment = batch.last_row, batch.segment
    exact_last = _search_within(merged_t, query[last], seg_offset, seg_total, np.arange(len(seg_offset)))
    reach = pos[last] - exact_last
    guess = pos - reach[segment]
    np.maximum(guess, seg_offset[segment], out=guess)
    ok = merged_t[guess] > query
    ok &= merged_t[guess - 1] <= query  # the row before is outside (or the sentinel)
    if not ok.all():
        bad = np.flatnonzero(~ok)
        guess[bad] = _search_within(merged_t, query[bad], seg_offset, seg_total, segment[bad])
    edges: IntArray = guess
    return edges


def _search_within(
    merged_t: IntArray, query: IntArray, seg_offset: IntArray, seg_total: IntArray, segment: IntArray
) -> IntArray:
    """For each query, the first row of its segment with time > query (segments are time-sorted)."""
    lowest = int(query.min())  # rows older than every query compare the same when clamped to it
    span = max(int(merged_t.max()), int(query.max())) - lowest + 1
    if len(query) * 8 < len(merged_t) or span * (len(seg_offset) + 1) >= 2**62:
        # few queries (or times too far apart for one composite key): binary search in each segment
        low = seg_offset[segment].copy()
        high = low + seg_total[segment]
        while True:
            open_ = low < high
            if not open_.any():
                return low
            mid = (low + high) // 2
            later = merged_t[np.minimum(mid, len(merged_t) - 1)] > query
            high = np.where(open_ & later, mid, high)
            low = np.where(open_ & ~later, mid + 1, low)
    merged_segment = np.repeat(np.arange(len(seg_offset)), seg_total + 1)
    keys = merged_segment * span + (np.maximum(merged_t, lowest) - lowest)
    found: IntArray = np.searchsorted(keys, segment * span + (query - lowest), side="right")
    return found


def _range_extreme(values: npt.NDArray[Any], left: IntArray, right: IntArray, agg: str) -> FloatArray:
    """max (or min) of values[left..right] per query, with a sparse table (O(n log n))."""
    data = -values if agg == "min" else values
    table = [data]
    width = 1
    while width * 2 <= len(data):
        prev = table[-1]
        table.append(np.maximum(prev[:-width], prev[width:]))
        width *= 2
    level = np.floor(np.log2(right - left + 1)).astype(np.int64)
    out = np.empty(len(left), np.float64)
    for k in np.unique(level).tolist():
        rows = level == k
        out[rows] = np.maximum(table[k][left[rows]], table[k][right[rows] - (1 << k) + 1])
    return -out if agg == "min" else out


def _flat_condition(rule: FlatlineRule, batch: _Batch, state: _PointState) -> BoolArray:
    with np.errstate(invalid="ignore"):
        flat = np.abs(batch.x - batch.x_before) <= rule.tolerance
    value = batch.t.copy()
    continuing = flat[batch.first_row]  # segments that open inside a flat run
    value[batch.first_row[continuing]] = state.flat_start[batch.sensors[continuing]]
    marked = ~flat
    marked[batch.first_row] = True
    flat_start = arrays.forward_fill(value, marked)
    state.flat_start[batch.sensors] = flat_start[batch.last_row]
    condition: BoolArray = flat & (batch.t - flat_start >= arrays.ms_of(rule.duration_s))
    return condition


# ------------------------------------------------------------------------------ runs and delays


@dataclass(frozen=True)
class _Transitions:
    sensor: IntArray
    at: IntArray
    raised: BoolArray


def _runs(batch: _Batch, condition: BoolArray, state: _PointState, *, on_delay: int, off_delay: int) -> _Transitions:
    """Alarm transitions from a condition series: the newest *qualified* run (true runs that held
    ``on_delay``, false runs that held ``off_delay``) decides whether the alarm is active."""
    s, t, starts, seg_sensor, start_rows = batch.s, batch.t, batch.starts, batch.sensors, batch.first_row
    carried_start = state.run_start[seg_sensor]
    is_new = carried_start == NO_TIME
    prev_cond = arrays.shift(condition, np.where(is_new, condition[start_rows], state.run_cond[seg_sensor]), start_rows)
    boundary = condition != prev_cond
    bounds = np.flatnonzero(boundary)
    initial = np.where(is_new, t[start_rows], carried_start)  # start of the run each segment opens in

    def run_start_at(rows: IntArray, segment: IntArray) -> IntArray:
        """Start time of the run containing each row: the newest boundary at or before it, if inside
        the row's segment, else the run the segment opened in."""
        if not len(bounds):
            return initial[segment]
        k = np.searchsorted(bounds, rows, "right") - 1
        newest = bounds[np.maximum(k, 0)]
        inside = (k >= 0) & (newest >= start_rows[segment])
        return np.where(inside, t[newest], initial[segment])

    at_start = starts[bounds]
    inner = bounds[~at_start]
    ended_start = np.empty(len(bounds), np.int64)
    ended_start[at_start] = carried_start[np.searchsorted(start_rows, bounds[at_start])]
    ended_start[~at_start] = run_start_at(inner - 1, np.searchsorted(start_rows, inner, "right") - 1)
    last_rows = batch.last_row
    open_start = run_start_at(last_rows, np.arange(len(last_rows)))
    cand_key = np.concatenate([2 * bounds, 2 * last_rows + 1])
    cand_cond = np.concatenate([prev_cond[bounds], condition[last_rows]])
    cand_start = np.concatenate([ended_start, open_start])
    cand_held = np.concatenate([t[bounds], t[last_rows]])
    state.run_cond[seg_sensor] = condition[last_rows]
    state.run_start[seg_sensor] = open_start
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
    first = arrays.segment_starts(sensor)
    previous = arrays.shift(q_cond, state.active[sensor[first]], np.flatnonzero(first))
    change = q_cond != previous
    last = arrays.segment_ends(first)
    state.active[sensor[last]] = q_cond[last]
    return _Transitions(sensor[change], q_time[change], q_cond[change])


def _stale_transitions(rule: StaleRule, batch: _Batch, state: _PointState) -> _Transitions:
    timeout = arrays.ms_of(rule.timeout_s)
    s, t, seg_sensor = batch.s, batch.t, batch.sensors
    gap = batch.since >= timeout
    gap[batch.first_ever] = False
    gap_rows = np.flatnonzero(gap)
    # a stale alarm raised by the clock is still active at the sensor's first new reading
    carried = batch.first_row[state.active[seg_sensor]]
    raise_rows = np.setdiff1d(gap_rows, carried, assume_unique=True)
    clear_rows = np.union1d(gap_rows, carried)
    state.active[seg_sensor] = False
    sensor = np.concatenate([s[raise_rows], s[clear_rows]])
    at = np.concatenate([t[raise_rows] - batch.since[raise_rows] + timeout, t[clear_rows]])
    raised = np.concatenate([np.ones(len(raise_rows), np.bool_), np.zeros(len(clear_rows), np.bool_)])
    return _Transitions(sensor, at, raised)
