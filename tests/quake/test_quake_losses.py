from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingji.errors import InvalidInput
from yingji.quake.losses import (
    RANGE_LABELS,
    economic_estimate,
    estimate_displaced,
    estimate_injured,
    fatality_estimate,
    fatality_model,
    gdp_per_capita,
    loss_rate,
    range_probabilities,
    summary_alert,
)

Table = Callable[[str], list[dict[str, str]]]


def _dingri(table: Table) -> dict[int, float]:
    return {int(r["mmi"]): float(r["population"]) for r in table("quake_pager_dingri.csv")}


def test_dingri_exposure_gives_pagers_291_deaths_with_china_parameters(
    table: Table, checker: Callable[..., None]
) -> None:
    estimate = fatality_estimate(_dingri(table), "CN")
    checker(round(estimate["expected"]), 291.0, "pager_published", "Dingri expected deaths")
    assert estimate["alert"] == "orange"


def test_dingri_economic_loss_matches_pager_with_pagers_gdp(table: Table) -> None:
    estimate = economic_estimate(_dingri(table), "CN", 2025, gdp_per_capita_usd=7590.0)
    assert estimate["expected"] == pytest.approx(1_149_651_303, rel=1e-3)
    assert estimate["alert"] == "red"


def test_fatality_rates_match_the_reference_table(table: Table) -> None:
    for row in table("quake_pager_rates.csv"):
        model = fatality_model(row["country"])
        rate = loss_rate(float(row["mmi"]), model.theta, model.beta)
        assert rate == pytest.approx(float(row["expected_rate"]), rel=6e-3), row


def test_range_probabilities_sum_to_one() -> None:
    ranges = range_probabilities(291.4, 2.013134)
    assert list(ranges) == list(RANGE_LABELS)
    assert sum(ranges.values()) == pytest.approx(1.0)
    assert max(ranges, key=lambda k: ranges[k]) == "100-1000"


def test_zero_expected_loss_puts_everything_in_the_first_range() -> None:
    assert range_probabilities(0.0, 2.0)["0-1"] == 1.0


@pytest.mark.parametrize(
    ("deaths", "alert"), [(0.4, "green"), (1.001, "yellow"), (99.0, "yellow"), (100.001, "orange"), (1000.001, "red")]
)
def test_fatality_alert_follows_pager_thresholds(deaths: float, alert: str) -> None:
    model = fatality_model("CN")
    # Exposure at IX giving exactly `deaths` expected deaths.
    people = deaths / loss_rate(9, model.theta, model.beta)
    assert fatality_estimate({9: people})["alert"] == alert


def test_summary_alert_is_the_higher_one() -> None:
    assert summary_alert("orange", "red") == "red"
    assert summary_alert("green", "yellow") == "yellow"


def test_exposure_above_ix_counts_as_ix() -> None:
    assert fatality_estimate({10: 1000.0})["expected"] == pytest.approx(fatality_estimate({9: 1000.0})["expected"])


def test_gdp_after_the_last_listed_year_uses_the_last_year() -> None:
    value, year = gdp_per_capita("CN", 2099)
    assert year == 2023 and value > 0


def test_unknown_country_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput, match="country"):
        fatality_estimate({8: 100.0}, "ZZ")


def test_negative_exposure_is_refused() -> None:
    with pytest.raises(InvalidInput, match="exposure"):
        fatality_estimate({8: -1.0})


def test_injured_follow_the_ratio() -> None:
    assert estimate_injured(100.0, injured_per_death=3.0) == 300.0
    assert estimate_injured(10.0) > 10.0


def test_displaced_grow_with_intensity() -> None:
    assert estimate_displaced({6: 1000.0}) < estimate_displaced({8: 1000.0}) <= 1000.0


@settings(max_examples=40, deadline=None)
@given(
    base=st.dictionaries(st.integers(4, 10), st.floats(0, 1e6), min_size=1),
    degree=st.integers(4, 10),
    extra=st.floats(0, 1e6),
)
def test_deaths_never_fall_as_exposure_rises(base: dict[int, float], degree: int, extra: float) -> None:
    more = dict(base)
    more[degree] = more.get(degree, 0.0) + extra
    assert fatality_estimate(more)["expected"] >= fatality_estimate(base)["expected"]
    assert economic_estimate(more)["expected"] >= economic_estimate(base)["expected"]
