"""Invariants: a higher figure never lowers the grade or level; denser never lowers an initial grade."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingji.incidents.grading import Figures, grade
from yingji.incidents.rulesets import PopulationDensity, available_rule_sets

COUNT_FIELDS = (
    "deaths",
    "missing",
    "serious_injuries",
    "relocated",
    "needing_assistance",
    "collapsed_rooms",
    "collapsed_households",
    "drought_needing_assistance",
)
counts = st.one_of(st.none(), st.integers(0, 5_000_000))


def _rank(level: int | None) -> int:
    """Higher is more severe: tier 1 → 4, none → 0."""
    return 0 if level is None else 5 - level


@st.composite
def figures(draw: st.DrawFn) -> Figures:
    kwargs: dict[str, Any] = {name: draw(counts) for name in COUNT_FIELDS}
    kwargs["direct_loss_cny"] = draw(st.one_of(st.none(), st.floats(0, 1e11)))
    kwargs["provincial_gdp_cny"] = draw(st.one_of(st.none(), st.floats(1e9, 1e13)))
    kwargs["agricultural_population"] = draw(st.one_of(st.none(), st.integers(1, 50_000_000)))
    kwargs["magnitude"] = draw(st.one_of(st.none(), st.floats(0, 9.5)))
    kwargs["population_density"] = draw(st.sampled_from(list(PopulationDensity)))
    return Figures(**kwargs)


INCREASABLE = (*COUNT_FIELDS, "direct_loss_cny", "magnitude")


@pytest.mark.parametrize("rules_version", sorted(available_rule_sets()))
@settings(max_examples=60, deadline=None)
@given(start=figures(), field=st.sampled_from(INCREASABLE), increase=st.floats(0, 1e6))
def test_higher_figure_never_lowers_the_level(rules_version: str, start: Figures, field: str, increase: float) -> None:
    current = getattr(start, field)
    if current is None:
        return  # adding a figure that was unknown can switch an earthquake from initial to assessed grading
    bigger = current + (increase if isinstance(current, float) else int(increase))
    rule_set = available_rule_sets()[rules_version]
    before = grade(rule_set, start).response_level
    after = grade(rule_set, replace(start, **{field: bigger})).response_level
    assert _rank(after) >= _rank(before)


@settings(max_examples=80, deadline=None)
@given(magnitude=st.floats(0, 9.5))
def test_denser_area_never_lowers_the_initial_earthquake_grade(magnitude: float) -> None:
    rule_set = available_rule_sets()["earthquake-2012"]
    order = (PopulationDensity.SPARSE, PopulationDensity.FAIRLY_DENSE, PopulationDensity.DENSE)
    ranks = [_rank(grade(rule_set, Figures(magnitude=magnitude, population_density=d)).response_level) for d in order]
    assert ranks == sorted(ranks)
