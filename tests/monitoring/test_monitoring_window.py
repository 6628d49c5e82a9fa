"""Window rules over many sensors arriving in uneven batches: the windowed sums (and means, maxima)
equal a plain per-reading computation, however the arena of retained readings is laid out (slots
that slide, move and get compacted), and across a checkpoint."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

from yingji.monitoring.rules import RuleEngine
from yingji.monitoring.rules import windows as rules_windows
from yingji.monitoring.rules.ruleset import parse_ruleset

WINDOW_S = 300
RULES = parse_ruleset(
    {
        "rules": [
            {"id": "sum", "kind": "window", "agg": "sum", "window_s": WINDOW_S, "high": 30.0, "deadband": 2.0},
            {"id": "mean", "kind": "window", "agg": "mean", "window_s": WINDOW_S, "high": 4.0, "deadband": 0.5},
            {"id": "max", "kind": "window", "agg": "max", "window_s": WINDOW_S, "high": 9.0, "deadband": 1.0},
        ]
    }
)
LIMITS = {"sum": (30.0, 2.0), "mean": (4.0, 0.5), "max": (9.0, 1.0)}


def stream(seed: int, sensors: int = 40, readings: int = 6000) -> list[tuple[str, int, float]]:
    """Sensors reporting at uneven rates (some every few seconds, some rarely), in arrival order."""
    rng = random.Random(seed)
    clock = [0] * sensors
    period = [rng.choice([2, 5, 30, 200]) for _ in range(sensors)]
    out = []
    for _ in range(readings):
        k = rng.randrange(sensors)
        clock[k] += rng.randint(1, 2 * period[k])
        out.append((f"S{k}", clock[k] * 1000, round(rng.choice([0.0, 0.5, 1.0, 2.5, 6.0, 10.0]), 1)))
    return out


def expected(rows: list[tuple[str, int, float]]) -> list[tuple[int, bool, str, str]]:
    """Per reading: the window (t − 300 s, t] aggregated in plain Python, latched with the deadband."""
    seen: dict[str, list[tuple[int, float]]] = {}
    latched: dict[tuple[str, str], bool] = {}
    events = []
    for sensor, t, value in rows:
        history = seen.setdefault(sensor, [])
        history.append((t, value))
        inside = [v for at, v in history if at > t - WINDOW_S * 1000]
        signals = {"sum": sum(inside), "mean": sum(inside) / len(inside), "max": max(inside)}
        for rule, (high, deadband) in LIMITS.items():
            before = latched.get((rule, sensor), False)
            now = signals[rule] >= high - 1e-9 or (before and signals[rule] >= high - deadband - 1e-9)
            if now != before:
                events.append((t, now, rule, sensor))
            latched[(rule, sensor)] = now
    return sorted(events)


Event = tuple[int, bool, str, str]


def run(rows: list[tuple[str, int, float]], cuts: list[int], restore_at: int | None = None) -> list[Event]:
    engine = RuleEngine(RULES, capacity=4)
    events = []
    bounds = [0, *sorted(cuts), len(rows)]
    for number, (lo, hi) in enumerate(itertools.pairwise(bounds)):
        if number == restore_at:
            engine = RuleEngine.restore(RULES, engine.checkpoint())
        batch = rows[lo:hi]
        if not batch:
            continue
        ids = engine.intern([r[0] for r in batch])
        result = engine.evaluate(ids, np.array([r[1] for r in batch]), np.array([r[2] for r in batch]))
        events += [(e.at, e.raised, e.rule, e.sensor_id) for e in result.events]
    return sorted(events)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_window_alarms_equal_a_per_reading_computation_over_uneven_batches(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rules_windows, "COMPACT_MIN", 0)  # compact as soon as half the arena is abandoned
    rows = stream(seed)
    rng = random.Random(seed)
    cuts = rng.sample(range(1, len(rows)), 400)  # batches of 1 to ~60 readings of a few sensors
    want = expected(rows)
    assert want, "the data is built to raise window alarms"
    assert run(rows, cuts) == want
    assert run(rows, cuts, restore_at=200) == want  # a restart from a checkpoint mid-stream


def test_window_store_keeps_only_rows_a_later_window_can_reach() -> None:
    engine = RuleEngine(RULES, capacity=4)
    rows = stream(5, sensors=3, readings=3000)
    ids = engine.intern([r[0] for r in rows])
    engine.evaluate(ids, np.array([r[1] for r in rows]), np.array([r[2] for r in rows]))
    sensors, times, _ = engine._states[0].window.history(len(engine.sensor_ids))
    newest = {name: max(t for s, t, _ in rows if s == name) for name in engine.sensor_ids}
    kept = [(engine.sensor_ids[s], t) for s, t in zip(sensors.tolist(), times.tolist(), strict=True)]
    assert kept and all(t > newest[name] - WINDOW_S * 1000 for name, t in kept)
    inside = sum(1 for s, t, _ in rows if t > newest[s] - WINDOW_S * 1000)
    assert len(kept) == inside


def test_window_alarms_of_regular_and_irregular_sensors_in_sensor_major_batches() -> None:
    """Most sensors report every 10 s and keep the same rows when their slots slide (copied as whole
    rows of a slot table); every eighth reports irregularly (copied row by row)."""
    rng = random.Random(9)
    sensors, batches, per = 24, 10, 40
    clock = [0] * sensors
    rows: list[tuple[str, int, float]] = []
    cuts = []
    for _ in range(batches):
        for k in range(sensors):
            for _ in range(per):
                clock[k] += 10 if k % 8 else rng.randint(1, 30)
                rows.append((f"S{k:02d}", clock[k] * 1000, rng.choice([0.0, 0.5, 1.0, 2.5, 6.0, 10.0])))
        cuts.append(len(rows))
    want = expected(rows)
    assert want
    assert run(rows, cuts[:-1]) == want
