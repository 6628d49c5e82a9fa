"""ISA-18.2 / OPC UA Part 9 alarm lifecycle: states, acknowledgement, shelving, suppression,
out of service, re-annunciation and escalation."""

from __future__ import annotations

import pytest

from yingji.errors import Conflict, InvalidInput
from yingji.monitoring import lifecycle as lc

MIN = 60_000


def raised(priority: lc.Priority = "medium", at: int = 0) -> lc.AlarmState:
    alarm, _ = lc.raise_alarm(lc.new_alarm("ch4-high", "M1-CH4-01", priority), at)
    return alarm


def test_new_alarm_is_normal() -> None:
    assert lc.new_alarm("r", "s", "low").state == "normal"


def test_raise_makes_it_unacknowledged_and_annunciates() -> None:
    alarm, notices = lc.raise_alarm(lc.new_alarm("r", "s", "high"), 5)
    assert alarm.state == "unacknowledged" and [n.kind for n in notices] == ["annunciate"]


def test_acknowledge_active_alarm_goes_to_acknowledged_then_clear_to_normal() -> None:
    alarm = lc.acknowledge(raised(), 10, "operator-1", note="checking the fan")
    assert alarm.state == "acknowledged" and alarm.notes[0].text == "checking the fan"
    cleared, _ = lc.clear_alarm(alarm, 20)
    assert cleared.state == "normal"


def test_clear_before_acknowledgement_is_rtn_unacknowledged_and_ack_makes_it_normal() -> None:
    cleared, notices = lc.clear_alarm(raised(), 10)
    assert cleared.state == "rtn_unacknowledged" and [n.kind for n in notices] == ["return_to_normal"]
    assert lc.acknowledge(cleared, 20, "op").state == "normal"


def test_re_raise_from_acknowledged_cleared_needs_a_new_acknowledgement() -> None:
    alarm, _ = lc.clear_alarm(lc.acknowledge(raised(), 1, "op"), 2)
    again, _ = lc.raise_alarm(alarm, 3)
    assert again.state == "unacknowledged" and again.acknowledged_by is None


def test_acknowledging_a_normal_alarm_is_a_conflict() -> None:
    with pytest.raises(Conflict):
        lc.acknowledge(lc.new_alarm("r", "s", "low"), 0, "op")


def test_timed_shelve_hides_alarm_and_unshelving_at_expiry_reannunciates() -> None:
    alarm = lc.shelve(raised(), 0, "op", until=30 * MIN, reason="sensor being calibrated")
    assert not alarm.annunciated
    still, notices = lc.tick(alarm, 29 * MIN, lc.LifecyclePolicy(realarm_s=None, escalate_after_s=None))
    assert still.shelved and notices == []
    back, notices = lc.tick(alarm, 31 * MIN, lc.LifecyclePolicy(realarm_s=None, escalate_after_s=None))
    assert not back.shelved and back.annunciated and [n.kind for n in notices] == ["unshelved"]


def test_shelve_longer_than_a_day_is_refused() -> None:
    with pytest.raises(InvalidInput):
        lc.shelve(raised(), 0, "op", until=25 * 60 * MIN, reason="x")


def test_one_shot_shelve_ends_when_the_alarm_clears() -> None:
    alarm = lc.shelve(raised(), 0, "op", one_shot=True, reason="known leak, repair crew on site")
    cleared, notices = lc.clear_alarm(alarm, 5)
    assert not cleared.shelved and notices == []


def test_suppressed_by_design_alarm_is_tracked_but_not_annunciated() -> None:
    alarm = lc.set_suppressed(lc.new_alarm("r", "s", "high"), True)
    alarm, notices = lc.raise_alarm(alarm, 0)
    assert alarm.active and not alarm.annunciated and notices == []


def test_out_of_service_records_who_and_why() -> None:
    alarm = lc.set_out_of_service(raised(), 1, "tech-7", True, "detector replaced")
    assert alarm.out_of_service and not alarm.annunciated and "detector replaced" in alarm.notes[-1].text


def test_unacknowledged_alarm_reannunciates_every_realarm_time() -> None:
    policy = lc.LifecyclePolicy(realarm_s=600, escalate_after_s=None)
    alarm, notices = lc.tick(raised(), 25 * MIN, policy)
    assert [n.at for n in notices] == [10 * MIN]
    alarm, notices = lc.tick(alarm, 25 * MIN, policy)
    assert [n.at for n in notices] == [20 * MIN]


def test_unacknowledged_alarm_escalates_one_priority_step() -> None:
    policy = lc.LifecyclePolicy(realarm_s=None, escalate_after_s=1800)
    alarm, notices = lc.tick(raised("low"), 31 * MIN, policy)
    assert alarm.priority == "medium" and [n.kind for n in notices] == ["escalate"]
    alarm, notices = lc.tick(alarm, 61 * MIN, policy)
    assert alarm.priority == "high"


def test_acknowledged_alarm_neither_reannunciates_nor_escalates() -> None:
    alarm = lc.acknowledge(raised("low"), 1, "op")
    after, notices = lc.tick(alarm, 999 * MIN, lc.LifecyclePolicy())
    assert notices == [] and after.priority == "low"


def test_escalated_priority_resets_on_the_next_raise() -> None:
    policy = lc.LifecyclePolicy(realarm_s=None, escalate_after_s=60)
    alarm, _ = lc.tick(raised("low"), 2 * MIN, policy)
    alarm, _ = lc.clear_alarm(lc.acknowledge(alarm, 3 * MIN, "op"), 4 * MIN)
    again, _ = lc.raise_alarm(alarm, 5 * MIN)
    assert again.priority == "low"
