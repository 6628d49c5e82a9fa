"""The calibration table, its selection rules, the census scaling and the named deaths models."""

from __future__ import annotations

import math
from importlib import resources

import pytest

from yingji.quake import calibration as cal
from yingji.quake import fatality, losses


def test_fitting_events_are_up_to_2007_and_validation_events_from_2008() -> None:
    events = cal.load_events()
    assert {e.set for e in events} == {"fit", "validation"}
    assert all(e.year <= 2007 for e in events if e.set == "fit")
    assert all(e.year >= 2008 for e in events if e.set == "validation")


def test_every_event_passes_the_committed_selection_rule() -> None:
    for e in cal.load_events():
        magnitude, _ = e.magnitude
        assert (magnitude >= 5.5 and e.toll >= 1) or magnitude >= 6.5, e.event_id
        assert e.depth_km <= 70, e.event_id
        assert 73 <= e.lon <= 136 and 17 <= e.lat <= 54, e.event_id


def test_every_row_names_its_sources_and_status() -> None:
    text = (resources.files("yingji.quake.data") / "calibration_events.csv").read_text(encoding="utf-8")
    rows = [line for line in text.splitlines() if line and not line.startswith("#")][1:]
    for row in rows:
        fields = row.split(",")
        assert fields[-1] in ("V", "P", "U") and fields[-5] and fields[-4] and fields[-3], row


@pytest.mark.parametrize(("year", "factor"), [(2020, 1.0), (2025, 1.0), (2010, 1_339_724_852 / 1_411_778_724)])
def test_population_is_scaled_by_the_census_totals(year: int, factor: float) -> None:
    assert cal.population_factor(year) == pytest.approx(factor)


def test_population_factor_rises_with_the_year() -> None:
    factors = [cal.population_factor(y) for y in range(1970, 2021)]
    assert factors == sorted(factors) and factors[0] < 0.6


def test_the_default_model_is_the_cross_validated_choice_and_is_calibrated() -> None:
    table = fatality.calibrated_table()
    best = min(table["cross_validation"], key=lambda k: table["cross_validation"][k]["rmse_log10"])
    assert fatality.default_model_name() == best
    model = fatality.model(None)
    assert model.sigma is not None and model.sigma > 0 and model.pager_country is None


def test_every_calibrated_model_has_at_most_three_free_parameters() -> None:
    for row in fatality.calibrated_table()["models"].values():
        assert row["free_parameters"] <= 3


def test_pager_models_keep_the_published_china_curve() -> None:
    exposure = {5: 147452.0, 6: 61485.0, 7: 27679.0, 8: 6964.0, 9: 2998.0}
    for name in (fatality.PAGER_MMI, fatality.PAGER_CSIS):
        assert fatality.model(name).estimate(exposure, 2025)["expected"] == pytest.approx(
            losses.fatality_estimate(exposure, "CN")["expected"]
        )


def test_calibrated_ranges_sum_to_one_and_the_80_percent_interval_is_the_lognormal_one() -> None:
    model = fatality.model(None)
    result = model.estimate({8: 50_000.0, 9: 5_000.0}, 2025)
    assert sum(result["ranges"].values()) == pytest.approx(1.0)
    low, high = result["range_80"]
    centre = math.log(result["expected"] + 1)
    assert math.log(high + 1) - centre == pytest.approx(fatality.Z80 * model.sigma, abs=1e-2)  # type: ignore[operator]
    assert low <= result["expected"] <= high


def test_unknown_model_is_refused_naming_the_known_ones() -> None:
    with pytest.raises(Exception, match="pager-mmi"):
        fatality.model("nope")


def test_skill_counts_within_10x_with_a_toll_of_zero_as_one() -> None:
    assert cal.within_factor(9.0, 0) and not cal.within_factor(10.5, 0)
    assert cal.band(0.9) == 0 and cal.band(1) == 1 and cal.band(100) == 2 and cal.band(1000) == 3
