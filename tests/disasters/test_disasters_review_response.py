"""The review chain's stages and the relief response level of totals (pure), at their boundaries."""

from __future__ import annotations

import pytest

from yingji.disasters.response import relief_figures, relief_response
from yingji.disasters.review import ReviewError, may_review, next_status, reviewer_division

T = "540223001000"


def test_each_stage_is_reviewed_by_the_townships_ancestor_at_that_level() -> None:
    assert reviewer_division(T, "county") == "540223000000"
    assert may_review("submitted", T, "540223000000", national=False)
    assert not may_review("submitted", T, "540200000000", national=False)
    assert may_review("county_accepted", T, "540200000000", national=False)
    assert may_review("prefecture_accepted", T, "540000000000", national=False)
    assert not may_review("province_accepted", T, "540000000000", national=True)
    assert not may_review("returned", T, "540223000000", national=True)


def test_accept_moves_one_level_up_and_return_ends_the_chain() -> None:
    assert next_status("submitted", "accept") == "county_accepted"
    assert next_status("county_accepted", "accept") == "prefecture_accepted"
    assert next_status("prefecture_accepted", "accept") == "province_accepted"
    assert next_status("county_accepted", "return") == "returned"
    with pytest.raises(ReviewError):
        next_status("returned", "accept")
    with pytest.raises(ReviewError):
        next_status("province_accepted", "return")


@pytest.mark.parametrize(
    "totals,level",
    [
        ({"deaths": 150, "missing": 49}, 2),  # 199 dead and missing: Ⅱ级 (100–200)
        ({"deaths": 150, "missing": 50}, 1),  # 200 inclusive: Ⅰ级
        ({"deaths": 19}, None),
        ({"deaths": 20}, 4),
        ({"houses_collapsed_households": 60_000, "houses_severe_households": 40_000}, 1),  # 倒塌和严重损坏 10万户
        ({"relocated": 1_000_000, "needing_assistance": 999_999}, 2),
    ],
)
def test_province_totals_trigger_the_national_relief_level(totals: dict[str, int], level: int | None) -> None:
    result = relief_response(totals)
    assert result["response_level"] == level
    assert result["rules_version"] == "relief-2024"
    assert all(rule["source"]["document"] for rule in result["basis"])


def test_collapsed_and_severely_damaged_rooms_are_added() -> None:
    figures = relief_figures({"houses_collapsed_rooms": 3, "houses_severe_rooms": 4})
    assert figures.collapsed_rooms == 7 and figures.collapsed_households is None
