"""Plan documents (pure): the packaged examples survive the stored form, and a broken plan is refused
with a message that says where the problem is."""

from __future__ import annotations

from typing import Any

import pytest

from yingji.errors import InvalidInput
from yingji.incidents import plans

TASK = {"key": "verify", "title": "核查", "organisation": "县应急管理局", "due_minutes": 60}
PLAN: dict[str, Any] = {"id": "p", "title": "预案", "incident_types": ["flood"], "levels": {4: [TASK]}}


def test_the_stored_form_of_each_packaged_plan_reads_back_as_the_same_plan() -> None:
    for plan in plans.packaged_plans():
        assert plans.parse_plan(plan.as_document()) == plan


def test_json_level_keys_read_as_levels() -> None:
    plan = plans.parse_plan({**PLAN, "levels": {"2": [TASK]}})
    assert [t.level for t in plan.tasks] == [2]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"incident_types": ["volcano"]}, "plan p: unknown incident types"),
        ({"levels": {5: [TASK]}}, "plan p: level 5 must be 1, 2, 3 or 4"),
        ({"levels": {3: [{**TASK, "due_minutes": 0}]}}, "plan p: level 3: task 1: due_minutes"),
        ({"levels": {3: [{**TASK, "organisation": ""}]}}, "plan p: level 3: task 1: organisation"),
        ({"levels": {4: [TASK], 3: [TASK]}}, r"task keys must be unique \(repeated: verify\)"),
        ({"levels": {4: []}}, "plan p: has no task"),
        ({"title": None}, "plan p: title"),
    ],
)
def test_a_broken_plan_is_refused_naming_where(change: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        plans.parse_plan({**PLAN, **change})


def test_a_plan_set_needs_a_plans_list_and_unique_ids() -> None:
    with pytest.raises(InvalidInput, match="a list under 'plans'"):
        plans.parse_plans([PLAN])
    with pytest.raises(InvalidInput, match=r"plan ids must be unique .*repeated: p"):
        plans.parse_plans({"plans": [PLAN, PLAN]})
    with pytest.raises(InvalidInput, match="plan 2 must be a mapping"):
        plans.parse_plans({"plans": [PLAN, "not a plan"]})
