"""Fit and choose the earthquake deaths chain on the fitting set (events up to 2007) only.

Runs every candidate path of ``yingji.quake.calibration.CANDIDATES``, scores each by leave-one-out
cross-validation on the fitting set, and writes:

* ``src/yingji/quake/data/calibrated_models.yaml`` — the fitted models (named), their CV scores and spread,
  and the default: the candidate with the lowest CV RMSE of log10(deaths + 1);
* ``docs/quake-calibration-residuals.csv`` — the cross-validated prediction of every fitting event for
  the default and the old default;
* ``docs/img/quake-calibration-residuals.svg`` — those residuals as a plot.

The validation set is not read here. Usage: ``python tools/quake_calibrate.py``.
"""

from __future__ import annotations

import csv
import math
import sys
import time
from pathlib import Path

import yaml

from yingji.quake import calibration as cal

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "src" / "yingji" / "quake" / "data" / "calibrated_models.yaml"
RESIDUALS = ROOT / "docs" / "quake-calibration-residuals.csv"
PLOT = ROOT / "docs" / "img" / "quake-calibration-residuals.svg"


def svg_plot(points: dict[str, list[tuple[float, float]]], title: str) -> str:
    """A small scatter plot: x = log10(toll + 1), y = log10((predicted + 1)/(toll + 1)), one colour per series."""
    width, height, left, top, right, bottom = 640, 400, 60, 30, 20, 50
    x_max = max(x for series in points.values() for x, _ in series) + 0.3
    y_lim = max(3.0, max(abs(y) for series in points.values() for _, y in series) + 0.2)

    def px(x: float) -> float:
        return left + x / x_max * (width - left - right)

    def py(y: float) -> float:
        return top + (y_lim - y) / (2 * y_lim) * (height - top - bottom)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        'font-family="sans-serif" font-size="11">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>',
        f'<text x="{width / 2}" y="18" text-anchor="middle" font-size="13">{title}</text>',
    ]
    for y in (-1.0, 0.0, 1.0):
        style = "#444" if y == 0 else "#bbb"
        dash = "" if y == 0 else "4 3"
        parts.append(
            f'<line x1="{left}" y1="{py(y):.1f}" x2="{width - right}" y2="{py(y):.1f}" '
            f'stroke="{style}" stroke-dasharray="{dash}"/>'
        )
    for y in range(-int(y_lim), int(y_lim) + 1):
        parts.append(f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:+d}</text>')
    for x in range(int(x_max) + 1):
        parts.append(
            f'<text x="{px(x):.1f}" y="{height - bottom + 16}" text-anchor="middle">{10**x - 1 if x else 0:,}</text>'
        )
    parts.append(
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#444"/>'
    )
    parts.append(
        f'<text x="{width / 2}" y="{height - 12}" text-anchor="middle">real toll (deaths + missing), log scale</text>'
    )
    parts.append(
        f'<text x="14" y="{height / 2}" text-anchor="middle" transform="rotate(-90 14 {height / 2})">'
        "log10((predicted+1)/(toll+1)); dashed: 10x</text>"
    )
    colours = ["#d62728", "#1f77b4", "#2ca02c"]
    for i, (label, series) in enumerate(points.items()):
        colour = colours[i % len(colours)]
        for x, y in series:
            parts.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3.5" fill="{colour}" fill-opacity="0.75"/>')
        parts.append(f'<circle cx="{left + 10}" cy="{top + 12 + 16 * i}" r="4" fill="{colour}"/>')
        parts.append(f'<text x="{left + 20}" y="{top + 16 + 16 * i}">{label}</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> int:
    started = time.perf_counter()
    events = [e for e in cal.load_events() if e.set == "fit"]
    assert all(e.year <= 2007 for e in events), "the fitting set holds only events up to 2007"
    tolls = [e.toll for e in events]
    years = [e.year for e in events]
    paths = {c.path for c in cal.CANDIDATES}
    exposures = cal.exposures_for(events, sorted(paths), progress=lambda m: print(m, file=sys.stderr))
    print(f"exposures: {time.perf_counter() - started:.1f} s", file=sys.stderr)

    results = {}
    for cand in cal.CANDIDATES:
        expo = [x.exposure for x in exposures[cand.path]]
        regions = [x.region for x in exposures[cand.path]]
        loo = cal.loo_predictions(cand, expo, years, tolls, regions)
        sigma = cal.spread_80(cal.residuals(loo, tolls))
        score = cal.skill(list(loo), cal.cv_ranges(list(loo), tolls), events)
        results[cand.name] = (cand, loo, sigma, score)
        print(
            f"{cand.name:24s} CV RMSE log10 {score.rmse_log10:.3f}  within10x {score.within_10x}/{score.events}"
            f"  band {score.same_band}/{score.events}  inside80 {score.inside_80}/{score.events}",
            file=sys.stderr,
        )

    best = min(results.values(), key=lambda r: r[3].rmse_log10)[0]
    models = {}
    for name, (cand, _loo, sigma, _score) in results.items():
        if cand.free == 0:
            continue
        expo = [x.exposure for x in exposures[cand.path]]
        regions = [x.region for x in exposures[cand.path]] if cand.regional else None
        params = cal.fit_curve(expo, years, tolls, cand.free, regions)
        row = {
            "description": cand.description,
            "field": cand.field,
            "rupture": cand.rupture,
            "theta": round(math.exp(params[0]), 6),
            "beta": round(math.exp(params[1]), 6),
            "trend_per_decade": round(params[2], 6) if cand.free > 2 and not cand.regional else 0.0,
            "sigma": round(sigma, 4),
            "free_parameters": cand.free,  # per region when regional (its θ and the shared β)
        }
        if cand.regional:
            row["region_offsets"] = {r: round(v, 6) for r, v in zip(cal.REGIONS, params[2:], strict=True)}
            row["region_ridge"] = cal.REGION_RIDGE
            row["min_region_events"] = cal.MIN_REGION_EVENTS
            row["fitting_events_per_region"] = {r: regions.count(r) for r in cal.REGIONS}  # type: ignore[union-attr]
        models[name] = row
    cv = {
        name: {
            "rmse_log10": round(score.rmse_log10, 4),
            "within_10x": score.within_10x,
            "same_band": score.same_band,
            "inside_80": score.inside_80,
            "events": score.events,
            "sigma_ln": round(sigma, 4),
        }
        for name, (_c, _l, sigma, score) in results.items()
    }
    document = {
        "source": "tools/quake_calibrate.py on the fitting set of data/calibration_events.csv (events 1973-2007); "
        "least squares on ln(deaths + 1); spread: the 80 % interval holds 80 % of the leave-one-out "
        "residuals (calibration.spread_80); status P (own fit)",
        "status": "P",
        "fitting_events": len(events),
        "population": "WorldPop 2020 (packaged) x census(year)/census(2020), calibration.CENSUS_POPULATION",
        "grid_step_deg": cal.CALIBRATION_STEP_DEG,
        "default": best.name,
        "cross_validation": cv,
        "models": models,
    }
    MODELS.write_text(
        "# Written by tools/quake_calibrate.py — do not edit by hand; re-run the tool (fitting set only).\n"
        + yaml.safe_dump(document, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )

    old = results["pager-mmi"][1]
    new = results[best.name][1]
    RESIDUALS.parent.mkdir(parents=True, exist_ok=True)
    with RESIDUALS.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(
            ["# cross-validated (leave-one-out) predictions on the fitting set; written by tools/quake_calibrate.py"]
        )
        out.writerow(
            [
                "id",
                "name",
                "year",
                "toll",
                f"predicted_{best.name}",
                "predicted_pager-mmi",
                f"log10_ratio_{best.name}",
                "log10_ratio_pager-mmi",
            ]
        )
        for e, p_new, p_old in zip(events, new, old, strict=True):
            out.writerow(
                [
                    e.event_id,
                    e.name,
                    e.year,
                    e.toll,
                    round(float(p_new), 1),
                    round(float(p_old), 2),
                    round(math.log10((p_new + 1) / (e.toll + 1)), 3),
                    round(math.log10((p_old + 1) / (e.toll + 1)), 3),
                ]
            )
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    PLOT.write_text(
        svg_plot(
            {
                f"{best.name} (default, leave-one-out)": [
                    (math.log10(t + 1), math.log10((p + 1) / (t + 1))) for t, p in zip(tolls, new, strict=True)
                ],
                "pager-mmi (old default)": [
                    (math.log10(t + 1), math.log10((p + 1) / (t + 1))) for t, p in zip(tolls, old, strict=True)
                ],
            },
            "Fitting set 1973-2007: cross-validated residuals of deaths",
        ),
        encoding="utf-8",
    )
    print(
        f"default: {best.name}; written {MODELS.name}, {RESIDUALS.name}, {PLOT.name} "
        f"in {time.perf_counter() - started:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
