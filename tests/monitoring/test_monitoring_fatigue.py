"""Alarm-fatigue analytics: flood, chattering, fleeting, counts, bad actors with delay suggestions."""

from __future__ import annotations

from yingji.monitoring import fatigue
from yingji.monitoring.rules import AlarmRecord

S = 1000
MIN = 60 * S


def alarm(rule: str, sensor: str, raised: int, cleared: int | None) -> AlarmRecord:
    return AlarmRecord(sensor, rule, "medium", raised, cleared)


def test_eleven_alarms_in_ten_minutes_is_a_flood_and_ten_is_not() -> None:
    ten = [alarm("r", f"S{i}", i * 50 * S, None) for i in range(10)]
    assert fatigue.flood_periods(ten, lambda r: "area-1") == []
    eleven = [*ten, alarm("r", "S10", 9 * MIN, None)]
    (period,) = fatigue.flood_periods(eleven, lambda r: "area-1")
    assert period.start == 9 * MIN and period.peak_per_window == 11 and period.alarms == 11


def test_flood_ends_when_fewer_than_five_remain_in_the_window() -> None:
    burst = [alarm("r", f"S{i}", i * S, None) for i in range(12)]
    (period,) = fatigue.flood_periods(burst, lambda r: "a")
    # alarm i leaves the window at i s + 10 min; after 8 have left, 4 remain
    assert period.end == 7 * S + 10 * MIN


def test_floods_are_counted_per_area() -> None:
    records = [alarm("r", f"A{i}", i * S, None) for i in range(6)] + [
        alarm("r", f"B{i}", i * S, None) for i in range(6)
    ]
    assert fatigue.flood_periods(records, lambda r: r.sensor_id[0]) == []
    assert len(fatigue.flood_periods(records, lambda r: "one console")) == 1


def test_time_in_flood_is_a_fraction_of_the_span() -> None:
    period = fatigue.FloodPeriod("a", 10, 20, 11, 11)
    assert fatigue.time_in_flood([period], 0, 100) == 0.1


def test_three_raises_within_a_minute_is_chattering() -> None:
    records = [alarm("r", "X", t * S, t * S + 500) for t in (0, 20, 40)] + [
        alarm("r", "Y", t * MIN, None) for t in (0, 2, 4)
    ]
    assert [(k.sensor_id, k.count) for k in fatigue.chattering(records)] == [("X", 3)]


def test_fleeting_alarms_are_counted() -> None:
    records = [alarm("r", "X", 0, 2 * S), alarm("r", "X", 10 * S, 30 * S), alarm("r", "X", 40 * S, None)]
    assert [(k.sensor_id, k.count) for k in fatigue.fleeting(records)] == [("X", 1)]


def test_per_rule_counts() -> None:
    records = [alarm("a", "X", 0, None), alarm("b", "X", 1, None), alarm("a", "Y", 2, None)]
    assert fatigue.per_rule_counts(records) == {"a": 2, "b": 1}


def test_replayed_delays_merge_and_drop_alarms() -> None:
    items = [alarm("r", "X", 0, 2 * S), alarm("r", "X", 5 * S, 7 * S), alarm("r", "X", 100 * S, 200 * S)]
    assert fatigue.replay_delays(items, 0, 0) == 3
    assert fatigue.replay_delays(items, 10, 0) == 1  # the two 2-s alarms never raise
    assert fatigue.replay_delays(items, 0, 5) == 2  # the second merges into the first


def test_bad_actor_gets_an_on_delay_that_removes_its_fleeting_alarms() -> None:
    chatty = [alarm("ch4-high", "M1-CH4-01", t * 20 * S, t * 20 * S + 3 * S) for t in range(12)]
    steady = [alarm("co-high", "M1-CO-01", t * 30 * MIN, t * 30 * MIN + 20 * MIN) for t in range(6)]
    top = fatigue.bad_actors(chatty + steady, top=2)
    assert top[0].sensor_id == "M1-CH4-01" and top[0].chattering and top[0].fleeting == 12
    assert top[0].suggested_on_delay_s == 5 and top[0].alarms_with_suggestion == 1  # merged by the off-delay
    assert "on-delay 5 s" in top[0].advice
    assert top[1].suggested_on_delay_s is None and "review the limit" in top[1].advice


def test_rarely_raised_alarm_gets_no_delay_suggestion() -> None:
    (actor,) = fatigue.bad_actors([alarm("ch4-high", "M1", 0, 2 * S)])
    assert actor.suggested_on_delay_s is None and actor.advice == "too few alarms to suggest a change"
