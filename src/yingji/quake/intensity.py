"""Intensity models (烈度衰减关系): numbers in, numbers out, vectorised over sites with numpy.

Each model is a class with a declared contract — inputs and their units, the magnitude type it takes,
the region it was fitted for, its validity range — and its coefficients as a literal table with the
source next to them. Each term of an equation is its own small function, so a reader can hold the
code against the paper term by term.

Models here:

* :class:`EllipticalAttenuation` — the Chinese elliptical relations I = A + B·Ms + C·log(R + R0),
  evaluated along the long and short axes of elliptical isoseismals (GB 18306-2015 background
  relations of Xiao & Yu 2011 for the Qinghai–Tibet, Xinjiang, East and Central regions, and the older
  regional sets). Sites between the axes get the intensity of the ellipse that passes through them.
* :class:`AllenEtAl2012` — the Allen, Wald & Worden (2012) intensity prediction equation (MMI) from Mw
  and rupture distance.
* :func:`instrumental_intensity` — GB/T 17742-2020 instrumental seismic intensity from PGA and PGV.
* :func:`mw_to_ms` / :func:`ms_to_mw` — magnitude conversion of Cheng et al. (2017).

Distances are in km, magnitudes are dimensionless, intensities are in degrees of the model's scale
(Chinese Seismic Intensity Scale, CSIS, for the Chinese relations and GB/T 17742; MMI for Allen 2012).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from yingji.errors import InvalidInput

FloatArray = NDArray[np.float64]
MagnitudeType = Literal["Ms", "Mw"]
IntensityScale = Literal["CSIS", "MMI"]

# Magnitudes the rapid assessment accepts at all; each model narrows this to its own validity range.
MAGNITUDE_RANGE = (4.0, 9.0)


# --------------------------------------------------------------------------------------------------
# Magnitude conversion
# --------------------------------------------------------------------------------------------------

# Cheng et al. (2017), as used by OpenQuake's YuEtAl2013Mw (docs/sources.md §E2.3, status V):
#   Ms = (Mw − 0.59) / 0.86  for Mw < 6.58
#   Ms = (Mw + 2.42) / 1.28  for Mw ≥ 6.58
MW_MS_BREAK = 6.58
MW_MS_LOW = (0.59, 0.86)  # (offset, slope) of the branch below the break
MW_MS_HIGH = (-2.42, 1.28)  # (offset, slope) of the branch at and above the break


def mw_to_ms(mw: float) -> float:
    """Surface-wave magnitude Ms from moment magnitude Mw (Cheng et al. 2017, two linear branches)."""
    offset, slope = MW_MS_LOW if mw < MW_MS_BREAK else MW_MS_HIGH
    return (mw - offset) / slope


def ms_to_mw(ms: float) -> float:
    """Moment magnitude Mw from Ms, the inverse of :func:`mw_to_ms`.

    The two published branches do not meet at Mw 6.58 (Ms 6.965 below, 7.031 above); an Ms inside
    that gap maps to Mw 6.58, the break itself.
    """
    low_ms_at_break = (MW_MS_BREAK - MW_MS_LOW[0]) / MW_MS_LOW[1]
    high_ms_at_break = (MW_MS_BREAK - MW_MS_HIGH[0]) / MW_MS_HIGH[1]
    if ms < low_ms_at_break:
        return MW_MS_LOW[0] + MW_MS_LOW[1] * ms
    if ms >= high_ms_at_break:
        return MW_MS_HIGH[0] + MW_MS_HIGH[1] * ms
    return MW_MS_BREAK


def check_magnitude(magnitude: float, *, valid: tuple[float, float] = MAGNITUDE_RANGE) -> None:
    """Refuse a magnitude outside ``valid`` (inclusive), naming the parameter."""
    if not (math.isfinite(magnitude) and valid[0] <= magnitude <= valid[1]):
        raise InvalidInput(
            f"magnitude {magnitude} is outside the valid range {valid[0]}–{valid[1]}",
            key="quake.error.magnitude",
            params={"low": f"{valid[0]:g}", "high": f"{valid[1]:g}"},
        )


# --------------------------------------------------------------------------------------------------
# Chinese elliptical attenuation relations
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AxisCoefficients:
    """I = a + b·Ms + c·log(R + r0) along one axis of the ellipse."""

    a: float
    b: float
    c: float
    r0: float


@dataclass(frozen=True)
class EllipticalCoefficients:
    """One published relation: both axes, the logarithm base, σ and where it comes from."""

    key: str
    name: str
    long: AxisCoefficients
    short: AxisCoefficients
    log_base: Literal["10", "e"]
    sigma: float | None
    source: str
    status: Literal["V", "P", "U"]


_XIAO_YU_2011 = (
    "GB 18306-2015 background relations, Xiao Liang & Yu Yanxiang (2011); docs/sources.md §E2.1 — three "
    "independent copies agree (Wangshuai022/GB18306-CEA2019-GB17742 GB18306_class.py citing 高孟潭 "
    "宣贯教材 p.172; semicloud/cas IntensityParams.xml; an EEW app citing 肖亮 & 俞言祥 2011)"
)
_CAS = "semicloud/cas IntensityParams.xml, oval/M01.java, M03.java; docs/sources.md §E2.2"
_CAS_WANG_2000 = _CAS + "; attribution to 中国地震 16(2):99–106 is P"
_CAS_SICHUAN = _CAS + "; attribution (汪素云 / Lei et al. 2007) is U"
_CAS_UNATTRIBUTED = _CAS + "; unattributed"

_Axis = tuple[float, float, float, float]

# The literal coefficient table: A, B, C, R0 along the long axis, then along the short axis; the logarithm's
# base; σ (None where the source gives none). Keys are the names used on the command line and in the API.
_RELATIONS: dict[str, tuple[_Axis, _Axis, Literal["10", "e"], float | None]] = {
    "qinghai_tibet": ((6.4580, 1.2746, -4.4709, 25.0), (3.3682, 1.2746, -3.3119, 9.0), "10", 0.6636),
    "xinjiang": ((5.6018, 1.4347, -4.4899, 25.0), (3.6113, 1.4347, -3.8477, 13.0), "10", 0.5924),
    "east": ((5.7123, 1.3626, -4.2903, 25.0), (3.6588, 1.3626, -3.5406, 13.0), "10", 0.5826),
    "central": ((5.8410, 1.0710, -3.6570, 15.0), (3.9440, 1.0710, -2.8450, 7.0), "10", 0.5200),
    "china_west_2000": ((5.643, 1.538, -2.109, 25.0), (2.941, 1.363, -1.494, 7.0), "e", None),
    "china_east_2000": ((6.046, 1.480, -2.081, 25.0), (2.617, 1.435, -1.441, 7.0), "e", None),
    "sichuan_chongqing": ((4.0293, 1.3003, -3.6404, 10.0), (2.3816, 1.3003, -2.8573, 5.0), "10", None),
    "yunnan": ((5.4154, 1.2792, -3.8738, 21.0), (3.3421, 1.1719, -2.8268, 7.0), "10", None),
    "ningxia_gansu": ((4.864, 1.464, -1.783, 22.0), (3.032, 1.321, -1.343, 9.0), "e", None),
}
# Each relation's name, source and status.
_ABOUT: dict[str, tuple[str, str, Literal["V", "P", "U"]]] = {
    "qinghai_tibet": ("青藏区 Qinghai–Tibet (GB 18306-2015)", _XIAO_YU_2011, "P"),
    "xinjiang": ("新疆区 Xinjiang (GB 18306-2015)", _XIAO_YU_2011, "P"),
    "east": ("东部区 East (GB 18306-2015)", _XIAO_YU_2011, "P"),
    "central": ("中部区 Central (GB 18306-2015)", _XIAO_YU_2011, "P"),
    "china_west_2000": ("华西 China West (commonly Wang Suyun et al. 2000)", _CAS_WANG_2000, "P"),
    "china_east_2000": ("华东 China East (commonly Wang Suyun et al. 2000)", _CAS_WANG_2000, "P"),
    "sichuan_chongqing": ("四川盆地 Sichuan/Chongqing", _CAS_SICHUAN, "U"),
    "yunnan": ("云南 Yunnan", _CAS_UNATTRIBUTED, "U"),
    "ningxia_gansu": ("宁夏–甘肃 Ningxia–Gansu", _CAS_UNATTRIBUTED, "U"),
}
ELLIPTICAL_COEFFICIENTS: dict[str, EllipticalCoefficients] = {
    key: EllipticalCoefficients(
        key, name, AxisCoefficients(*long), AxisCoefficients(*short), base, sigma, source, status
    )
    for key, (long, short, base, sigma) in _RELATIONS.items()
    for name, source, status in [_ABOUT[key]]
}

# The four regions of GB 18306-2015; the rest are the older regional sets.
GB18306_REGIONS = ("qinghai_tibet", "xinjiang", "east", "central")


def _log(x: FloatArray, base: Literal["10", "e"]) -> FloatArray:
    return np.log10(x) if base == "10" else np.log(x)


def constant_term(axis: AxisCoefficients) -> float:
    """The term A."""
    return axis.a


def magnitude_term(axis: AxisCoefficients, ms: float) -> float:
    """The term B·Ms."""
    return axis.b * ms


def distance_term(axis: AxisCoefficients, r_km: FloatArray, base: Literal["10", "e"]) -> FloatArray:
    """The term C·log(R + R0); R is the epicentral distance along the axis in km."""
    return axis.c * _log(r_km + axis.r0, base)


def axis_radius(axis: AxisCoefficients, ms: float, intensity: FloatArray, base: Literal["10", "e"]) -> FloatArray:
    """The semi-axis length (km) at which the axis relation reaches ``intensity`` (may be negative
    where the intensity exceeds what the relation gives at the epicentre)."""
    exponent = (intensity - constant_term(axis) - magnitude_term(axis, ms)) / axis.c
    power: FloatArray = np.power(10.0, exponent) if base == "10" else np.exp(exponent)
    return power - axis.r0


@dataclass(frozen=True)
class EllipticalAttenuation:
    """Chinese elliptical intensity attenuation.

    Contract
    --------
    inputs
        Ms (surface-wave magnitude; give Mw through :func:`mw_to_ms` first), sites as offsets from the
        epicentre in km along the long axis (``x``, i.e. along the fault strike) and the short axis
        (``y``), or as plain epicentral distances for :meth:`along_axis`.
    output
        Intensity on the Chinese Seismic Intensity Scale (GB/T 17742), real-valued.
    validity
        Ms 4.0–8.5 (the range of the fitting data set is about Ms 5–8; outside it the relation is
        extrapolated); epicentral distance up to about 500 km.
    circular
        When the fault strike is unknown (``circular=True``) the isoseismal is the circle of the same
        area as the ellipse (radius √(a·b)), so the area shaken at each degree is kept; the assessment
        reports that it used the circular form.
    """

    coefficients: EllipticalCoefficients
    magnitude_type: MagnitudeType = "Ms"
    scale: IntensityScale = "CSIS"
    valid_magnitudes: tuple[float, float] = (4.0, 8.5)

    @classmethod
    def for_region(cls, region: str) -> EllipticalAttenuation:
        try:
            return cls(ELLIPTICAL_COEFFICIENTS[region])
        except KeyError:
            known = ", ".join(ELLIPTICAL_COEFFICIENTS)
            raise InvalidInput(f"region {region!r} is not one of: {known}") from None

    def along_axis(self, ms: float, r_km: ArrayLike, axis: Literal["long", "short"]) -> FloatArray:
        """Intensity at epicentral distance ``r_km`` along one axis: A + B·Ms + C·log(R + R0)."""
        check_magnitude(ms, valid=self.valid_magnitudes)
        coeffs = self.coefficients.long if axis == "long" else self.coefficients.short
        r = np.asarray(r_km, dtype=np.float64)
        base = self.coefficients.log_base
        result: FloatArray = constant_term(coeffs) + magnitude_term(coeffs, ms) + distance_term(coeffs, r, base)
        return result

    def epicentral_intensity(self, ms: float) -> float:
        """Intensity at the epicentre: the lower of the two axis relations at R = 0 (they nearly agree)."""
        at_zero = np.zeros(1)
        return float(min(self.along_axis(ms, at_zero, "long")[0], self.along_axis(ms, at_zero, "short")[0]))

    def radii(self, ms: float, intensity: ArrayLike) -> tuple[FloatArray, FloatArray]:
        """Semi-axes (a, b) in km of the isoseismal of ``intensity``; ≤ 0 above the epicentral intensity."""
        level = np.asarray(intensity, dtype=np.float64)
        base = self.coefficients.log_base
        return (
            axis_radius(self.coefficients.long, ms, level, base),
            axis_radius(self.coefficients.short, ms, level, base),
        )

    def _ellipse_equation(
        self, ms: float, level: FloatArray, x: FloatArray, y: FloatArray, circular: bool
    ) -> tuple[FloatArray, FloatArray]:
        """F(I) = (x/a)² + (y/b)² − 1 (or (x² + y²)/(a·b) − 1 when circular) and dF/dI."""
        coeffs = self.coefficients
        scale = math.log(10.0) if coeffs.log_base == "10" else 1.0
        a, b = self.radii(ms, level)
        # d(R + R0)/dI = (R + R0)·ln(base)/C along each axis
        da = (a + coeffs.long.r0) * scale / coeffs.long.c
        db = (b + coeffs.short.r0) * scale / coeffs.short.c
        a = np.maximum(a, 1e-9)
        b = np.maximum(b, 1e-9)
        if circular:
            ab = a * b
            value = (x * x + y * y) / ab - 1.0
            slope = -(x * x + y * y) / (ab * ab) * (da * b + a * db)
        else:
            value = (x / a) ** 2 + (y / b) ** 2 - 1.0
            slope = -2.0 * x * x / a**3 * da - 2.0 * y * y / b**3 * db
        return value, slope

    def at_sites(
        self,
        ms: float,
        x_km: ArrayLike,
        y_km: ArrayLike,
        *,
        circular: bool = False,
        iterations: int = 60,
        tolerance: float = 1e-11,
    ) -> FloatArray:
        """Intensity at sites offset ``x_km`` along and ``y_km`` across the long axis.

        The site lies on the isoseismal ellipse (x/a(I))² + (y/b(I))² = 1. The left side rises
        monotonically with I (both semi-axes shrink as I rises), and the root is bracketed by the
        short-axis and long-axis intensities at the site's distance d (the ellipse with b = d contains
        the site, the one with a = d does not). It is found on all sites at once by Newton steps kept
        inside the bracket, falling back to bisection, until no site moves by more than ``tolerance``
        (usually 5–8 steps).
        (The Newton steps act on ln S, nearly linear in I because the semi-axes grow exponentially.)
        """
        check_magnitude(ms, valid=self.valid_magnitudes)
        x = np.abs(np.asarray(x_km, dtype=np.float64))
        y = np.abs(np.asarray(y_km, dtype=np.float64))
        x, y = np.broadcast_arrays(x, y)
        top = self.epicentral_intensity(ms)
        distance = np.hypot(x, y)
        on_long = np.minimum(self.along_axis(ms, distance, "long"), top)
        on_short = np.minimum(self.along_axis(ms, distance, "short"), top)
        low = np.minimum(on_long, on_short) - 1e-9
        high = np.maximum(on_long, on_short) + 1e-9
        # ln S(I), S = (x/a)² + (y/b)², is increasing and convex in I, so Newton steps started above the
        # root (at the long-axis bracket end, where S ≥ 1) descend onto it without overshooting.
        level = high.copy()
        for _ in range(iterations):
            value, slope = self._ellipse_equation(ms, level, x, y, circular)
            # F > 0: the site is outside the isoseismal of `level`, its own intensity is lower.
            outside = value > 0
            high = np.where(outside, level, high)
            low = np.where(outside, low, level)
            # Newton on ln(F + 1), nearly linear in I because the semi-axes grow exponentially.
            with np.errstate(divide="ignore", invalid="ignore"):
                newton = level - np.log1p(value) * (value + 1.0) / slope
            inside_bracket = (newton >= low) & (newton <= high) & np.isfinite(newton)
            step = np.where(inside_bracket, newton, 0.5 * (low + high))
            converged = bool(np.max(np.abs(step - level), initial=0.0) < tolerance)
            level = step
            if converged:
                break
        result: FloatArray = np.minimum(level, top)
        return result

    def reach_km(self, ms: float, intensity: float, *, circular: bool = False) -> float:
        """How far from the epicentre (km, along the long axis, or the circle) ``intensity`` reaches."""
        a, b = self.radii(ms, np.array([intensity]))
        radius = math.sqrt(max(a[0], 0.0) * max(b[0], 0.0)) if circular else float(a[0])
        return max(radius, 0.0)


# --------------------------------------------------------------------------------------------------
# Allen, Wald & Worden (2012) IPE
# --------------------------------------------------------------------------------------------------

ALLEN_2012_SOURCE = (
    "Allen T.I., Wald D.J., Worden C.B. (2012) Intensity attenuation for active crustal regions, "
    "J. Seismology 16:409–433, Table 4 (rupture-distance model); docs/sources.md §E3 (status V)"
)

# Literal coefficient table (Allen et al. 2012, rupture-distance model).
ALLEN_2012 = {
    "c0": 3.950,
    "c1": 0.913,
    "c2": -1.107,
    "c3": 0.813,
    # σ = s1 + s2 / (1 + (R/s3)²)
    "s1": 0.72,
    "s2": 0.23,
    "s3": 44.7,
}


@dataclass(frozen=True)
class AllenEtAl2012:
    """Allen et al. (2012) IPE: MMI = c0 + c1·M + c2·ln √(R² + R_M²), R_M = 1 + c3·e^(M−5).

    Contract
    --------
    inputs
        Mw (moment magnitude), R = closest distance to the rupture in km (for a point source, the
        hypocentral distance).
    output
        Modified Mercalli Intensity, real-valued; σ from :meth:`sigma`.
    validity
        Mw 5.0–7.9, R ≤ 300 km (active crustal regions); used here down to Mw 4 with a note.
    """

    coefficients: dict[str, float] | None = None
    magnitude_type: MagnitudeType = "Mw"
    scale: IntensityScale = "MMI"
    valid_magnitudes: tuple[float, float] = (4.0, 9.0)
    source: str = ALLEN_2012_SOURCE

    @property
    def c(self) -> dict[str, float]:
        return self.coefficients or ALLEN_2012

    def constant_term(self) -> float:
        return self.c["c0"]

    def magnitude_term(self, mw: float) -> float:
        return self.c["c1"] * mw

    def near_source_term(self, mw: float) -> float:
        """R_M = 1 + c3·e^(M−5): the magnitude-dependent near-source saturation distance (km)."""
        return 1.0 + self.c["c3"] * math.exp(mw - 5.0)

    def distance_term(self, mw: float, r_rup_km: FloatArray) -> FloatArray:
        r_m = self.near_source_term(mw)
        result: FloatArray = self.c["c2"] * np.log(np.sqrt(r_rup_km * r_rup_km + r_m * r_m))
        return result

    def at_distances(self, mw: float, r_rup_km: ArrayLike) -> FloatArray:
        """MMI at rupture distances ``r_rup_km``."""
        check_magnitude(mw, valid=self.valid_magnitudes)
        r = np.asarray(r_rup_km, dtype=np.float64)
        result: FloatArray = self.constant_term() + self.magnitude_term(mw) + self.distance_term(mw, r)
        return result

    def sigma(self, r_rup_km: ArrayLike) -> FloatArray:
        r = np.asarray(r_rup_km, dtype=np.float64)
        result: FloatArray = self.c["s1"] + self.c["s2"] / (1.0 + (r / self.c["s3"]) ** 2)
        return result

    def reach_km(self, mw: float, intensity: float) -> float:
        """Rupture distance at which the MMI falls to ``intensity`` (0 if never reached)."""
        r_m = self.near_source_term(mw)
        ln_r = (intensity - self.constant_term() - self.magnitude_term(mw)) / self.c["c2"]
        r_sq = math.exp(2.0 * ln_r) - r_m * r_m
        return math.sqrt(r_sq) if r_sq > 0 else 0.0


# --------------------------------------------------------------------------------------------------
# GB/T 17742-2020 instrumental intensity
# --------------------------------------------------------------------------------------------------

GB17742_SOURCE = (
    "GB/T 17742-2020 中国地震烈度表, Annex (instrumental intensity); docs/sources.md §E2.3 — status P "
    "(Wangshuai022 GB17742_class.py, not checked against the printed standard)"
)
# I_A = 3.17·lg PGA + 6.59 (PGA in m/s²); I_V = 3.00·lg PGV + 9.77 (PGV in m/s)
GB17742 = {"a_slope": 3.17, "a_offset": 6.59, "v_slope": 3.00, "v_offset": 9.77, "switch": 6.0}


def intensity_from_pga(pga_m_s2: ArrayLike) -> FloatArray:
    """I_A = 3.17·lg PGA + 6.59, PGA in m/s² (GB/T 17742-2020)."""
    result: FloatArray = GB17742["a_slope"] * np.log10(np.asarray(pga_m_s2, dtype=np.float64)) + GB17742["a_offset"]
    return result


def intensity_from_pgv(pgv_m_s: ArrayLike) -> FloatArray:
    """I_V = 3.00·lg PGV + 9.77, PGV in m/s (GB/T 17742-2020)."""
    result: FloatArray = GB17742["v_slope"] * np.log10(np.asarray(pgv_m_s, dtype=np.float64)) + GB17742["v_offset"]
    return result


def instrumental_intensity(pga_m_s2: ArrayLike, pgv_m_s: ArrayLike) -> FloatArray:
    """GB/T 17742-2020 instrumental intensity I_I from PGA (m/s²) and PGV (m/s).

    If I_A ≥ 6.0 and I_V ≥ 6.0 then I_I = I_V, otherwise (I_A + I_V)/2; the result is kept within
    1.0–12.0 and rounded to one decimal as the standard reports it.
    """
    pga = np.asarray(pga_m_s2, dtype=np.float64)
    pgv = np.asarray(pgv_m_s, dtype=np.float64)
    if np.any(pga <= 0) or np.any(pgv <= 0):
        raise InvalidInput("pga and pgv must be positive (m/s² and m/s)")
    i_a = intensity_from_pga(pga)
    i_v = intensity_from_pgv(pgv)
    strong = (i_a >= GB17742["switch"]) & (i_v >= GB17742["switch"])
    combined = np.where(strong, i_v, 0.5 * (i_a + i_v))
    result: FloatArray = np.round(np.clip(combined, 1.0, 12.0), 1)
    return result
