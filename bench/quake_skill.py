"""Skill of the earthquake deaths assessment on past Chinese events: the fitting set (1973–2007,
leave-one-out cross-validated) and the validation set (2008 on, never used to fit or choose), each for
the default model, the calibrated default before it (cn-csis-circular-2) and the old default (pager-mmi:
Allen 2012 MMI from a point source, PAGER's China curve) in the same run.

Fitting set: exposures on the calibration grid (0.02°), each model re-fitted without each event in turn;
each event's 80 % range takes σ from the other events' cross-validated residuals. Validation set: the
whole assessment as a user runs it (``yingji.quake.assess``, default grid 0.01°, the packaged WorldPop
raster scaled to the event year by census totals, packaged fault traces).

Figures per set: deaths within 10× (|log10((predicted + 1)/(toll + 1))| ≤ 1; toll = deaths + missing),
same PAGER alert band (< 1, 1–99, 100–999, ≥ 1,000 on ``fatalities.expected``), real toll inside the 80 %
range, the same within 10× for events with ≥ 10 deaths, and the median |log10| ratio of the VI+ area to
the published isoseismal area where there is one. Goal on validation: within 10× ≥ 80 %, same band ≥ 60 %.

Usage: ``python bench/quake_skill.py [--events-csv FILE] [--per-event]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from yingji.quake import calibration as cal
from yingji.quake import data as packaged
from yingji.quake import fatality
from yingji.quake.assess import assess
from yingji.quake.exposure import cached_population_raster

GOAL_WITHIN_10X = 0.80
GOAL_SAME_BAND = 0.60


PREVIOUS_DEFAULT = "cn-csis-circular-2"  # the calibrated default of validation runs 1-3


def compared_models() -> list[str]:
    """The default, the calibrated default before it (if another) and the old default (pager-mmi)."""
    names = [fatality.default_model_name(), PREVIOUS_DEFAULT, fatality.PAGER_MMI]
    return list(dict.fromkeys(names))


def fitting_set(events: list[cal.CalibrationEvent]) -> dict[str, tuple[list[float], list[tuple[float, float]]]]:
    years = [e.year for e in events]
    tolls = [e.toll for e in events]
    out = {}
    for name in compared_models():
        model = fatality.model(name)
        candidate = next(c for c in cal.CANDIDATES if c.name == name)
        exposures = cal.exposures_for(events, [candidate.path])[candidate.path]
        expo = [x.exposure for x in exposures]
        regions = [x.region for x in exposures]
        loo = [float(p) for p in cal.loo_predictions(candidate, expo, years, tolls, regions)]
        if model.sigma is not None:  # σ of each event from the other events' cross-validated residuals
            ranges = cal.cv_ranges(loo, tolls)
        else:
            g = min(fatality.losses.fatality_model("CN").g, fatality.losses.MAX_SPREAD)
            ranges = [fatality.interval(p, g, shifted=False) for p in loo]
        out[name] = (loo, ranges)
    return out


def assess_event(event: cal.CalibrationEvent, model: str) -> tuple[float, tuple[float, float], float]:
    raster = cached_population_raster(str(packaged.population_raster()))
    factor = cal.population_factor(event.year)
    old = model == fatality.PAGER_MMI
    result = assess(
        cal.event_input(
            event,
            use_packaged_faults=not old,  # the old default had no fault file: a point source
            step=0.01,  # the default grid
            model=model,
            population=lambda grid: raster.on_grid(grid) * factor,
            population_source="WorldPop 2020 x census",
        )
    )
    f = result.fatalities
    low, high = f["range_80"]
    return float(f["expected"]), (float(low), float(high)), sum(z.area_km2 for z in result.zones)


def validation_set(
    events: list[cal.CalibrationEvent],
) -> dict[str, tuple[list[float], list[tuple[float, float]], list[float]]]:
    out = {}
    for name in compared_models():
        rows = [assess_event(e, name) for e in events]
        out[name] = ([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events-csv", type=Path, help="another table in the same form (default: the packaged one)")
    parser.add_argument("--per-event", action="store_true", help="print every event's prediction")
    args = parser.parse_args()
    events = cal.load_events(args.events_csv.read_text(encoding="utf-8") if args.events_csv else None)
    fit = [e for e in events if e.set == "fit"]
    val = [e for e in events if e.set == "validation"]
    default = fatality.default_model_name()
    print(f"default model: {default}; compared: {', '.join(compared_models()[1:])} (old default {fatality.PAGER_MMI})")
    print(
        f"split: fitting set {len(fit)} events {min(e.year for e in fit)}-{max(e.year for e in fit)} "
        f"(fits, chooses, sets the spread); validation set {len(val)} events "
        f"{min(e.year for e in val)}-{max(e.year for e in val)} (only scored)"
    )

    started = time.perf_counter()
    fitted = fitting_set(fit)
    print(f"\n== Fitting set 1973-2007 (leave-one-out cross-validated), {time.perf_counter() - started:.0f} s")
    for name, (pred, ranges) in fitted.items():
        print("\n".join(cal.skill(pred, ranges, fit).lines(f"[{name}]")))
    if args.per_event:
        for i, e in enumerate(fit):
            print(
                f"  {e.event_id:22s} toll {e.toll:>7}  " + "  ".join(f"{n} {p[0][i]:10.1f}" for n, p in fitted.items())
            )

    started = time.perf_counter()
    checked = validation_set(val)
    print(f"\n== Validation set 2008- (never fitted on), {time.perf_counter() - started:.0f} s")
    for name, (pred, ranges, areas) in checked.items():
        score = cal.skill(pred, ranges, val, areas)
        print("\n".join(score.lines(f"[{name}]")))
        if name == default:
            w, b = score.within_10x / score.events, score.same_band / score.events
            print(
                f"  goal: within 10x {w:.0%} / {GOAL_WITHIN_10X:.0%} = {w / GOAL_WITHIN_10X:.2f}; "
                f"same band {b:.0%} / {GOAL_SAME_BAND:.0%} = {b / GOAL_SAME_BAND:.2f}"
            )
    if args.per_event:
        for i, e in enumerate(val):
            print(
                f"  {e.event_id:22s} toll {e.toll:>7}  "
                + "  ".join(f"{n} {p[0][i]:10.1f} [{p[1][i][0]:.0f}-{p[1][i][1]:.0f}]" for n, p in checked.items())
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
