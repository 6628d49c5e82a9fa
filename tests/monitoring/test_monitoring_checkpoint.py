"""Checkpoint/restore: a restarted engine resumes exactly (property test against an uninterrupted run)."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingji.monitoring.rules import RuleEngine
from yingji.monitoring.rules import engine as rules_engine
from yingji.monitoring.rules.ruleset import parse_ruleset

RULES = parse_ruleset(
    {
        "rules": [
            {"id": "hi", "kind": "limit", "high": 5.0, "deadband": 1.0, "on_delay_s": 20, "off_delay_s": 10},
            {"id": "lo", "kind": "limit", "low": 1.0, "deadband": 0.5},
            {"id": "rise", "kind": "rate", "high": 6.0},
            {"id": "sum", "kind": "window", "agg": "sum", "window_s": 60, "high": 20.0},
            {"id": "max", "kind": "window", "agg": "max", "window_s": 45, "high": 8.0},
            {"id": "silent", "kind": "stale", "timeout_s": 50},
            {"id": "frozen", "kind": "flatline", "duration_s": 30},
            {"id": "both", "kind": "compound", "site": "S", "conditions": [{"rule": "hi"}, {"rule": "sum"}]},
            {"id": "dam", "kind": "rollup", "site": "S", "rules": ["hi", "lo"], "escalate": {"blue": 2}},
        ]
    }
)
COLOURED = parse_ruleset(
    {
        "rules": [
            *(r.model_dump() for r in RULES.rules[:2]),
            {"id": "c", "kind": "limit", "high": 7.0, "colour": "blue"},
            {"id": "dam", "kind": "rollup", "site": "S", "escalate": {"blue": 2}},
        ]
    }
)

readings = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C"]),
        st.integers(0, 400),  # seconds; repeats and regressions make duplicates and late rows
        st.sampled_from([0.0, 0.5, 1.0, 3.0, 5.0, 5.5, 9.0]),
    ),
    min_size=1,
    max_size=60,
)


def feed(engine: RuleEngine, batch: list[tuple[str, int, float]]) -> list[tuple[int, bool, str, str, str | None]]:
    if not batch:
        return []
    ids = engine.intern([b[0] for b in batch])
    ts = np.array([b[1] * 1000 for b in batch], np.int64)
    values = np.array([b[2] for b in batch], float)
    events = engine.evaluate(ids, ts, values).events
    return [(e.at, e.raised, e.rule, e.sensor_id, e.colour) for e in events]


@settings(max_examples=60, deadline=None)
@given(readings, st.lists(st.integers(0, 60), max_size=4), st.sampled_from([RULES, COLOURED]))
def test_restore_from_checkpoint_equals_uninterrupted_run(rows, cuts, ruleset) -> None:  # type: ignore[no-untyped-def]
    bounds = sorted({min(c, len(rows)) for c in cuts} | {0, len(rows)})
    chunks = [rows[a:b] for a, b in itertools.pairwise(bounds)]

    def tick(engine: RuleEngine, chunk: list[tuple[str, int, float]]) -> list[tuple[int, bool, str, str, str | None]]:
        # the clock reaches the newest reading of the chunk (as a worker's timer would)
        now = max(r[1] for r in chunk) * 1000 if chunk else 0
        return [(e.at, e.raised, e.rule, e.sensor_id, e.colour) for e in engine.tick(now)]

    straight = RuleEngine(ruleset)
    expected = []
    for chunk in chunks:
        expected += feed(straight, chunk) + tick(straight, chunk)
    expected += [(e.at, e.raised, e.rule, e.sensor_id, e.colour) for e in straight.tick(500_000)]
    restarted = RuleEngine(ruleset)
    got = []
    for chunk in chunks:
        got += feed(restarted, chunk)
        restarted = RuleEngine.restore(ruleset, json.loads(json.dumps(restarted.checkpoint())))
        got += tick(restarted, chunk)
    got += [(e.at, e.raised, e.rule, e.sensor_id, e.colour) for e in restarted.tick(500_000)]
    assert got == expected


@settings(max_examples=60, deadline=None)
@given(readings, st.lists(st.integers(0, 60), max_size=4))
def test_point_alarms_do_not_depend_on_batch_boundaries(rows, cuts) -> None:  # type: ignore[no-untyped-def]
    rows = sorted(rows, key=lambda r: r[1])  # a time-ordered stream, as a replay feeds it
    bounds = sorted({min(c, len(rows)) for c in cuts} | {0, len(rows)})
    whole = RuleEngine(RULES)
    expected = sorted(e for e in feed(whole, rows) if e[3] != "S")
    split = RuleEngine(RULES)
    got = sorted(e for a, b in itertools.pairwise(bounds) for e in feed(split, rows[a:b]) if e[3] != "S")
    assert got == expected


@settings(max_examples=40, deadline=None)
@given(readings)
def test_batch_result_equals_reading_by_reading(rows) -> None:  # type: ignore[no-untyped-def]
    rows = sorted(rows, key=lambda r: r[1])
    whole = RuleEngine(RULES)
    expected = sorted(e for e in feed(whole, rows) if e[3] != "S")
    single = RuleEngine(RULES)
    got = sorted(e for row in rows for e in feed(single, [row]) if e[3] != "S")
    assert got == expected


@settings(max_examples=40, deadline=None)
@given(readings, st.integers(1, 8))
def test_a_batch_evaluated_in_chunks_equals_the_whole_batch(rows, chunk_rows) -> None:  # type: ignore[no-untyped-def]
    whole = RuleEngine(RULES)
    expected = feed(whole, rows)
    chunked = RuleEngine(RULES)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(rules_engine, "CHUNK_ROWS", chunk_rows)  # a sensor or two at a time
        got = feed(chunked, rows)
    assert got == expected
    assert chunked.checkpoint() == whole.checkpoint()


def test_restore_refuses_a_checkpoint_of_other_rules() -> None:
    import pytest

    from yingji.errors import InvalidInput

    state = RuleEngine(RULES).checkpoint()
    with pytest.raises(InvalidInput):
        RuleEngine.restore(COLOURED, state)
