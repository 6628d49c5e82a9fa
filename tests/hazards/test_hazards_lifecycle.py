"""The hazard lifecycle (pure): only the listed moves, their requirements, over random sequences."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingji.hazards import lifecycle
from yingji.hazards.errors import InvalidTransition, MissingRequirement
from yingji.hazards.lifecycle import HazardState, Level

FULL_PLAN = {"responsible": "张三", "measures": "m", "funds": "1万元", "deadline": "2030-01-01", "contingency": "c"}


@dataclass
class Record:
    """What the service keeps of a hazard, driven only through lifecycle.move_for and lifecycle.check."""

    state: HazardState = HazardState.REPORTED
    level: Level | None = None
    verified: bool = False
    history: list[tuple[str, HazardState, HazardState]] = field(default_factory=list)

    def apply(self, action: str, payload: dict[str, Any]) -> None:
        move = lifecycle.move_for(self.state, action)
        level = payload.get("level") if action == "determine" else self.level
        lifecycle.check(move, level=level, items=payload.get("items", ()), plan=payload.get("plan"),
                        reason=payload.get("reason"), verified=self.verified)  # fmt: skip
        if action == "determine":
            self.level = level
        if action == "return_determination":
            self.level = None
        if action == "verify":
            self.verified = True
        if action in ("reject", "fail_verification"):
            self.verified = False
        self.history.append((action, self.state, move.target))
        self.state = move.target


payloads = st.fixed_dictionaries(
    {},
    optional={
        "level": st.sampled_from([Level.GENERAL, Level.MAJOR, None]),
        "items": st.sampled_from([(), ("HC2017-12",)]),
        "plan": st.sampled_from([{}, FULL_PLAN, {k: v for k, v in FULL_PLAN.items() if k != "funds"}]),
        "reason": st.sampled_from(["", "理由"]),
    },
)
steps = st.lists(st.tuples(st.sampled_from(sorted(lifecycle.ACTIONS | {"explode"})), payloads), max_size=40)


@given(st.sampled_from([HazardState.REPORTED, HazardState.PROPOSED]), steps)
def test_random_sequences_keep_every_rule(start: HazardState, sequence: list[tuple[str, dict[str, Any]]]) -> None:
    record = Record(state=start)
    for action, payload in sequence:
        before = (record.state, record.level, record.verified)
        try:
            record.apply(action, payload)
        except (InvalidTransition, MissingRequirement):
            assert (record.state, record.level, record.verified) == before  # a refused move changes nothing
            continue
        action_, source, target = record.history[-1]
        assert any(m.action == action_ and m.source is source and m.target is target for m in lifecycle.MOVES)
        assert source not in (HazardState.CLOSED, HazardState.DISMISSED)  # final states stay final
        if target is HazardState.CLOSED and record.level is Level.MAJOR:
            assert source is HazardState.VERIFIED and record.verified
        if action_ == "plan" and record.level is Level.MAJOR:
            assert all(payload["plan"].get(k) for k in lifecycle.FIVE_IMPLEMENTATIONS)
        if lifecycle.move_for(source, action_).needs_reason:
            assert payload.get("reason")
    if record.state is HazardState.CLOSED:
        assert record.history[-1][0] == "close"


def test_a_proposed_hazard_is_never_reported_without_a_person_confirming() -> None:
    assert lifecycle.allowed_actions(HazardState.PROPOSED) == ("confirm", "dismiss")


@pytest.mark.parametrize("state", [HazardState.CLOSED, HazardState.DISMISSED])
def test_final_states_allow_nothing(state: HazardState) -> None:
    assert lifecycle.allowed_actions(state) == ()


def test_closing_a_rectified_major_hazard_without_verification_is_refused() -> None:
    record = Record(state=HazardState.RECTIFIED, level=Level.MAJOR)
    with pytest.raises(MissingRequirement, match="verification"):
        record.apply("close", {})
