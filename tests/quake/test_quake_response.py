from __future__ import annotations

import pytest

from yingji.errors import InvalidInput
from yingji.quake.response import density_class, response_level


@pytest.mark.parametrize(
    ("magnitude", "density", "level"),
    [
        (7.0, "fairly_dense", 1),
        (6.99, "fairly_dense", 2),
        (6.0, "fairly_dense", 2),
        (5.0, "fairly_dense", 3),
        (4.0, "fairly_dense", 4),
        (3.9, "fairly_dense", None),
        (6.0, "dense", 1),
        (5.0, "dense", 2),
        (4.0, "dense", 3),
        (7.5, "sparse", None),
    ],
)
def test_initial_grading_by_magnitude_and_density(magnitude: float, density: str, level: int | None) -> None:
    assert response_level(magnitude, density, None).level == level  # type: ignore[arg-type]


@pytest.mark.parametrize(("deaths", "level"), [(300, 1), (299.9, 2), (50, 2), (10, 3), (9, 4), (1, 4), (0.4, None)])
def test_grading_by_estimated_deaths(deaths: float, level: int | None) -> None:
    assert response_level(4.5, "sparse", deaths).level == level


def test_the_higher_of_the_two_gradings_wins_and_says_why() -> None:
    result = response_level(6.8, "sparse", 78.0)
    assert result.level == 2 and "deaths" in result.reason
    result = response_level(7.1, "fairly_dense", 12.0)
    assert result.level == 1 and "initial grading" in result.reason
    assert result.grade == "特别重大地震灾害"


def test_density_classes() -> None:
    assert density_class(250) == "dense"
    assert density_class(50) == "fairly_dense"
    assert density_class(5) == "sparse"
    with pytest.raises(InvalidInput, match="density"):
        density_class(-1)


def test_levels_come_from_the_command_rule_set_with_its_clauses() -> None:
    from yingji.incidents import grading
    from yingji.incidents.incident_types import IncidentType

    result = response_level(6.5, "fairly_dense", 0.0)
    command = grading.grade_incident(
        IncidentType("earthquake"),
        grading.Figures(magnitude=6.5, population_density="fairly_dense"),  # type: ignore[arg-type]
    )
    assert result.level == command.response_level == 2
    assert result.grade_key == command.grade and result.rules_version == command.rules_version
    assert result.basis and all("3.1" in rule["source"]["clause"] for rule in result.basis)
