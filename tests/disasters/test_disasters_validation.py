"""Validation rules at their boundaries: equal passes, one more fails, and each finding names rule and figures."""

from __future__ import annotations

import pytest

from yingji.disasters.regime import default_regime
from yingji.disasters.validation import (
    CountError,
    check_children_sum,
    check_figures,
    check_jump,
    parse_count,
)

RULES = default_regime().rules


@pytest.mark.parametrize("raw,value", [("0", 0), (" 7 ", 7), (12, 12), (3.0, 3), ("123456789012", 123456789012)])
def test_counts_accept_non_negative_integers(raw: object, value: int) -> None:
    assert parse_count(raw, "deaths") == value


@pytest.mark.parametrize(
    "raw,words",
    [
        ("-1", "negative"),
        (-1, "negative"),
        ("1.5", "integer"),
        (1.5, "whole"),
        ("", "integer"),
        ("x", "integer"),
        ("1e3", "integer"),
        (True, "integer"),
        ("-0.5", "negative"),
    ],
)
def test_counts_refuse_negative_fractional_and_text(raw: object, words: str) -> None:
    with pytest.raises(CountError, match=words) as info:
        parse_count(raw, "deaths")
    assert "deaths" in str(info.value)


def test_deaths_plus_missing_equal_to_affected_passes() -> None:
    assert check_figures({"affected": 5, "deaths": 3, "missing": 2}, RULES) == []


def test_deaths_plus_missing_one_above_affected_names_rule_and_figures() -> None:
    (finding,) = check_figures({"affected": 4, "deaths": 3, "missing": 2}, RULES)
    assert finding.rule == "deaths_missing_le_affected"
    assert finding.figures == {"deaths": 3, "missing": 2, "affected": 4}
    assert "deaths 3 + missing 2 = 5 > affected 4" in finding.message


def test_households_above_rooms_fails_and_equal_passes() -> None:
    assert check_figures({"houses_collapsed_households": 3, "houses_collapsed_rooms": 3}, RULES) == []
    (finding,) = check_figures({"houses_collapsed_households": 4, "houses_collapsed_rooms": 3}, RULES)
    assert finding.rule == "collapsed_households_le_rooms"


def test_relocation_parts_above_total_fail() -> None:
    figures = {"relocated": 10, "relocated_concentrated": 6, "relocated_dispersed": 5}
    assert [f.rule for f in check_figures(figures, RULES)] == ["relocation_parts_le_total"]


def test_a_rule_whose_total_is_absent_is_skipped() -> None:
    assert check_figures({"deaths": 9, "missing": 9}, RULES) == []


def test_jump_exactly_at_the_ratio_needs_no_explanation_above_it_does() -> None:
    assert check_jump({"affected": 100}, {"affected": 150}, RULES, explanation=None) == []
    assert check_jump({"affected": 100}, {"affected": 50}, RULES, explanation=None) == []
    (up,) = check_jump({"affected": 100}, {"affected": 151}, RULES, explanation=None)
    assert up.rule == "jump_needs_explanation" and up.figures == {"affected_previous": 100, "affected": 151}
    (down,) = check_jump({"affected": 100}, {"affected": 49}, RULES, explanation="  ")
    assert "100 to 49" in down.message


def test_a_written_explanation_clears_the_jump() -> None:
    assert check_jump({"deaths": 1}, {"deaths": 40}, RULES, explanation="bodies found in the landslide") == []


def test_township_sum_must_equal_the_county_figure() -> None:
    assert check_children_sum({"affected": 30}, {"affected": 30}, RULES) == []
    (finding,) = check_children_sum({"affected": 31}, {"affected": 30}, RULES)
    assert finding.rule == "township_sum_equals_county" and finding.figures == {"affected": 31, "affected_sum": 30}
