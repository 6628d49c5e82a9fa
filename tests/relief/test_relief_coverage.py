"""Coverage analysis: nearest depot per level against the 6/8/10 h targets, shelters, teams."""

from __future__ import annotations

import numpy as np
import pytest

from yingji.relief.coverage import (
    delivery_targets,
    depot_coverage,
    divisions_without_level,
    shelter_balance,
    team_coverage,
)
from yingji.relief.dispatch import Team
from yingji.relief.travel import Sites, fallback_hours


def test_delivery_targets_are_6_8_10_hours() -> None:
    assert delivery_targets() == {"county": 6.0, "city": 8.0, "province": 10.0}


DEPOTS = Sites.of(["cty", "city", "prov"], [100.0, 101.0, 102.5], [30.0, 30.0, 30.0])
LEVELS = ["county", "city", "province"]
PLACES = Sites.of(["near", "far"], [100.1, 108.0], [30.0, 30.0])


def test_nearest_depot_of_each_level_with_hours() -> None:
    cov = depot_coverage(DEPOTS, LEVELS, PLACES)
    assert cov["county"].depot.tolist() == [0, 0]
    assert cov["county"].hours[0] == pytest.approx(fallback_hours(DEPOTS, PLACES)[0, 0])


def test_places_beyond_the_target_are_listed() -> None:
    cov = depot_coverage(DEPOTS, LEVELS, PLACES)
    assert cov["county"].outside_target.tolist() == [1]  # 8° of longitude ≈ 770 km ≈ 27 h
    assert cov["province"].outside_target.tolist() == [1]


def test_hours_matrix_overrides_fallback_and_unreachable_is_outside() -> None:
    hours = np.array([[1.0, np.inf], [2.0, np.inf], [3.0, 9.0]])
    cov = depot_coverage(DEPOTS, LEVELS, PLACES, hours=hours)
    assert cov["county"].depot.tolist() == [0, -1]
    assert cov["county"].outside_target.tolist() == [1]
    assert cov["province"].outside_target.tolist() == []


def test_counties_without_a_county_depot() -> None:
    assert divisions_without_level(["A", "B"], ["county", "city"], ["A", "B", "C"]) == ["B", "C"]


def test_shelter_shortfall_uses_one_and_a_half_square_metres_per_person() -> None:
    bal = shelter_balance(["t1", "t1", "t2"], [1500.0, 1500.0, 300.0], ["t1", "t2"], [1500, 500])
    assert bal.capacity.tolist() == [2000, 200]
    assert bal.shortfall.tolist() == [0, 300]
    assert bal.short_townships == ["t2"]


def test_closed_shelters_do_not_count() -> None:
    bal = shelter_balance(["t1"], [1500.0], ["t1"], [10], open_only=[False])
    assert bal.shortfall.tolist() == [10]


def test_team_coverage_by_capability_and_deadline() -> None:
    teams = [Team("fire", frozenset({"collapse"}), ready_hours=1.0), Team("water", frozenset({"water"}))]
    travel = np.array([[2.0, 80.0], [1.0, 1.0]])
    cov = team_coverage(teams, travel, capabilities=["collapse", "water", "mine"])
    assert cov["collapse"].arrival_hours.tolist() == [3.0, 81.0]
    assert cov["collapse"].uncovered.tolist() == [1]
    assert cov["water"].uncovered.tolist() == []
    assert cov["mine"].uncovered.tolist() == [0, 1]
