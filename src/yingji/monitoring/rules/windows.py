"""Per-rule state of the rule engine: point state, the arena of retained readings for window rules, and one
batch sorted by sensor (pure numpy)."""

from __future__ import annotations

import copy
import functools
from typing import Any

import numpy as np
import numpy.typing as npt

from yingji.monitoring.rules import arrays
from yingji.monitoring.rules.arrays import NO_TIME, BoolArray, FloatArray, IntArray

# ---------------------------------------------------------------------------- per-rule state


class _PointState:
    """State of one point rule, one slot per sensor (window rules also keep their retained readings)."""

    ARRAYS = ("latched_high", "latched_low", "run_cond", "run_start", "active", "flat_start")

    def __init__(self, capacity: int, *, cumulative: bool = False) -> None:
        self.latched_high = np.zeros(capacity, np.bool_)
        self.latched_low = np.zeros(capacity, np.bool_)
        self.run_cond = np.zeros(capacity, np.bool_)
        self.run_start = np.full(capacity, NO_TIME, np.int64)
        self.active = np.zeros(capacity, np.bool_)
        self.flat_start = np.full(capacity, NO_TIME, np.int64)
        self.member = np.zeros(capacity, np.bool_)
        self.members = 0
        # window rules: readings still inside some window (sum/mean windows keep running sums)
        self.window = _WindowStore(capacity, cumulative=cumulative)

    def grow(self, capacity: int) -> None:
        for name in (*self.ARRAYS, "member"):
            old = getattr(self, name)
            fill = NO_TIME if name in ("run_start", "flat_start") else 0
            new = np.full(capacity, fill, old.dtype)
            new[: len(old)] = old
            setattr(self, name, new)
        self.window.grow(capacity)

    def dump(self, size: int, raw: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {name: arrays.encode(getattr(self, name)[:size], raw) for name in self.ARRAYS}
        out["history"] = [arrays.encode(a, raw) for a in self.window.history(size)]  # sorted by (sensor, time)
        return out

    def load(self, data: dict[str, Any]) -> None:
        for name in self.ARRAYS:
            values = arrays.decode(data[name])
            getattr(self, name)[: len(values)] = values
        hist_s, hist_t, hist_x = (arrays.decode(a) for a in data["history"])
        self.window.load(hist_s, hist_t, hist_x)

    def copy(self) -> _PointState:
        other = copy.copy(self)
        for name in (*self.ARRAYS, "member"):
            setattr(other, name, getattr(self, name).copy())
        other.window = self.window.copy()
        return other


MIN_SLOT = 8
COMPACT_MIN = 1 << 16  # abandoned arena rows tolerated before compaction (when also > half)


def _slot_size(count: IntArray) -> IntArray:
    """Slot capacity for ``count`` rows: a power of two with room for as many again (at least 8)."""
    need = np.maximum(2 * count, MIN_SLOT)
    out: IntArray = np.left_shift(1, np.ceil(np.log2(need)).astype(np.int64))
    return out


class _WindowStore:
    """A window rule's retained readings. Each sensor has a contiguous slot in one arena holding its
    live rows in time order (``count`` of them from ``head``), so a batch touches only the rows it
    appends or evicts, never the rows of other sensors. A slot that fills up slides its rows to its
    start when it is at most half full (a cumulative store's: three quarters), else moves to the
    arena's end twice as large; the arena is compacted when abandoned slots are more than half of it.

    A *cumulative* store (sum and mean windows) keeps in ``x`` each sensor's running fixed-point sum
    up to and including the row, and one *lead* row before ``head``: the newest evicted reading (or,
    for a new slot, time ``NO_TIME`` and sum 0). A window's sum is then the difference of two rows,
    and the new readings of a batch are written straight into the slots, where their windows are
    searched; no readings are copied to evaluate a batch. Without ``cumulative``, ``x`` holds the
    values themselves (max and min windows)."""

    PER_SENSOR = ("offset", "cap", "head", "count")

    def __init__(self, capacity: int, *, cumulative: bool = False) -> None:
        self.lead = 1 if cumulative else 0  # rows kept before ``head``
        self._reset(capacity)

    def _reset(self, capacity: int) -> None:
        self.t = np.empty(0, np.int64)
        self.x: npt.NDArray[Any] = np.empty(0, np.int64 if self.lead else np.float64)
        self.used = 0  # arena rows handed out to slots
        self.garbage = 0  # arena rows of abandoned slots
        self.offset = np.zeros(capacity, np.int64)
        self.cap = np.zeros(capacity, np.int64)
        self.head = np.zeros(capacity, np.int64)
        self.count = np.zeros(capacity, np.int64)

    def grow(self, capacity: int) -> None:
        for name in self.PER_SENSOR:
            old = getattr(self, name)
            new = np.zeros(capacity, np.int64)
            new[: len(old)] = old
            setattr(self, name, new)

    def copy(self) -> _WindowStore:
        other = copy.copy(self)
        other.t, other.x = self.t[: self.used].copy(), self.x[: self.used].copy()
        for name in self.PER_SENSOR:
            setattr(other, name, getattr(self, name).copy())
        return other

    def history(self, size: int) -> tuple[IntArray, IntArray, npt.NDArray[Any]]:
        """Live rows as (sensor, time, value), sorted by sensor then time (values, not running sums)."""
        sensors = np.flatnonzero(self.count[:size])
        rows = arrays.ranges(self.head[sensors], self.count[sensors])
        values = self.x[rows] - self.x[rows - 1] if self.lead else self.x[rows]
        return np.repeat(sensors, self.count[sensors]), self.t[rows], values

    def load(self, s: IntArray, t: IntArray, x: npt.NDArray[Any]) -> None:
        """Live rows from :meth:`history` (sorted by sensor then time)."""
        counts = np.bincount(s, minlength=len(self.count)).astype(np.int64)
        self._reset(len(counts))
        sensors = np.flatnonzero(counts)
        if not self.lead:
            self._place(sensors, counts[sensors], t, x)
            return
        # each sensor's rows behind a lead row (time NO_TIME); one running sum over all of them
        # serves, as only differences within a sensor are read
        rows = counts[sensors] + 1
        lead = np.cumsum(rows) - rows
        live = np.ones(int(rows.sum()), np.bool_)
        live[lead] = False
        times = np.full(len(live), NO_TIME, np.int64)
        times[live] = t
        sums = np.zeros(len(live), np.int64)
        sums[live] = x
        np.cumsum(sums, out=sums)
        self._place(sensors, rows, times, sums)

    def _place(
        self, sensors: IntArray, counts: IntArray, t: IntArray, x: npt.NDArray[Any], room: IntArray | None = None
    ) -> None:
        """Give ``sensors`` new slots at the arena's end (sized for ``room`` rows, default ``counts``)
        holding ``t``/``x`` (sensor by sensor; ``counts`` includes the lead row)."""
        caps = _slot_size(counts if room is None else room)
        offsets = self.used + np.cumsum(caps) - caps
        self._reserve(self.used + int(caps.sum()), x.dtype)
        self.garbage += int(self.cap[sensors].sum())
        self.used += int(caps.sum())
        rows = arrays.ranges(offsets, counts)
        self.t[rows] = t
        self.x[rows] = x
        self.offset[sensors] = offsets
        self.head[sensors] = offsets + self.lead
        self.cap[sensors] = caps
        self.count[sensors] = counts - self.lead

    def _reserve(self, size: int, dtype: np.dtype[Any]) -> None:
        if size <= len(self.t) and self.x.dtype == dtype:
            return
        length = max(size, 2 * len(self.t))
        t = np.empty(length, np.int64)
        x = np.empty(length, dtype)
        t[: self.used] = self.t[: self.used]
        x[: self.used] = self.x[: self.used]
        self.t, self.x = t, x

    def replace(
        self, sensors: IntArray, evicted: IntArray, new_t: IntArray, new_x: npt.NDArray[Any], new_count: IntArray
    ) -> None:
        """Drop the ``evicted`` oldest rows of each sensor and append its ``new_count`` rows
        (``new_t``/``new_x``, sensor by sensor; not for a cumulative store)."""
        head = self.head[sensors] + evicted
        count = self.count[sensors] - evicted
        need = count + new_count
        offset, cap = self.offset[sensors], self.cap[sensors]
        full = np.flatnonzero(head + need > offset + cap)
        if len(full):
            slide = full[2 * need[full] <= cap[full]]  # at most half full: slide to the slot's start
            if len(slide):
                rows = arrays.ranges(head[slide], count[slide])
                to = arrays.ranges(offset[slide], count[slide])
                self.t[to] = self.t[rows]  # fancy indexing copies first: overlap is safe
                self.x[to] = self.x[rows]
                head[slide] = offset[slide]
            moved = full[2 * need[full] > cap[full]]  # a slot twice the size at the arena's end
            if len(moved):
                rows = arrays.ranges(head[moved], count[moved])
                self._place(sensors[moved], count[moved], self.t[rows], self.x[rows], need[moved])
                head[moved] = offset[moved] = self.offset[sensors[moved]]
                cap[moved] = self.cap[sensors[moved]]
        rows = arrays.ranges(head + count, new_count)
        self.t[rows] = new_t
        self.x[rows] = new_x
        self.head[sensors] = head
        self.count[sensors] = need
        self.offset[sensors] = offset
        self.cap[sensors] = cap
        self.compact_if_sparse()

    def make_room(self, sensors: IntArray, new_count: IntArray) -> IntArray:
        """Room for ``new_count`` more rows after each sensor's live rows (sliding or moving slots as
        :meth:`replace` does); the arena row where each sensor's new rows go. The caller writes them
        and then calls :meth:`keep`."""
        lead = self.lead
        head, count = self.head[sensors], self.count[sensors]
        keep = count + lead  # the rows a slot carries over: the live ones and the lead row
        need = keep + new_count
        offset, cap = self.offset[sensors], self.cap[sensors]
        full = np.flatnonzero(head - lead + need > offset + cap)
        if len(full):
            new = full[cap[full] == 0]  # no slot yet: a lead row of its own (cumulative store)
            old = full[cap[full] > 0]
            # a slot whose rows fill at most 3/4 of it slides them to its start (the quarter left
            # keeps copying in proportion to the rows appended); a fuller one moves, twice the size
            slide = old[4 * need[old] <= 3 * cap[old]]
            if len(slide):
                self._slide(head[slide] - lead, offset[slide], cap[slide], keep[slide])
                self.head[sensors[slide]] = offset[slide] + lead
            moved = old[4 * need[old] > 3 * cap[old]]
            if len(moved):
                rows = arrays.ranges(head[moved] - lead, keep[moved])
                self._place(sensors[moved], keep[moved], self.t[rows], self.x[rows], need[moved])
            if len(new):
                t = np.full(len(new) * lead, NO_TIME, np.int64)
                self._place(sensors[new], keep[new], t, np.zeros(len(t), self.x.dtype), need[new])
            head = self.head[sensors]
        start: IntArray = head + count
        return start

    def _slide(self, first: IntArray, offset: IntArray, cap: IntArray, length: IntArray) -> None:
        """Copy rows ``first`` … ``first + length − 1`` of each slot to the slot's start."""
        skip = first - offset
        typical = len(cap) // 2
        size, skipped, rows = int(cap[typical]), int(skip[typical]), int(length[typical])
        # Regular sensors have slots of one size on one grid and the same rows to keep: copy them as
        # the same columns of a (slot, row) view, whole rows at a time, not one index per value.
        grid = (cap == size) & (skip == skipped) & (length == rows) & (offset % size == offset[typical] % size)
        if rows and grid.any():
            low = int(offset[grid].min())
            slots = (offset[grid] - low) // size
            for column in (self.t, self.x):
                table = column[low : int(offset[grid].max()) + size].reshape(-1, size)
                table[slots, :rows] = table[slots, skipped : skipped + rows]  # fancy: the right side is a copy
            if grid.all():
                return
            first, offset, length = first[~grid], offset[~grid], length[~grid]
        rows_from = arrays.ranges(first, length)
        rows_to = arrays.ranges(offset, length)
        self.t[rows_to] = self.t[rows_from]  # fancy indexing copies first: overlap is safe
        self.x[rows_to] = self.x[rows_from]

    def keep(self, sensors: IntArray, head: IntArray, end: IntArray) -> None:
        """Each sensor's live rows are now ``head`` … ``end − 1`` of its slot (rows before ``head``
        are evicted; in a cumulative store the one just before stays as the lead row)."""
        self.head[sensors] = head
        self.count[sensors] = end - head
        self.compact_if_sparse()

    def compact_if_sparse(self) -> None:
        if self.garbage > max(self.used // 2, COMPACT_MIN):
            self._compact()

    def _compact(self) -> None:
        sensors = np.flatnonzero(self.count)
        keep = self.count[sensors] + self.lead
        rows = arrays.ranges(self.head[sensors] - self.lead, keep)
        t, x = self.t[rows], self.x[rows]
        self.used = self.garbage = 0
        self.cap[:] = 0
        self.offset[:] = self.head[:] = self.count[:] = 0
        self.t, self.x = np.empty(0, np.int64), np.empty(0, self.x.dtype)
        self._place(sensors, keep, t, x)
        self.garbage = 0


class _Batch:
    """Rows sorted by sensor (time-ordered within a sensor) and what several rules need, computed once.

    ``prev_ts``/``prev_value`` are each sensor's newest reading before this batch (one per segment)."""

    def __init__(
        self,
        s: IntArray,
        t: IntArray,
        x: FloatArray,
        prev_ts: IntArray,
        prev_value: FloatArray,
        starts: BoolArray | None = None,
    ) -> None:
        self.s, self.t, self.x = s, t, x
        self.starts = arrays.segment_starts(s) if starts is None else starts
        self.ends = arrays.segment_ends(self.starts)
        self.first_row = np.flatnonzero(self.starts)
        self.last_row = np.flatnonzero(self.ends)
        self.sensors = s[self.first_row]
        self.prev_ts, self.prev_value = prev_ts, prev_value

    @functools.cached_property
    def segment(self) -> IntArray:
        """Segment number of each row."""
        out: IntArray = np.cumsum(self.starts) - 1
        return out

    @functools.cached_property
    def counts(self) -> IntArray:
        return np.diff(np.append(self.first_row, len(self.s)))

    @functools.cached_property
    def since(self) -> IntArray:
        """Time since the sensor's previous reading (meaningless at its first ever: see ``first_ever``)."""
        out: IntArray = np.empty(len(self.t), np.int64)
        np.subtract(self.t[1:], self.t[:-1], out=out[1:])
        out[self.first_row] = self.t[self.first_row] - self.prev_ts  # wraps where NO_TIME: never read
        return out

    @functools.cached_property
    def first_ever(self) -> IntArray:
        """Rows that are their sensor's first reading ever."""
        out: IntArray = self.first_row[self.prev_ts == NO_TIME]
        return out

    @functools.cached_property
    def x_before(self) -> FloatArray:
        out: FloatArray = arrays.shift(self.x, self.prev_value, self.first_row)
        return out

    def subset(self, member: BoolArray) -> _Batch:
        """The rows of the segments where ``member`` (one flag per segment) is set."""
        rows = np.repeat(member, self.counts)
        return _Batch(self.s[rows], self.t[rows], self.x[rows], self.prev_ts[member], self.prev_value[member])
