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


def test_every_calibrated_model_has_at_most_three_free_parameters_per_region() -> None:
    for row in fatality.calibrated_table()["models"].values():
        assert row["free_parameters"] <= 3
        if row.get("region_offsets"):  # one θ per region and one β shared by all: 2 per region
            assert set(row["region_offsets"]) == set(cal.REGIONS) and row["free_parameters"] == 2


def test_regional_model_uses_the_theta_of_the_epicentres_region() -> None:
    model = fatality.FatalityModel(
        "r", "gb18306", "point", 13.0, 0.17, sigma=1.0, region_offsets={"xinjiang": -0.05, "east": 0.05}
    )
    exposure = {8: 50_000.0, 9: 5_000.0}
    weaker, pooled, stronger = (model.expected(exposure, 2020, r) for r in ("xinjiang", "central", "east"))
    assert weaker > pooled > stronger  # a lower θ: more deaths at the same intensity
    assert pooled == pytest.approx(model.expected(exposure, 2020, None))
    assert model.estimate(exposure, 2020, "xinjiang")["expected"] == pytest.approx(weaker)


def test_regional_fit_orders_the_regions_and_keeps_a_region_with_few_events_at_the_pooled_theta() -> None:
    truth = fatality.FatalityModel(
        "t", "gb18306", "point", 13.0, 0.2, region_offsets={"qinghai_tibet": -0.03, "east": 0.04}
    )
    exposures = [{6: 10_000.0 * k, 7: 3_000.0 * k, 8: 800.0 * k, 9: 100.0 * k} for k in range(1, 13)]
    regions = ["qinghai_tibet", "east"] * 5 + ["central", "xinjiang"]  # one event each: too few for their own θ
    tolls = [round(truth.expected(e, 2000, r)) for e, r in zip(exposures, regions, strict=True)]
    params = cal.fit_curve(exposures, [2000] * 12, tolls, 2, regions)
    fitted = cal.curve_from(params, regional=True)
    assert fitted.theta_in(2000, "qinghai_tibet") < fitted.theta_in(2000, "east")
    assert fitted.region_offsets is not None
    assert fitted.region_offsets["central"] == 0.0 and fitted.region_offsets["xinjiang"] == 0.0


def test_regional_candidate_needs_the_regions() -> None:
    candidate = next(c for c in cal.CANDIDATES if c.regional)
    with pytest.raises(ValueError, match="region"):
        cal.loo_predictions(candidate, [{7: 1000.0}] * 3, [2000] * 3, [1, 2, 3])


def test_spread_80_makes_the_80_percent_interval_hold_80_percent_of_the_residuals() -> None:
    residuals = [0.1 * k * (-1) ** k for k in range(1, 51)]  # |r| = 0.1 ... 5.0
    sigma = cal.spread_80(residuals)
    inside = sum(abs(r) <= fatality.Z80 * sigma + 1e-12 for r in residuals)
    assert inside == 40  # 80 % of 50
    rms = math.sqrt(sum(r * r for r in residuals) / len(residuals))
    assert sum(abs(r) <= fatality.Z80 * rms for r in residuals) != inside  # the RMS rule would not


def test_cross_validated_ranges_take_each_events_spread_from_the_others() -> None:
    tolls = [10, 10, 10, 10, 10]
    predicted = [10.0, 10.0, 10.0, 10.0, 1000.0]
    ranges = cal.cv_ranges(predicted, tolls)
    assert ranges[0][0] <= 10 <= ranges[0][1]
    assert not (ranges[4][0] <= 10 <= ranges[4][1])  # its own large miss does not widen its range


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


def test_a_region_without_its_own_theta_gets_the_events_weighted_mean_of_the_others() -> None:
    row = fatality.calibrated_table()["models"]["cn-csis-circular-region"]
    counts, offsets = row["fitting_events_per_region"], row["region_offsets"]
    own = [r for r in cal.REGIONS if counts[r] >= cal.MIN_REGION_EVENTS]
    assert sum(offsets[r] * counts[r] for r in own) == pytest.approx(0.0, abs=1e-5)
    assert all(offsets[r] == 0.0 for r in cal.REGIONS if r not in own)
