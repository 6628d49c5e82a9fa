from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from yingji.errors import InvalidInput
from yingji.quake.intensity import (
    ELLIPTICAL_COEFFICIENTS,
    GB18306_REGIONS,
    AllenEtAl2012,
    EllipticalAttenuation,
    instrumental_intensity,
    ms_to_mw,
    mw_to_ms,
)

Table = Callable[[str], list[dict[str, str]]]


def test_elliptical_axis_relations_match_the_hand_computed_table(table: Table, checker: Callable[..., None]) -> None:
    for row in table("quake_elliptical_axes.csv"):
        model = EllipticalAttenuation.for_region(row["region"])
        axis = "long" if row["axis"] == "long" else "short"
        got = model.along_axis(float(row["ms"]), [float(row["r_km"])], axis)[0]
        checker(got, float(row["expected"]), "tabulated_6dp", row)


def test_sites_on_an_isoseismal_ellipse_get_its_intensity(table: Table, checker: Callable[..., None]) -> None:
    for row in table("quake_elliptical_sites.csv"):
        model = EllipticalAttenuation.for_region(row["region"])
        got = model.at_sites(
            float(row["ms"]), [float(row["x_km"])], [float(row["y_km"])], circular=row["circular"] == "true"
        )[0]
        # x, y are printed to 6 decimals; near 100 km that moves I by ~1e-7
        checker(got, float(row["intensity"]), "tabulated_6dp", row)


def test_allen_2012_matches_the_hand_computed_table(table: Table, checker: Callable[..., None]) -> None:
    model = AllenEtAl2012()
    for row in table("quake_allen2012.csv"):
        got = model.at_distances(float(row["mw"]), [float(row["r_rup_km"])])[0]
        checker(got, float(row["expected_mmi"]), "tabulated_6dp", row)


def test_gb17742_instrumental_intensity_matches_the_hand_computed_table(
    table: Table, checker: Callable[..., None]
) -> None:
    for row in table("quake_gb17742.csv"):
        got = instrumental_intensity([float(row["pga_m_s2"])], [float(row["pgv_m_s"])])[0]
        checker(got, float(row["expected"]), "one_decimal", row)


def test_mw_to_ms_matches_cheng_2017_by_hand(table: Table, checker: Callable[..., None]) -> None:
    for row in table("quake_mw_ms.csv"):
        checker(mw_to_ms(float(row["mw"])), float(row["expected_ms"]), "tabulated_6dp", row)


def test_ms_to_mw_inverts_mw_to_ms_outside_the_gap() -> None:
    for mw in (5.0, 6.0, 6.5, 6.7, 7.5, 8.2):
        assert ms_to_mw(mw_to_ms(mw)) == pytest.approx(mw, abs=1e-12)


def test_ms_in_the_gap_between_branches_maps_to_the_break() -> None:
    assert ms_to_mw(7.0) == 6.58


def test_every_gb18306_region_has_coefficients() -> None:
    assert set(GB18306_REGIONS) <= set(ELLIPTICAL_COEFFICIENTS)


def test_magnitude_out_of_range_is_refused_naming_the_parameter() -> None:
    model = EllipticalAttenuation.for_region("east")
    with pytest.raises(InvalidInput, match="magnitude"):
        model.at_sites(9.5, [10.0], [0.0])
    with pytest.raises(InvalidInput, match="magnitude"):
        AllenEtAl2012().at_distances(float("nan"), [10.0])


def test_unknown_region_is_refused_naming_the_parameter() -> None:
    with pytest.raises(InvalidInput, match="region"):
        EllipticalAttenuation.for_region("atlantis")


def test_non_positive_ground_motion_is_refused() -> None:
    with pytest.raises(InvalidInput, match="pga"):
        instrumental_intensity([0.0], [0.1])


def test_long_axis_reaches_farther_than_short_axis() -> None:
    model = EllipticalAttenuation.for_region("qinghai_tibet")
    a, b = model.radii(7.0, np.array([6.0]))
    assert a[0] > b[0] > 0


def test_circular_form_keeps_the_area_of_the_ellipse() -> None:
    model = EllipticalAttenuation.for_region("east")
    a, b = model.radii(6.5, np.array([6.0]))
    assert model.reach_km(6.5, 6.0, circular=True) == pytest.approx(float(np.sqrt(a[0] * b[0])))


def test_allen_2012_matches_openquake_to_1e_6(table: Table, checker: Callable[..., None]) -> None:
    model = AllenEtAl2012()
    rows = table("quake_allen2012_openquake.csv")
    assert len(rows) >= 70
    for row in rows:
        mw, r = float(row["mw"]), float(row["r_rup_km"])
        checker(model.at_distances(mw, [r])[0], float(row["oq_mmi"]), "openquake_1e6", row)
        checker(model.sigma([r])[0], float(row["oq_sigma"]), "openquake_1e6", row)
