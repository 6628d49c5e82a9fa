"""Every threshold of every rule set, just below, at and just above — cases built from the independent
hand-written table ``data/grading_thresholds.csv`` (not from the packaged YAML)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from yingji.incidents.grading import GRADE_OF_TIER, Figures, grade
from yingji.incidents.rulesets import PopulationDensity, available_rule_sets

TABLE = Path(__file__).parent / "data" / "grading_thresholds.csv"


@dataclass(frozen=True)
class Row:
    rules_version: str
    tier: int
    criterion: str
    population_density: str | None
    threshold: Fraction
    status: str
    source: str


def _rows() -> list[Row]:
    with TABLE.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return [
        Row(
            rules_version=raw["rules_version"],
            tier=int(raw["tier"]),
            criterion=raw["criterion"],
            population_density=raw["population_density"] or None,
            threshold=Fraction(raw["threshold"]),
            status=raw["status"],
            source=raw["source"],
        )
        for raw in csv.DictReader(lines)
    ]


ROWS = _rows()
# Steps to "just below/above": whole people, households, yuan; magnitude to 0.1; shares via whole people/yuan.
GDP = 10**11  # provincial GDP in yuan for the share rule: 1% = 10**9 yuan exactly
AGRICULTURAL_POPULATION = 10**6  # so that 30% (300,000 people) stays below every absolute drought threshold


def _expected_tier(row: Row, value: Fraction) -> int | None:
    """The highest tier on the same ladder whose threshold the value reaches — read from the table."""
    ladder = [
        r
        for r in ROWS
        if (r.rules_version, r.criterion, r.population_density)
        == (row.rules_version, row.criterion, row.population_density)
    ]
    reached = [r.tier for r in ladder if value >= r.threshold]
    return min(reached, default=None)


def _figures(row: Row, value: Fraction) -> Figures:
    """Figures that give ``row.criterion`` the value ``value`` and touch no other criterion."""
    c = row.criterion
    if c == "magnitude":
        assert row.population_density is not None
        return Figures(magnitude=float(value), population_density=PopulationDensity(row.population_density))
    if c == "direct_loss_share_of_provincial_gdp":
        return Figures(direct_loss_cny=float(value * GDP), provincial_gdp_cny=float(GDP))
    if c == "drought_needing_assistance_share":
        return Figures(
            drought_needing_assistance=int(value * AGRICULTURAL_POPULATION),
            agricultural_population=AGRICULTURAL_POPULATION,
        )
    if c == "deaths_and_missing":
        return Figures(deaths=int(value))
    if c == "relocated_and_needing_assistance":
        return Figures(relocated=int(value))
    kwargs: dict[str, Any] = {c: float(value) if c == "direct_loss_cny" else int(value)}
    return Figures(**kwargs)


def _step(row: Row) -> Fraction:
    if row.criterion == "magnitude":
        return Fraction(1, 10)
    if row.criterion == "direct_loss_share_of_provincial_gdp":
        return Fraction(1, GDP)  # one yuan
    if row.criterion == "drought_needing_assistance_share":
        return Fraction(1, AGRICULTURAL_POPULATION)  # one person
    return Fraction(1)


CASES = [
    pytest.param(
        row,
        where,
        id=f"{row.rules_version}-t{row.tier}-{row.criterion}"
        f"{'-' + row.population_density if row.population_density else ''}-{where}",
    )
    for row in ROWS
    for where in ("below", "at", "above")
]


@pytest.mark.parametrize(("row", "where"), CASES)
def test_threshold_boundary(row: Row, where: str) -> None:
    offset = {"below": -1, "at": 0, "above": 1}[where]
    value = row.threshold + offset * _step(row)
    rule_set = available_rule_sets()[row.rules_version]
    result = grade(rule_set, _figures(row, value))
    expected = _expected_tier(row, value)
    assert result.response_level == expected
    if rule_set.outcome == "grade":
        assert result.grade == (GRADE_OF_TIER[expected] if expected is not None else None)
    else:
        assert result.grade is None
    if where == "at":
        assert expected == row.tier
        fired = [b for b in result.basis if b.criterion == row.criterion]
        assert len(fired) == 1
        assert fired[0].tier == row.tier
        assert fired[0].status == row.status
        assert fired[0].clause


def test_table_and_packaged_rule_sets_hold_the_same_thresholds() -> None:
    packaged = {
        (
            rs.id,
            rule.tier,
            rule.criterion.value,
            None if rule.population_density is None else rule.population_density.value,
            Fraction(str(rule.threshold)),
            rule.source.status.value,
        )
        for rs in available_rule_sets().values()
        for rule in rs.rules
    }
    table = {(r.rules_version, r.tier, r.criterion, r.population_density, r.threshold, r.status) for r in ROWS}
    assert packaged - table == set(), "thresholds in the YAML but not in the hand-written table"
    assert table - packaged == set(), "thresholds in the hand-written table but not in the YAML"
