"""Grading behaviour: types and families, earthquake initial grading, the relief plan's sums, results."""

from __future__ import annotations

import pytest

from yingji.errors import InvalidInput
from yingji.incidents.grading import Figures, grade, grade_incident
from yingji.incidents.incident_types import FAMILY_OF_TYPE, IncidentType, RuleFamily, parse_incident_type
from yingji.incidents.rulesets import PopulationDensity, available_rule_sets, resolve_rule_set

DENSE, FAIRLY_DENSE, SPARSE = PopulationDensity.DENSE, PopulationDensity.FAIRLY_DENSE, PopulationDensity.SPARSE

ISSUE_TYPES = [
    "earthquake",
    "flood",
    "geological_hazard",
    "forest_grassland_fire",
    "drought",
    "typhoon",
    "snow_ice",
    "coal_mine",
    "non_coal_mine",
    "hazardous_chemicals",
    "fire",
    "industry_trade",
    "construction",
    "road_traffic",
    "waterway",
    "special_equipment",
    "other",
]


def test_incident_types_are_exactly_the_issue_list() -> None:
    assert [t.value for t in IncidentType] == ISSUE_TYPES
    assert set(FAMILY_OF_TYPE) == set(IncidentType)


@pytest.mark.parametrize(
    "name", ["flood", "geological_hazard", "forest_grassland_fire", "drought", "typhoon", "snow_ice"]
)
def test_natural_disasters_use_the_relief_plan(name: str) -> None:
    assert FAMILY_OF_TYPE[IncidentType(name)] is RuleFamily.NATURAL_DISASTER_RELIEF


@pytest.mark.parametrize(
    "name",
    [
        "coal_mine",
        "non_coal_mine",
        "hazardous_chemicals",
        "fire",
        "industry_trade",
        "construction",
        "road_traffic",
        "waterway",
        "special_equipment",
    ],
)
def test_accidents_use_the_accident_regulation(name: str) -> None:
    result = grade_incident(IncidentType(name), Figures(deaths=30))
    assert (result.grade, result.response_level, result.rules_version) == ("particularly_serious", 1, "accident-2007")


def test_unknown_type_names_the_parameter() -> None:
    with pytest.raises(InvalidInput, match="type"):
        parse_incident_type("meteor")


def test_newest_versions_are_the_defaults() -> None:
    assert grade_incident(IncidentType.FLOOD, Figures(deaths=1)).rules_version == "relief-2024"
    assert grade_incident(IncidentType.EARTHQUAKE, Figures(deaths=1)).rules_version == "earthquake-2012"
    assert grade_incident(IncidentType.FIRE, Figures(deaths=1)).rules_version == "accident-2007"


def test_older_version_selectable_by_id_or_year() -> None:
    family = RuleFamily.NATURAL_DISASTER_RELIEF
    assert resolve_rule_set(family, "relief-2016").id == "relief-2016"
    assert resolve_rule_set(family, "2016").id == "relief-2016"


def test_version_of_another_family_is_refused() -> None:
    with pytest.raises(InvalidInput, match="earthquake"):
        resolve_rule_set(RuleFamily.NATURAL_DISASTER_RELIEF, "earthquake-2012")


def test_unknown_version_is_refused() -> None:
    with pytest.raises(InvalidInput, match="unknown rules version"):
        resolve_rule_set(RuleFamily.EARTHQUAKE, "1999")


def test_negative_figure_names_the_figure() -> None:
    with pytest.raises(InvalidInput, match="serious_injuries"):
        Figures(serious_injuries=-1)


def test_highest_triggered_level_wins_and_every_fired_rule_is_listed() -> None:
    result = grade_incident(IncidentType.COAL_MINE, Figures(deaths=4, serious_injuries=60, direct_loss_cny=2e7))
    assert result.grade == "serious"
    assert [(b.criterion, b.tier) for b in result.basis] == [
        ("serious_injuries", 2),
        ("deaths", 3),
        ("direct_loss_cny", 3),
    ]
    assert all(b.document.startswith("生产安全事故报告和调查处理条例") for b in result.basis)


def test_accident_leading_government_follows_grade() -> None:
    levels = [grade_incident(IncidentType.CONSTRUCTION, Figures(deaths=d)).leading_government for d in (30, 10, 3, 1)]
    assert levels == ["national", "provincial", "municipal", "county"]


def test_accident_with_no_casualties_or_loss_has_no_grade() -> None:
    result = grade_incident(IncidentType.FIRE, Figures(deaths=0, serious_injuries=0, direct_loss_cny=0))
    assert (result.grade, result.response_level, result.basis) == (None, None, ())


def test_earthquake_initial_grade_from_magnitude_and_density() -> None:
    grades = {
        (m, d.value): grade_incident(IncidentType.EARTHQUAKE, Figures(magnitude=m, population_density=d)).grade
        for m in (6.5, 5.5, 4.5)
        for d in (DENSE, FAIRLY_DENSE)
    }
    assert grades == {
        (6.5, "dense"): "particularly_serious",
        (6.5, "fairly_dense"): "serious",
        (5.5, "dense"): "serious",
        (5.5, "fairly_dense"): "relatively_serious",
        (4.5, "dense"): "relatively_serious",
        (4.5, "fairly_dense"): "general",
    }


def test_earthquake_initial_phase_is_reported() -> None:
    result = grade_incident(IncidentType.EARTHQUAKE, Figures(magnitude=7.1, population_density=FAIRLY_DENSE))
    assert (result.phase, result.response_level, result.leading_government) == ("initial", 1, "national")


def test_earthquake_in_sparse_area_has_no_initial_grade() -> None:
    result = grade_incident(IncidentType.EARTHQUAKE, Figures(magnitude=7.5, population_density=SPARSE))
    assert result.grade is None
    assert any("sparse" in w for w in result.warnings)


def test_earthquake_magnitude_without_density_is_refused() -> None:
    with pytest.raises(InvalidInput, match="population_density"):
        grade_incident(IncidentType.EARTHQUAKE, Figures(magnitude=6.0))


def test_earthquake_casualty_figures_replace_the_initial_grade() -> None:
    figures = Figures(magnitude=7.2, population_density=DENSE, deaths=12)
    result = grade_incident(IncidentType.EARTHQUAKE, figures)
    assert (result.phase, result.grade) == ("assessed", "relatively_serious")
    assert [b.criterion for b in result.basis] == ["deaths_and_missing"]


def test_earthquake_counts_missing_with_deaths() -> None:
    result = grade_incident(IncidentType.EARTHQUAKE, Figures(deaths=200, missing=100))
    assert result.grade == "particularly_serious"
    assert result.basis[0].value == 300


def test_earthquake_2006_counts_deaths_only() -> None:
    rule_set = available_rule_sets()["earthquake-2006"]
    assert grade(rule_set, Figures(deaths=19, missing=40)).grade == "general"


def test_earthquake_loss_share_of_provincial_gdp() -> None:
    figures = Figures(direct_loss_cny=6e9, provincial_gdp_cny=5e11)  # 1.2%
    assert grade_incident(IncidentType.EARTHQUAKE, figures).grade == "particularly_serious"


def test_earthquake_loss_without_gdp_warns() -> None:
    result = grade_incident(IncidentType.EARTHQUAKE, Figures(deaths=2, direct_loss_cny=1e9))
    assert any("provincial_gdp_cny" in w for w in result.warnings)


def test_relief_plan_gives_a_level_but_no_grade() -> None:
    result = grade_incident(IncidentType.TYPHOON, Figures(collapsed_households=75_000))
    assert (result.grade, result.response_level) == (None, 2)


def test_relief_2024_adds_relocated_and_needing_assistance() -> None:
    result = grade_incident(IncidentType.FLOOD, Figures(relocated=300_000, needing_assistance=250_000))
    assert result.response_level == 3


def test_relief_2016_takes_either_relocated_or_needing_assistance() -> None:
    rule_set = available_rule_sets()["relief-2016"]
    assert grade(rule_set, Figures(relocated=300_000, needing_assistance=250_000)).response_level == 4


def test_relief_2024_counts_missing_and_2016_does_not() -> None:
    figures = Figures(deaths=15, missing=5)
    assert grade_incident(IncidentType.FLOOD, figures).response_level == 4
    assert grade(available_rule_sets()["relief-2016"], figures).response_level is None


def test_drought_share_of_agricultural_population() -> None:
    figures = Figures(drought_needing_assistance=900_000, agricultural_population=3_000_000)  # 30%
    assert grade_incident(IncidentType.DROUGHT, figures).response_level == 1


def test_incomplete_rule_set_warns() -> None:
    result = grade(available_rule_sets()["relief-2011"], Figures(deaths=250))
    assert result.response_level == 1
    assert any("incomplete" in w for w in result.warnings)


def test_figures_the_rule_set_does_not_use_are_reported() -> None:
    result = grade_incident(IncidentType.FLOOD, Figures(deaths=1, magnitude=5.0))
    assert result.ignored == ("magnitude",)


def test_other_type_has_no_rule_set() -> None:
    result = grade_incident(IncidentType.OTHER, Figures(deaths=40))
    assert (result.grade, result.response_level, result.basis, result.rules_version) == (None, None, (), None)


def test_result_as_dict_has_the_checked_keys() -> None:
    data = grade_incident(IncidentType.COAL_MINE, Figures(deaths=3)).as_dict()
    assert {"grade", "response_level", "basis", "rules_version"} <= set(data)
    assert data["basis"][0]["source"]["clause"] == "第三条第一款第（三）项"
    assert data["basis"][0]["threshold"] == 3


def test_population_density_accepts_its_plain_name() -> None:
    figures = Figures(magnitude=6.0, population_density="dense")  # type: ignore[arg-type]
    assert figures.population_density is PopulationDensity.DENSE


def test_unknown_population_density_is_refused() -> None:
    with pytest.raises(InvalidInput, match="population_density"):
        Figures(magnitude=6.0, population_density="crowded")  # type: ignore[arg-type]
