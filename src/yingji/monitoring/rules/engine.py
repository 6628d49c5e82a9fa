"""The rule engine: a rule set over many sensors, batch by batch, with its checkpoint (pure; numpy on the batch
path; clock injected). The semantics are in the package docstring (yingji.monitoring.rules)."""

from __future__ import annotations

import copy
import fnmatch
import itertools
import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from yingji.errors import InvalidInput
from yingji.monitoring.rules import arrays
from yingji.monitoring.rules.alarms import AlarmEvent, BatchResult
from yingji.monitoring.rules.arrays import CHECKPOINT_VERSION, NO_TIME, BoolArray, FloatArray, IntArray
from yingji.monitoring.rules.conditions import (
    _flat_condition,
    _qualify,
    _rate_signal,
    _runs,
    _stale_transitions,
    _threshold_condition,
    _Transitions,
    _window_extreme,
    _window_sum,
)
from yingji.monitoring.rules.ruleset import (
    FlatlineRule,
    LimitRule,
    PointRule,
    RateRule,
    RuleSet,
    StaleRule,
    WindowRule,
)
from yingji.monitoring.rules.site import _SiteEngine
from yingji.monitoring.rules.windows import _Batch, _PointState

# ------------------------------------------------------------------------------------ the engine


# A large batch is evaluated in chunks of about this many rows (whole sensors; rules are per sensor,
# so the result is the same): the dozens of row-sized temporaries of a 1-million-row batch are 8-MB
# arrays that the allocator maps afresh (page faults) and that fall out of the cache; at 128 k rows
# they are reused and stay cached (the bench's batch path runs about 1.5 times as fast).
CHUNK_ROWS = 1 << 17


def _chunks(s: IntArray, size: int) -> list[tuple[int, int]]:
    """Row ranges of about ``size`` rows that never split a sensor's rows (``s`` sorted)."""
    if len(s) <= size:
        return [(0, len(s))]
    cuts = np.searchsorted(s, s[size::size], side="left")  # back to the first row of the sensor cut
    cuts = np.unique(cuts[cuts > 0])
    bounds = [0, *cuts.tolist(), len(s)]
    return list(itertools.pairwise(bounds))


def _sums_windows(rule: PointRule) -> bool:
    """Whether the rule's window store keeps running sums (sum and mean windows)."""
    return isinstance(rule, WindowRule) and rule.agg in ("sum", "mean")


def _glob_matcher(pattern: str) -> Callable[[str], bool]:
    """A compiled ``fnmatchcase`` for one rule's sensor glob."""
    if pattern == "*":
        return lambda sensor_id: True
    compiled = re.compile(fnmatch.translate(pattern))
    return lambda sensor_id: compiled.match(sensor_id) is not None


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
        self._states = [_PointState(self._capacity, cumulative=_sums_windows(rule)) for rule in self._rules]
        self._matchers = [_glob_matcher(rule.sensors) for rule in self._rules]
        self._site = _SiteEngine(self._site_rules)

    # ---- sensors
    def intern(self, sensor_ids: Iterable[str]) -> IntArray:
        """Sensor ids → engine indices (new sensors are registered and matched against the rules)."""
        ids = sensor_ids if isinstance(sensor_ids, list) else list(sensor_ids)
        index = self._index
        found = list(map(index.get, ids))
        if None in found:
            self._register([sensor_id for sensor_id, known in zip(ids, found, strict=True) if known is None])
            found = list(map(index.get, ids))
        return np.array(found, np.int64)

    def _register(self, sensor_ids: list[str]) -> None:
        """New sensors (in order of first appearance), matched against every rule's glob."""
        fresh = list(dict.fromkeys(sensor_ids))
        first = len(self.sensor_ids)
        end = first + len(fresh)
        if end > self._capacity:
            capacity = self._capacity
            while capacity < end:
                capacity *= 2
            self._grow(capacity)
        self.sensor_ids.extend(fresh)
        self._index.update(zip(fresh, range(first, end), strict=True))
        for matches, state in zip(self._matchers, self._states, strict=True):
            state.member[first:end] = [matches(sensor_id) for sensor_id in fresh]

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
        order = None if in_order else np.argsort(sensor, kind="stable")
        s, t, x = (sensor, ts, value) if order is None else (sensor[order], ts[order], value[order])
        rejected = self._classify(s, t)
        duplicates = late = np.empty(0, np.int64)
        if rejected is not None:
            duplicate, too_old = rejected
            accepted = ~(duplicate | too_old)
            s, t, x = s[accepted], t[accepted], x[accepted]
            duplicates, late = np.flatnonzero(duplicate), np.flatnonzero(too_old)
            if order is not None:
                duplicates, late = np.sort(order[duplicates]), np.sort(order[late])
        transitions = self._evaluate_sorted(s, t, x) if len(s) else []
        events = self._site.follow(self._to_events(transitions))
        return BatchResult(events, len(s), duplicates, late)

    def _classify(self, s: IntArray, t: IntArray) -> tuple[BoolArray, BoolArray] | None:
        """Duplicates (ts equal to the newest accepted) and late rows (older), per sensor; None if
        there are none."""
        starts = arrays.segment_starts(s)
        carried = self._last_ts[s[starts]]
        step = np.empty(len(t), np.bool_)
        step[0] = True
        np.greater(t[1:], t[:-1], out=step[1:])
        step[starts] = t[starts] > carried
        if step.all():  # the common case: every sensor's readings arrive in time order
            return None
        # newest accepted time before each row = running max of (carried, earlier rows) in its
        # segment; only segments with a row out of order need it
        first = np.flatnonzero(starts)
        bounds = np.append(first, len(t))
        duplicate = np.zeros(len(t), np.bool_)
        late = np.zeros(len(t), np.bool_)
        for k in np.unique(np.searchsorted(first, np.flatnonzero(~step), "right") - 1).tolist():
            lo, hi = int(bounds[k]), int(bounds[k + 1])
            newest = np.empty(hi - lo, np.int64)
            newest[0] = carried[k]
            np.maximum.accumulate(t[lo : hi - 1], out=newest[1:])
            np.maximum(newest[1:], carried[k], out=newest[1:])
            duplicate[lo:hi] = t[lo:hi] == newest
            late[lo:hi] = t[lo:hi] < newest
        return duplicate, late

    def _evaluate_sorted(self, s: IntArray, t: IntArray, x: FloatArray) -> list[tuple[int, _Transitions]]:
        out = []
        for lo, hi in _chunks(s, CHUNK_ROWS):
            out += self._evaluate_chunk(s[lo:hi], t[lo:hi], x[lo:hi])
        return out

    def _evaluate_chunk(self, s: IntArray, t: IntArray, x: FloatArray) -> list[tuple[int, _Transitions]]:
        starts = arrays.segment_starts(s)
        seg_sensor = s[starts]
        batch = _Batch(s, t, x, self._last_ts[seg_sensor], self._last_value[seg_sensor], starts)
        self._last_ts[seg_sensor] = t[batch.last_row]
        self._last_value[seg_sensor] = x[batch.last_row]
        out = []
        for number, (rule, state) in enumerate(zip(self._rules, self._states, strict=True)):
            member = state.member[batch.sensors]
            if member.all():
                part = batch
            elif not member.any():
                continue
            else:
                part = batch.subset(member)
            out.append((number, self._evaluate_rule(rule, state, part)))
        return out

    def _evaluate_rule(self, rule: PointRule, state: _PointState, batch: _Batch) -> _Transitions:
        if isinstance(rule, StaleRule):
            return _stale_transitions(rule, batch, state)
        if isinstance(rule, FlatlineRule):
            return _runs(batch, _flat_condition(rule, batch, state), state, on_delay=0, off_delay=0)
        if isinstance(rule, LimitRule):
            signal = batch.x
        elif isinstance(rule, RateRule):
            signal = _rate_signal(rule, batch)
        elif rule.agg in ("sum", "mean"):
            signal = _window_sum(rule, batch, state)
        else:
            signal = _window_extreme(rule, batch, state)
        condition = _threshold_condition(rule, signal, batch, state)
        return _runs(
            batch, condition, state, on_delay=arrays.ms_of(rule.on_delay_s), off_delay=arrays.ms_of(rule.off_delay_s)
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
                timeout = arrays.ms_of(rule.timeout_s)
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
                    arrays.ms_of(rule.on_delay_s),
                    arrays.ms_of(rule.off_delay_s),
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
        events.sort(key=arrays.EVENT_ORDER)
        return events

    # ---- checkpoint
    def copy(self) -> RuleEngine:
        """An independent copy of the state (arrays copied in memory, which costs little next to
        encoding them: a worker snapshots a copy in a thread while it goes on evaluating)."""
        other = copy.copy(self)
        other.sensor_ids = list(self.sensor_ids)
        other._index = dict(self._index)
        other._last_ts, other._last_value = self._last_ts.copy(), self._last_value.copy()
        other._states = [state.copy() for state in self._states]
        other._site = copy.deepcopy(self._site)
        return other

    def checkpoint(self, *, raw: bool = False) -> dict[str, Any]:
        """All state as a JSON-safe dict (arrays base64-encoded); :meth:`restore` resumes exactly.
        ``raw``: arrays as numpy copies instead (for a binary snapshot file; a copy in memory costs
        little, so a snapshot can be written while the engine goes on)."""
        size = len(self.sensor_ids)
        return {
            "version": CHECKPOINT_VERSION,
            "rules": [r.id for r in self._rules],
            "sensors": list(self.sensor_ids),
            "last_ts": arrays.encode(self._last_ts[:size], raw),
            "last_value": arrays.encode(self._last_value[:size], raw),
            "states": [state.dump(size, raw) for state in self._states],
            "site": json.loads(json.dumps(self._site.dump())) if raw else self._site.dump(),
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
        engine._last_ts[:size] = arrays.decode(data["last_ts"])
        engine._last_value[:size] = arrays.decode(data["last_value"])
        for state, dumped in zip(engine._states, data["states"], strict=True):
            state.load(dumped)
        engine._site.load(data["site"])
        return engine
