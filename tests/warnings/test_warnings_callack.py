"""Call and acknowledge (叫应): who was called, who answered, who is escalated and when."""

from __future__ import annotations

import pytest

from yingji.errors import Conflict, InvalidInput
from yingji.warnings import callack as ca

MIN = 60_000
DIRECTORY = {
    "county-head": ca.Official("county-head", "县长", "330110", superior="city-duty"),
    "town-head": ca.Official("town-head", "镇长", "330110101", superior="county-head"),
    "city-duty": ca.Official("city-duty", "市应急局值班", "330100"),
    "other": ca.Official("other", "外县", "330111"),
}


def test_officials_of_a_division_include_its_sub_divisions_only() -> None:
    assert ca.officials_for(["330110"], DIRECTORY) == ["county-head", "town-head"]
    assert ca.officials_for(["330100"], DIRECTORY) == ["city-duty", "county-head", "other", "town-head"]


def test_acknowledged_official_is_not_pending() -> None:
    state = ca.acknowledge(ca.start_call("W1", ["county-head", "town-head"], 0), "town-head", 2 * MIN)
    assert state.pending == ["county-head"]


def test_acknowledging_twice_or_uncalled_is_a_conflict() -> None:
    state = ca.acknowledge(ca.start_call("W1", ["town-head"], 0), "town-head", 1)
    with pytest.raises(Conflict):
        ca.acknowledge(state, "town-head", 2)
    with pytest.raises(Conflict):
        ca.acknowledge(state, "city-duty", 2)


def test_silence_past_the_wait_calls_the_superior() -> None:
    state = ca.start_call("W1", ["town-head"], 0)
    state, none = ca.escalate_due(state, 9 * MIN, DIRECTORY, 600)
    assert none == []
    state, escalations = ca.escalate_due(state, 11 * MIN, DIRECTORY, 600)
    assert escalations == [ca.Escalation("town-head", "county-head", 10 * MIN)]
    assert state.pending == ["county-head"] and state.called_at["county-head"] == 10 * MIN


def test_escalation_runs_up_the_chain_when_superiors_are_silent_too() -> None:
    state, escalations = ca.escalate_due(ca.start_call("W1", ["town-head"], 0), 35 * MIN, DIRECTORY, 600)
    assert [(e.from_official, e.to_official, e.at // MIN) for e in escalations] == [
        ("town-head", "county-head", 10),
        ("county-head", "city-duty", 20),
        ("city-duty", None, 30),
    ]
    assert state.pending == []


def test_receipts_show_unreachable_officials() -> None:
    state = ca.start_call("W1", ["town-head", "county-head"], 0)
    state = ca.record_receipt(state, ca.Receipt("town-head", "sms", 1, False, "number not in service"))
    state = ca.record_receipt(state, ca.Receipt("county-head", "sms", 1, True))
    summary = ca.summarise(state)
    assert (summary.called, summary.delivered, summary.unreachable) == (2, 1, ["town-head"])


def test_call_without_officials_is_refused() -> None:
    with pytest.raises(InvalidInput):
        ca.start_call("W1", [], 0)
