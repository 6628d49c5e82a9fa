"""Rule-engine behaviour: each rule kind, boundaries, deadband, delays, duplicates, late rows."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from yingji.errors import InvalidInput
from yingji.monitoring.rules import AlarmEvent, RuleEngine, pair_events
from yingji.monitoring.rules.ruleset import parse_ruleset

S = 1000  # ms per second


def engine(*rules: dict[str, Any]) -> RuleEngine:
    return RuleEngine(parse_ruleset({"rules": list(rules)}))


def run(eng: RuleEngine, sensor: str, times_s: list[float], values: list[float]) -> list[AlarmEvent]:
    ids = eng.intern([sensor] * len(times_s))
    ts = (np.asarray(times_s) * S).astype(np.int64)
    return eng.evaluate(ids, ts, np.asarray(values, float)).events


def spans(events: list[AlarmEvent]) -> list[tuple[str, float, float | None]]:
    return [(r.rule, r.raised_at / S, None if r.cleared_at is None else r.cleared_at / S) for r in pair_events(events)]


LIMIT = {"id": "hi", "kind": "limit", "high": 1.0}


def test_value_equal_to_high_is_in_alarm() -> None:
    assert spans(run(engine(LIMIT), "A", [0, 10], [1.0, 0.5])) == [("hi", 10 - 10, 10)]


def test_value_just_below_high_raises_nothing() -> None:
    assert run(engine(LIMIT), "A", [0, 10], [0.999, 0.5]) == []


def test_low_limit_alarms_at_or_below_low() -> None:
    rule = {"id": "lo", "kind": "limit", "low": 19.5, "deadband": 0.5}
    assert spans(run(engine(rule), "O2", [0, 1, 2, 3], [20.0, 19.5, 19.9, 20.1])) == [("lo", 1, 3)]


def test_deadband_holds_alarm_until_value_falls_below_high_minus_deadband() -> None:
    rule = {**LIMIT, "deadband": 0.1}
    events = run(engine(rule), "A", [0, 1, 2, 3, 4], [1.2, 0.95, 0.9, 0.89, 1.0])
    assert spans(events) == [("hi", 0, 3), ("hi", 4, None)]


def test_deadband_does_not_raise_from_the_band() -> None:
    assert run(engine({**LIMIT, "deadband": 0.1}), "A", [0, 1], [0.95, 0.97]) == []


def test_on_delay_raises_when_condition_has_held_for_the_delay() -> None:
    rule = {**LIMIT, "on_delay_s": 30}
    events = run(engine(rule), "A", [0, 10, 20, 40, 50], [0.5, 1.5, 1.5, 1.5, 0.5])
    assert spans(events) == [("hi", 40, 50)]  # raised_at = run start (10) + 30


def test_on_delay_suppresses_a_short_excursion() -> None:
    rule = {**LIMIT, "on_delay_s": 30}
    assert run(engine(rule), "A", [0, 10, 20, 30], [0.5, 1.5, 1.5, 0.5]) == []


def test_off_delay_keeps_alarm_through_a_brief_dip() -> None:
    rule = {**LIMIT, "off_delay_s": 20}
    events = run(engine(rule), "A", [0, 10, 20, 30, 60, 70], [1.5, 0.5, 1.5, 0.5, 0.5, 0.5])
    assert spans(events) == [("hi", 0, 50)]  # false run from 30 held 20 s


def test_rate_rule_uses_units_per_minute_by_default() -> None:
    rule = {"id": "rise", "kind": "rate", "high": 1.0}
    events = run(engine(rule), "A", [0, 60, 120, 180], [0.0, 0.9, 2.0, 2.0])
    assert spans(events) == [("rise", 120, 180)]


def test_rate_rule_can_alarm_on_falling_values() -> None:
    rule = {"id": "fall", "kind": "rate", "low": -2.0, "per_s": 1}
    assert spans(run(engine(rule), "A", [0, 1, 2], [10.0, 7.0, 7.0])) == [("fall", 1, 2)]


def test_window_sum_is_hourly_rainfall() -> None:
    rule = {"id": "rain-1h", "kind": "window", "agg": "sum", "window_s": 3600, "high": 30}
    times = [0, 1200, 2400, 3600, 4800]
    events = run(engine(rule), "RG", times, [10, 10, 10, 10, 0])
    # at 2400: 30 mm in (−1200, 2400] → raise; at 3600: the 0 s reading left the window → 30 still;
    # at 4800: 10+10+0 = 20 → clear
    assert spans(events) == [("rain-1h", 2400, 4800)]


def test_window_sum_carries_history_across_batches() -> None:
    rule = {"id": "rain-1h", "kind": "window", "agg": "sum", "window_s": 3600, "high": 30}
    eng = engine(rule)
    first = run(eng, "RG", [0, 1200], [10, 10])
    second = run(eng, "RG", [2400], [10])
    assert first == [] and spans(second) == [("rain-1h", 2400, None)]


def test_window_mean_and_max() -> None:
    mean = {"id": "mean", "kind": "window", "agg": "mean", "window_s": 30, "high": 5}
    peak = {"id": "peak", "kind": "window", "agg": "max", "window_s": 30, "high": 9}
    events = run(engine(mean, peak), "A", [0, 10, 20, 30, 60], [9, 1, 1, 1, 1])
    assert sorted(spans(events)) == [("mean", 0, 20), ("peak", 0, 30)]  # mean at 10 s is (9+1)/2 = 5


def test_window_min_alarms_on_low() -> None:
    rule = {"id": "trough", "kind": "window", "agg": "min", "window_s": 30, "low": 1}
    assert spans(run(engine(rule), "A", [0, 10, 40, 50], [5, 0.5, 5, 5])) == [
        ("trough", 10, 40)
    ]  # (10, 40] excludes 10 s


def test_stale_gap_raises_at_last_reading_plus_timeout_and_clears_on_next_reading() -> None:
    rule = {"id": "silent", "kind": "stale", "timeout_s": 600}
    assert spans(run(engine(rule), "A", [0, 60, 1000], [1, 1, 1])) == [("silent", 660, 1000)]


def test_stale_is_raised_by_the_clock_and_cleared_by_the_next_reading() -> None:
    eng = engine({"id": "silent", "kind": "stale", "timeout_s": 600})
    run(eng, "A", [0], [1])
    assert eng.tick(599 * S) == []
    raised = eng.tick(700 * S)
    cleared = run(eng, "A", [800], [1])
    assert spans(raised + cleared) == [("silent", 600, 800)]


def test_flatline_raises_when_value_frozen_for_duration() -> None:
    rule = {"id": "frozen", "kind": "flatline", "duration_s": 60, "tolerance": 0.01}
    events = run(engine(rule), "A", [0, 30, 60, 90, 120], [1, 1.005, 1.0, 1.0, 2.0])
    assert spans(events) == [("frozen", 60, 120)]


def test_tick_raises_a_delayed_alarm_whose_condition_still_holds() -> None:
    eng = engine({**LIMIT, "on_delay_s": 60})
    assert run(eng, "A", [0], [2.0]) == []
    assert spans(eng.tick(59 * S)) == []
    assert spans(eng.tick(61 * S)) == [("hi", 60, None)]


def test_duplicate_reading_never_raises_a_second_alarm() -> None:
    eng = engine(LIMIT)
    first = run(eng, "A", [0, 10], [2.0, 0.0])
    ids = eng.intern(["A"])
    again = eng.evaluate(ids, np.array([10 * S]), np.array([2.0]))
    assert len(pair_events(first)) == 1
    assert again.events == [] and again.duplicates.tolist() == [0]


def test_duplicate_within_a_batch_is_recognised() -> None:
    eng = engine(LIMIT)
    ids = eng.intern(["A", "A", "A"])
    result = eng.evaluate(ids, np.array([0, 0, 10]) * S, np.array([2.0, 2.0, 0.0]))
    assert result.duplicates.tolist() == [1] and result.evaluated == 2
    assert spans(result.events) == [("hi", 0, 10)]


def test_late_reading_is_reported_and_not_evaluated() -> None:
    eng = engine(LIMIT)
    run(eng, "A", [100], [0.0])
    ids = eng.intern(["A", "A"])
    result = eng.evaluate(ids, np.array([50, 200]) * S, np.array([5.0, 0.0]))
    assert result.late.tolist() == [0] and result.events == [] and result.evaluated == 1


def test_sensors_outside_the_glob_are_evaluated_and_raise_nothing() -> None:
    eng = engine({**LIMIT, "sensors": "M1-*"})
    ids = eng.intern(["M2-X", "M1-X"])
    result = eng.evaluate(ids, np.array([0, 0]), np.array([5.0, 5.0]))
    assert result.evaluated == 2 and [e.sensor_id for e in result.events] == ["M1-X"]


def test_interleaved_sensors_are_evaluated_independently() -> None:
    eng = engine({**LIMIT, "on_delay_s": 10})
    ids = eng.intern(["A", "B", "A", "B", "A"])
    ts = np.array([0, 0, 10, 10, 20]) * S
    result = eng.evaluate(ids, ts, np.array([2.0, 0.0, 2.0, 2.0, 0.0]))
    assert [(r.sensor_id, r.raised_at / S, r.cleared_at) for r in pair_events(result.events)] == [("A", 10, 20 * S)]


def test_compound_all_needs_every_condition() -> None:
    eng = engine(
        {"id": "ch4", "kind": "limit", "high": 1.0, "sensors": "M1-CH4-*"},
        {"id": "co", "kind": "limit", "high": 24.0, "sensors": "M1-CO-*"},
        {
            "id": "fire",
            "kind": "compound",
            "site": "M1",
            "op": "all",
            "conditions": [{"rule": "ch4", "sensors": "M1-*"}, {"rule": "co", "sensors": "M1-*"}],
        },
    )
    ids = eng.intern(["M1-CH4-1", "M1-CO-1", "M1-CH4-1"])
    result = eng.evaluate(ids, np.array([0, 5, 9]) * S, np.array([1.5, 30.0, 0.2]))
    site = [r for r in pair_events(result.events) if r.rule == "fire"]
    assert [(r.sensor_id, r.raised_at / S, r.cleared_at) for r in site] == [("M1", 5, 9 * S)]


def test_compound_any_raises_on_the_first_condition() -> None:
    eng = engine(
        {"id": "a", "kind": "limit", "high": 1.0},
        {"id": "b", "kind": "limit", "low": 0.0},
        {"id": "either", "kind": "compound", "site": "S", "op": "any", "conditions": [{"rule": "a"}, {"rule": "b"}]},
    )
    events = run(eng, "X", [0, 1, 2], [2.0, 0.5, -1.0])
    site = [(r.raised_at / S, r.cleared_at) for r in pair_events(events) if r.rule == "either"]
    assert site == [(0, 1 * S), (2, None)]


def test_rollup_four_blue_points_make_the_site_yellow() -> None:
    eng = engine(
        {"id": "disp-blue", "kind": "limit", "high": 10.0, "colour": "blue", "sensors": "TD1-*"},
        {"id": "dam", "kind": "rollup", "site": "TD1", "sensors": "TD1-*"},
    )
    points = [f"TD1-P{i}" for i in range(4)]
    ids = eng.intern(points)
    result = eng.evaluate(ids, np.array([0, 1, 2, 3]) * S, np.full(4, 12.0))
    site = [(r.colour, r.raised_at / S, r.cleared_at) for r in pair_events(result.events) if r.rule == "dam"]
    assert site == [("blue", 0, 3 * S), ("yellow", 3, None)]


def test_rollup_two_orange_points_make_red() -> None:
    eng = engine(
        {"id": "o", "kind": "limit", "high": 10.0, "colour": "orange"},
        {"id": "dam", "kind": "rollup", "site": "TD", "escalate": {"orange": 2}},
    )
    ids = eng.intern(["P1", "P2"])
    events = eng.evaluate(ids, np.array([0, 1]) * S, np.array([11.0, 11.0])).events
    assert [e.colour for e in events if e.rule == "dam" and e.raised] == ["orange", "red"]


def test_rule_colour_sets_priority_when_priority_is_absent() -> None:
    events = run(engine({**LIMIT, "colour": "red"}), "A", [0], [2.0])
    assert events[0].priority == "high" and events[0].colour == "red"


def test_mismatched_array_lengths_are_refused() -> None:
    eng = engine(LIMIT)
    ids = eng.intern(["A"])
    with pytest.raises(InvalidInput):
        eng.evaluate(ids, np.array([0, 1]), np.array([1.0]))


def test_window_over_readings_two_centuries_apart_does_not_fail() -> None:
    eng = engine({"id": "w", "kind": "window", "window_s": 60, "high": 5})
    ids = eng.intern(["A", "B"])
    far = 7_000_000_000_000  # 2191
    result = eng.evaluate(ids, np.array([0, far]), np.array([6.0, 1.0]))
    assert spans(result.events) == [("w", 0, None)]


def test_late_and_duplicate_rows_in_several_sensors_of_one_batch() -> None:
    eng = engine(LIMIT)
    ids = eng.intern(["A", "B", "A", "B", "A", "B"])
    result = eng.evaluate(ids, np.array([10, 10, 5, 10, 10, 20]) * S, np.array([0.0] * 6))
    assert result.late.tolist() == [2] and result.duplicates.tolist() == [3, 4] and result.evaluated == 3
