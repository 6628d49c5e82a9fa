"""The incident status machine allows only its documented transitions."""

from __future__ import annotations

import itertools

import pytest

from yingji.errors import InvalidInput
from yingji.incidents.lifecycle import (
    INITIAL_STATUS,
    TRANSITIONS,
    IncidentStatus,
    InvalidTransition,
    allowed_targets,
    is_allowed,
    is_final,
    parse_status,
    transition,
)

S = IncidentStatus
FORWARD = [
    (S.REPORTED, S.VERIFIED),
    (S.VERIFIED, S.RESPONDING),
    (S.RESPONDING, S.RECOVERING),
    (S.RECOVERING, S.CLOSED),
]
WITH_REASON = [(S.REPORTED, S.CLOSED), (S.VERIFIED, S.CLOSED), (S.RECOVERING, S.RESPONDING)]


def test_new_incidents_start_reported() -> None:
    assert INITIAL_STATUS is S.REPORTED


@pytest.mark.parametrize(("source", "target"), FORWARD)
def test_forward_steps_are_allowed_without_reason(source: IncidentStatus, target: IncidentStatus) -> None:
    assert transition(source, target).target is target


@pytest.mark.parametrize(("source", "target"), WITH_REASON)
def test_documented_exceptions_need_a_reason(source: IncidentStatus, target: IncidentStatus) -> None:
    with pytest.raises(InvalidTransition, match="reason"):
        transition(source, target)
    assert transition(source, target, reason="duplicate of an earlier report").target is target


def test_blank_reason_is_no_reason() -> None:
    with pytest.raises(InvalidTransition):
        transition(S.VERIFIED, S.CLOSED, reason="  ")


def test_every_other_pair_is_refused() -> None:
    allowed = set(FORWARD) | set(WITH_REASON)
    for source, target in itertools.product(S, S):
        if (source, target) in allowed:
            continue
        assert not is_allowed(source, target)
        with pytest.raises(InvalidTransition, match="cannot change"):
            transition(source, target, reason="any")


def test_table_holds_exactly_the_documented_transitions() -> None:
    assert {(t.source, t.target) for t in TRANSITIONS} == set(FORWARD) | set(WITH_REASON)


def test_closed_is_final() -> None:
    assert is_final(S.CLOSED)
    assert allowed_targets(S.CLOSED) == ()


def test_refusal_is_a_conflict_naming_the_current_status() -> None:
    with pytest.raises(InvalidTransition) as refused:
        transition(S.RESPONDING, S.VERIFIED)
    assert refused.value.status == 409
    assert refused.value.extra["current"] == "responding"


def test_unknown_status_name_is_invalid_input() -> None:
    with pytest.raises(InvalidInput, match="unknown status"):
        parse_status("archived")
