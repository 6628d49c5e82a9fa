"""Jurisdiction overrides: a county plan scales the national thresholds down for its division codes."""

from __future__ import annotations

from pathlib import Path

import pytest

from yingji.errors import InvalidInput
from yingji.incidents.grading import Figures, grade
from yingji.incidents.rulesets import (
    apply_overrides,
    available_rule_sets,
    load_overrides_file,
    parse_overrides,
)

# A county plan (2024) as in shared/reference/standards.md §1: 二级 = 死亡(含失踪) 5–10; 紧急转移安置和需紧急生活
# 救助 1200–2000; 倒塌和严重损坏房屋 500–1000间 or 200–400户; 干旱需救助 2.5万–5万. The reference gives only
# level 二; the other levels here are illustrative. The division prefix is a made-up county code.
COUNTY = "990101"
COUNTY_PLAN = {
    "overrides": [
        {
            "division_prefix": COUNTY,
            "applies_to": "natural_disaster_relief",
            "document": "某县自然灾害救助应急预案（2024）",
            "status": "V",
            "thresholds": [
                {"tier": 1, "criterion": "deaths_and_missing", "threshold": 10, "clause": "一级"},
                {"tier": 2, "criterion": "deaths_and_missing", "threshold": 5, "clause": "二级"},
                {"tier": 3, "criterion": "deaths_and_missing", "threshold": 3, "clause": "三级", "status": "U"},
                {"tier": 4, "criterion": "deaths_and_missing", "threshold": 1, "clause": "四级", "status": "U"},
                {"tier": 1, "criterion": "relocated_and_needing_assistance", "threshold": 2000, "clause": "一级"},
                {"tier": 2, "criterion": "relocated_and_needing_assistance", "threshold": 1200, "clause": "二级"},
                {"tier": 3, "criterion": "relocated_and_needing_assistance", "threshold": 500, "clause": "三级"},
                {"tier": 4, "criterion": "relocated_and_needing_assistance", "threshold": 100, "clause": "四级"},
            ],
        }
    ]
}
NATIONAL = available_rule_sets()["relief-2024"]


def test_override_applies_to_divisions_under_the_prefix() -> None:
    local = apply_overrides(NATIONAL, parse_overrides(COUNTY_PLAN), COUNTY + "001000")
    result = grade(local, Figures(deaths=4, missing=1))
    assert result.response_level == 2
    assert result.basis[0].document == "某县自然灾害救助应急预案（2024）"
    assert result.rules_version == f"relief-2024+{COUNTY}"


def test_override_does_not_touch_other_divisions() -> None:
    assert apply_overrides(NATIONAL, parse_overrides(COUNTY_PLAN), "110101") is NATIONAL


def test_override_keeps_thresholds_it_does_not_name() -> None:
    local = apply_overrides(NATIONAL, parse_overrides(COUNTY_PLAN), COUNTY)
    assert grade(local, Figures(collapsed_households=3000)).response_level == 4


def test_override_status_defaults_to_the_entry_status() -> None:
    local = apply_overrides(NATIONAL, parse_overrides(COUNTY_PLAN), COUNTY)
    statuses = {r.tier: r.source.status.value for r in local.rules if r.criterion.value == "deaths_and_missing"}
    assert statuses == {1: "V", 2: "V", 3: "U", 4: "U"}


def test_longer_prefix_wins_over_shorter() -> None:
    plans = parse_overrides(
        [
            {
                "division_prefix": "99",
                "applies_to": "relief-2024",
                "thresholds": [{"tier": 4, "criterion": "deaths_and_missing", "threshold": 10}],
            },
            {
                "division_prefix": "9901",
                "applies_to": "relief-2024",
                "thresholds": [{"tier": 4, "criterion": "deaths_and_missing", "threshold": 5}],
            },
        ]
    )
    local = apply_overrides(NATIONAL, plans, "990102")
    assert grade(local, Figures(deaths=5)).response_level == 4
    assert local.overrides_applied == ("99", "9901")


def test_override_can_remove_a_threshold() -> None:
    plans = parse_overrides(
        [
            {
                "division_prefix": "99",
                "applies_to": "relief-2024",
                "thresholds": [{"tier": 4, "criterion": "collapsed_households", "threshold": None}],
            }
        ]
    )
    local = apply_overrides(NATIONAL, plans, "99")
    assert grade(local, Figures(collapsed_households=5000)).response_level is None


def test_override_for_another_rule_set_is_not_applied() -> None:
    plans = parse_overrides(
        [
            {
                "division_prefix": "99",
                "applies_to": "relief-2016",
                "thresholds": [{"tier": 4, "criterion": "deaths", "threshold": 2}],
            }
        ]
    )
    assert apply_overrides(NATIONAL, plans, "99") is NATIONAL


def test_override_that_breaks_the_ladder_is_refused() -> None:
    plans = parse_overrides(
        [
            {
                "division_prefix": "99",
                "applies_to": "relief-2024",
                "thresholds": [{"tier": 3, "criterion": "deaths_and_missing", "threshold": 500}],
            }
        ]
    )
    with pytest.raises(InvalidInput, match="not above"):
        apply_overrides(NATIONAL, plans, "99")


def test_override_with_unknown_criterion_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Criterion"):
        parse_overrides(
            [
                {
                    "division_prefix": "99",
                    "applies_to": "relief-2024",
                    "thresholds": [{"tier": 3, "criterion": "cows", "threshold": 5}],
                }
            ]
        )


def test_override_prefix_must_be_digits() -> None:
    with pytest.raises(InvalidInput, match="division_prefix"):
        parse_overrides([{"division_prefix": "abc", "applies_to": "relief-2024", "thresholds": []}])


def test_overrides_load_from_a_yaml_file(tmp_path: Path) -> None:
    import yaml

    path = tmp_path / "overrides.yaml"
    path.write_text(yaml.safe_dump(COUNTY_PLAN, allow_unicode=True), encoding="utf-8")
    assert load_overrides_file(path)[0].division_prefix == COUNTY
