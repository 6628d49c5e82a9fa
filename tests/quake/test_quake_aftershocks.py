from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from yingji.errors import InvalidInput
from yingji.quake.aftershocks import (
    RJParameters,
    default_set_for_region,
    expected_number,
    fit_parameters,
    forecast,
    generic_parameters,
    omori_integral,
    parameter_set_names,
    probability_at_least_one,
)

Table = Callable[[str], list[dict[str, str]]]
ORIGIN = datetime(2025, 1, 7, 1, 5, tzinfo=UTC)


def test_expected_numbers_and_probabilities_match_the_hand_computed_table(table: Table) -> None:
    for row in table("quake_reasenberg_jones.csv"):
        params = generic_parameters(row["set"])
        args = (params, float(row["mainshock"]), float(row["magnitude"]), float(row["t1"]), float(row["t2"]))
        assert expected_number(*args) == pytest.approx(float(row["expected_n"]), abs=2e-9), row
        assert probability_at_least_one(*args) == pytest.approx(float(row["expected_p"]), abs=2e-9), row


def test_forecast_has_each_magnitude_and_window_counted_from_the_assessment_time() -> None:
    rows = forecast(generic_parameters("rj1989_california"), 7.0, origin=ORIGIN, at=ORIGIN + timedelta(hours=12))
    assert [(r["min_magnitude"], r["days"]) for r in rows] == [
        (m, d) for m in (5.0, 6.0, 7.0) for d in (1.0, 7.0, 30.0)
    ]
    first = rows[0]
    n = expected_number(generic_parameters("rj1989_california"), 7.0, 5.0, 0.5, 1.5)
    assert first["probability"] == pytest.approx(1 - np.exp(-n))


def test_probability_falls_as_the_sequence_ages() -> None:
    params = generic_parameters("page2016_ansr_deepcon")
    early = forecast(params, 7.0, origin=ORIGIN, at=ORIGIN)[0]["probability"]
    late = forecast(params, 7.0, origin=ORIGIN, at=ORIGIN + timedelta(days=10))[0]["probability"]
    assert late < early


def test_probability_grows_with_the_window_and_falls_with_magnitude() -> None:
    rows = forecast(generic_parameters("page2016_ansr_shalcon"), 7.0, origin=ORIGIN, at=ORIGIN)
    by = {(r["min_magnitude"], r["days"]): r["probability"] for r in rows}
    assert by[(5.0, 1.0)] < by[(5.0, 7.0)] < by[(5.0, 30.0)]
    assert by[(7.0, 30.0)] < by[(6.0, 30.0)] < by[(5.0, 30.0)]


def test_a_value_uncertainty_changes_the_probability_moderately() -> None:
    with_sigma = generic_parameters("page2016_ansr_deepcon")
    without = RJParameters(with_sigma.a, with_sigma.b, with_sigma.p, with_sigma.c)
    p1 = probability_at_least_one(with_sigma, 7.0, 6.0, 0.0, 7.0)
    p0 = probability_at_least_one(without, 7.0, 6.0, 0.0, 7.0)
    assert 0 < p1 < 1 and abs(p1 - p0) < 0.2


def test_assessment_before_the_origin_is_refused() -> None:
    with pytest.raises(InvalidInput, match="before origin"):
        forecast(generic_parameters("rj1989_california"), 7.0, origin=ORIGIN, at=ORIGIN - timedelta(hours=1))


def test_unknown_parameter_set_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput, match="parameter set"):
        generic_parameters("nowhere")


def test_every_region_has_a_default_set() -> None:
    for region in ("qinghai_tibet", "xinjiang", "central", "east", "yunnan"):
        assert default_set_for_region(region) in parameter_set_names()


def _synthetic_sequence(params: RJParameters, mainshock: float, completeness: float, days: float, seed: int):
    """Aftershock times by inverting the cumulative Omori rate; magnitudes Gutenberg–Richter."""
    rng = np.random.default_rng(seed)
    k = 10 ** (params.a + params.b * (mainshock - completeness))
    total = k * omori_integral(0.0, days, params.p, params.c)
    u = np.sort(rng.uniform(0, 1, rng.poisson(total)))
    target = u * omori_integral(0.0, days, params.p, params.c)
    # invert ∫0^t (s+c)^-p ds = target
    times = ((1 - params.p) * target + params.c ** (1 - params.p)) ** (1 / (1 - params.p)) - params.c
    magnitudes = completeness + rng.exponential(1 / (params.b * np.log(10)), times.size)
    return times, np.round(magnitudes, 1)


def test_refit_recovers_the_parameters_of_a_synthetic_sequence() -> None:
    truth = RJParameters(a=-1.9, b=1.0, p=1.1, c=0.05)
    # Continuous magnitudes from 2.95 rounded to 0.1 make a catalogue complete from M3.0 (binned).
    times, mags = _synthetic_sequence(truth, 7.0, 2.95, 10.0, seed=7)
    fitted, note = fit_parameters(
        times, mags, mainshock=7.0, completeness=3.0, prior=generic_parameters("rj1989_california")
    )
    assert "fitted" in note
    assert fitted.p == pytest.approx(truth.p, abs=0.1)
    assert fitted.b == pytest.approx(truth.b, abs=0.1)
    assert fitted.a == pytest.approx(truth.a, abs=0.25)


def test_too_few_aftershocks_keep_the_generic_parameters() -> None:
    prior = generic_parameters("page2016_ansr_deepcon")
    fitted, note = fit_parameters([0.1, 0.2], [4.0, 4.5], mainshock=7.0, completeness=3.0, prior=prior)
    assert fitted == prior and "generic" in note
