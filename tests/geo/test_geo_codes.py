import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yingji.geo.codes import CodeError, code_range, level_of, normalise_code, prefix
from yingji.geo.coords import gcj02_to_wgs84, wgs84_to_gcj02


def test_six_digit_codes_are_padded_to_twelve() -> None:
    assert normalise_code("540223") == "540223000000"
    assert normalise_code(540223) == "540223000000"


@pytest.mark.parametrize("bad", ["5402", "54022300000X", "", "1234567"])
def test_malformed_codes_are_rejected(bad: str) -> None:
    with pytest.raises(CodeError):
        normalise_code(bad)


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("540000000000", "province"),
        ("540200000000", "prefecture"),
        ("540223000000", "county"),
        ("540223001000", "township"),
        ("540223001002", "village"),
        ("000000000000", "country"),
    ],
)
def test_level_follows_the_code_shape(code: str, level: str) -> None:
    assert level_of(code) == level


def test_subtree_range_holds_exactly_the_prefixed_codes() -> None:
    low, high = code_range(prefix("540223000000", "county"))
    assert low <= "540223001002" <= high
    assert not (low <= "540224000000" <= high)


def test_gcj02_shift_is_a_few_hundred_metres_in_beijing() -> None:
    lon, lat = wgs84_to_gcj02(116.391, 39.907)
    shift_m = np.hypot((lon - 116.391) * 85_000, (lat - 39.907) * 111_000)
    assert 100 < shift_m < 800


def test_gcj02_leaves_points_outside_china_unchanged() -> None:
    lon, lat = wgs84_to_gcj02(2.35, 48.85)
    assert (float(lon), float(lat)) == (2.35, 48.85)


@settings(max_examples=60)
@given(st.floats(74, 134), st.floats(18, 53))
def test_gcj02_inverse_recovers_wgs84_within_a_centimetre(lon: float, lat: float) -> None:
    g_lon, g_lat = wgs84_to_gcj02(lon, lat)
    w_lon, w_lat = gcj02_to_wgs84(g_lon, g_lat)
    assert abs(float(w_lon) - lon) < 1e-7 and abs(float(w_lat) - lat) < 1e-7
