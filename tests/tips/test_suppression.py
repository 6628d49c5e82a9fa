"""Public statistics published as several breakdowns of the same records (by category and by division …): a count
withheld in one breakdown is not had back from another (tips.handling.publish_together) — a property checked by
integer programming, independently of the linear programming the code uses."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import Bounds, LinearConstraint, milp

from yingji.tips import handling

SMALL = handling.SMALL_COUNT


def _range(
    cells: dict[tuple[str, ...], int], published: list[dict[str, int | None]], side: int, key: str
) -> tuple[int, int]:
    """The least and greatest whole value of a withheld count given what a reader knows (see publish_together)."""
    support = [c for c, n in cells.items() if n > 0]
    rows, lower, upper = [], [], []
    if sum(cells.values()) >= SMALL:
        rows.append(np.ones(len(support)))
        lower.append(sum(cells.values()))
        upper.append(sum(cells.values()))
    for i, breakdown in enumerate(published):
        for k, value in breakdown.items():
            rows.append(np.array([1.0 if c[i] == k else 0.0 for c in support]))
            lower.append(1 if value is None else value)
            upper.append(np.inf if value is None else value)
    objective = np.array([1.0 if c[side] == key else 0.0 for c in support])
    found = []
    for sign in (1, -1):
        result = milp(sign * objective, integrality=np.ones(len(support)), bounds=Bounds(0, np.inf),
                      constraints=LinearConstraint(np.array(rows), lower, upper))  # fmt: skip
        if sign == -1 and result.status in (3, 4):  # the least was found, so the model is feasible: unbounded
            found.append(10**9)
            continue
        assert result.status == 0, result.message
        found.append(round(sign * result.fun))
    return found[0], found[1]


tables = st.dictionaries(
    st.tuples(st.sampled_from(["化工", "矿山", "工贸"]), st.sampled_from(["城关镇", "协格尔镇", "岗嘎镇", "扎西宗乡"])),
    st.integers(min_value=0, max_value=9),
    min_size=1,
    max_size=8,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables)
def test_no_withheld_count_is_pinned_by_the_other_breakdown(cells: dict[tuple[str, ...], int]) -> None:
    published = handling.publish_together(cells)
    for side, breakdown in enumerate(published):
        truth = handling._marginal(cells, side)
        assert set(breakdown) == set(truth)
        for key, value in breakdown.items():
            assert value is None or value == truth[key]  # a published count is the count
            if 0 < truth[key] < SMALL:
                assert value is None  # the small ones are always withheld
            if value is None:
                low, high = _range(cells, published, side, key)
                assert low <= truth[key] <= high and low < high, (side, key, truth[key], low, high, published)


def test_a_division_holding_one_category_alone_does_not_give_that_category_back() -> None:
    cells = {("化工", "城关镇"): 3, ("化工", "协格尔镇"): 6, ("矿山", "协格尔镇"): 7, ("工贸", "岗嘎镇"): 8}
    alone = [handling.publish(handling._marginal(cells, i)) for i in range(2)]
    assert alone[1]["岗嘎镇"] is None and alone[0]["工贸"] == 8  # each alone: 岗嘎镇 (all 工贸) is 工贸's 8
    category, division = handling.publish_together(cells)
    assert division["岗嘎镇"] is None and category["工贸"] is None
    assert handling.exposed(cells, [category, division]) is None


def test_withheld_ones_that_add_up_to_the_rest_are_not_given_back() -> None:
    cells = {(name,): 1 for name in "abcde"} | {("f",): 20}
    assert handling.publish({k[0]: v for k, v in cells.items()})["f"] == 20  # alone, each withheld 1 is pinned
    assert handling.publish_together(cells) == [dict.fromkeys("abcdef")]
