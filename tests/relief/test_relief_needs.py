from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingji.errors import InvalidInput
from yingji.relief.needs import estimate_needs, monthly_normal


def test_mild_weather_uses_sphere_norms() -> None:
    needs = estimate_needs(1000, temperature_c=18.0)
    assert not needs.cold
    assert needs.items["covered_space"].value == pytest.approx(3500.0)
    assert needs.items["tents"].value == math.ceil(3500 / 12)
    assert needs.items["water"].value == pytest.approx(15_000.0)
    assert needs.items["water"].unit == "l/day"
    assert needs.items["cotton_coats"].value == 0
    assert needs.items["stoves"].value == 0


def test_cold_weather_adds_space_quilts_coats_stoves_and_food() -> None:
    mild = estimate_needs(1000, temperature_c=18.0)
    cold = estimate_needs(1000, temperature_c=-10.0)
    assert cold.cold
    assert cold.items["covered_space"].value == pytest.approx(4500.0)
    assert cold.items["quilts"].value == 2000
    assert cold.items["cotton_coats"].value == 1000
    assert cold.items["stoves"].value == cold.items["tents"].value > 0
    # 2100 + 100 × (20 − (−10)) / 5 = 2700 kcal/person/day
    assert cold.items["food"].value == pytest.approx(2_700_000.0)
    assert cold.items["food"].value > mild.items["food"].value


def test_monthly_normal_of_the_nearest_station_decides_the_cold() -> None:
    january = estimate_needs(500, month=1, lat=28.6, lon=87.1)
    july = estimate_needs(500, month=7, lat=28.6, lon=87.1)
    assert january.cold and not july.cold
    assert "Dingri" in january.temperature_source


def test_monthly_normal_by_latitude_alone() -> None:
    value, station = monthly_normal(1, 45.7)
    assert value < 0 and "Harbin" in station


def test_norms_can_be_replaced() -> None:
    needs = estimate_needs(100, temperature_c=20, norms={"water_l_per_person_day": 20.0})
    assert needs.items["water"].value == 2000.0


def test_unknown_norm_is_refused() -> None:
    with pytest.raises(InvalidInput, match="norms"):
        estimate_needs(100, norms={"champagne_per_person": 1.0})


def test_negative_displaced_is_refused() -> None:
    with pytest.raises(InvalidInput, match="displaced"):
        estimate_needs(-1)


def test_as_dict_carries_units() -> None:
    d = estimate_needs(10).as_dict()
    assert d["items"]["tents"]["unit"] == "tents"
    assert d["temperature_c"] is None


@settings(max_examples=30, deadline=None)
@given(a=st.floats(0, 1e6), b=st.floats(0, 1e6), t=st.floats(-40, 40))
def test_needs_never_fall_as_displaced_rise(a: float, b: float, t: float) -> None:
    low, high = sorted((a, b))
    small, large = estimate_needs(low, temperature_c=t), estimate_needs(high, temperature_c=t)
    for item, quantity in small.items.items():
        assert large.items[item].value >= quantity.value
