"""Benchmark: the full earthquake rapid assessment (Ms 7.0, Qinghai–Tibet, 0.01° grid, WorldPop 5′
population, PAGER losses with uncertainty, aftershocks, relief needs), timed in-process (median of 5)
and as a whole `yingji quake assess` process (median of 3), printed side by side.

Then, if OpenQuake is installed beside the project (earthquake.md §8; interpreter from $OQ_PYTHON,
default /work/oq-venv/bin/python — never a project dependency), the Allen (2012) MMI field on the same
601 × 601 sites (±3° at 0.01°) and the same vertical rupture, end to end (building the sites included):
yingji in-process vs OpenQuake's ground_motion_fields, with the largest difference between the fields.

Last, a 2,000-scenario stochastic set (0.05° grids, per-county aggregation): scenarios per second in
this process without Dask, and on a local Dask cluster with 1 and with 2 single-threaded workers
(cluster start-up not counted; printed separately).

Run: .venv/bin/python bench/quake_assess.py [--skip-scenarios]
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The packaged copies (yingji/quake/data, NOTICE.md there) of the shared WorldPop raster and GEM traces.
RASTER = ROOT / "src" / "yingji" / "quake" / "data" / "worldpop-2020-5arcmin-china.tif"
FAULTS = ROOT / "src" / "yingji" / "quake" / "data" / "gem-active-faults-china.geojson"
EVENT = {"lon": 87.45, "lat": 28.50, "depth_km": 10.0, "magnitude": 7.0}
ORIGIN = "2025-01-07T01:05:16+00:00"
AT = "2025-01-07T03:05:16+00:00"


def in_process(runs: int = 5) -> tuple[list[float], dict[str, object]]:
    from yingji.quake.assess import EarthquakeInput, assess

    times: list[float] = []
    data: dict[str, object] = {}
    for _ in range(runs):
        started = time.perf_counter()
        result = assess(
            EarthquakeInput(
                **EVENT,  # type: ignore[arg-type]
                magnitude_type="Ms",
                origin_time=datetime.fromisoformat(ORIGIN),
                at=datetime.fromisoformat(AT),
                faults=FAULTS,
                population_raster=RASTER,
                region="qinghai_tibet",
                step_deg=0.01,
            )
        )
        data = result.to_dict()
        times.append(time.perf_counter() - started)
    return times, data


def whole_process(runs: int = 3) -> list[float]:
    exe = Path(sys.executable).with_name("yingji")
    command = [
        str(exe),
        "quake",
        "assess",
        "--lon",
        str(EVENT["lon"]),
        "--lat",
        str(EVENT["lat"]),
        "--depth",
        str(EVENT["depth_km"]),
        "--magnitude",
        str(EVENT["magnitude"]),
        "--magnitude-type",
        "Ms",
        "--region",
        "qinghai_tibet",
        "--faults",
        str(FAULTS),
        "--population",
        str(RASTER),
        "--origin-time",
        ORIGIN,
        "--at",
        AT,
        "--no-db",
        "--json",
    ]
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return times


OQ_PYTHON = Path(os.environ.get("OQ_PYTHON", "/work/oq-venv/bin/python"))
FIELD_MW = 7.0
FIELD_STRIKE = 187.0
FIELD_SIZE = 601


def yingji_field() -> tuple[object, object]:
    """Grid, sites and the Allen (2012) field on it, end to end; returns (grid, values)."""
    from yingji.quake.field import Grid, allen_field
    from yingji.quake.source import Epicentre, Orientation

    step = 0.01
    half = (FIELD_SIZE // 2) * step + step / 2
    grid = Grid(EVENT["lon"] - half, EVENT["lat"] + half, step, FIELD_SIZE, FIELD_SIZE)
    epicentre = Epicentre(EVENT["lon"], EVENT["lat"], EVENT["depth_km"])
    fld = allen_field(grid, epicentre, FIELD_MW, Orientation(FIELD_STRIKE, "given", "bench"))
    return grid, fld.values


def compare_with_openquake() -> None:
    import numpy as np

    from yingji.quake.field import WC1994_WIDTH, rupture_length_km, rupture_top_km

    if not OQ_PYTHON.exists():
        print(f"\nOpenQuake comparison skipped: no OpenQuake interpreter at {OQ_PYTHON} (set OQ_PYTHON)")
        return
    times = []
    for _ in range(5):
        started = time.perf_counter()
        grid, ours = yingji_field()
        times.append(time.perf_counter() - started)
    lons, lats = np.meshgrid(grid.lons(), grid.lats())  # type: ignore[attr-defined]
    top = rupture_top_km(FIELD_MW, EVENT["depth_km"])
    width = 10 ** (WC1994_WIDTH[0] + WC1994_WIDTH[1] * FIELD_MW)
    rupture = [
        FIELD_MW,
        EVENT["lon"],
        EVENT["lat"],
        EVENT["depth_km"],
        FIELD_STRIKE,
        rupture_length_km(FIELD_MW),
        top,
        top + width,
    ]
    oq_totals = []
    with tempfile.TemporaryDirectory() as tmp:
        sites_file = Path(tmp) / "sites.npz"
        out_file = Path(tmp) / "oq.npz"
        np.savez(sites_file, lons=lons.ravel(), lats=lats.ravel(), rupture=np.array(rupture))
        for _ in range(3):
            subprocess.run(
                [str(OQ_PYTHON), str(ROOT / "bench" / "quake_oq_field.py"), str(sites_file), str(out_file)],
                check=True,
                capture_output=True,
            )
            result = np.load(out_file)
            timings = json.loads(str(result["timings"]))
            oq_totals.append(timings)
        oq = result["mmi"].reshape(ours.shape)  # type: ignore[attr-defined]
    ours_median = statistics.median(times)
    oq_median = statistics.median(t["total_s"] for t in oq_totals)
    oq_sites = statistics.median(t["sites_s"] for t in oq_totals)
    oq_field = statistics.median(t["field_s"] for t in oq_totals)
    computed = oq != 0
    diff = float(np.max(np.abs(ours - oq)[computed]))  # type: ignore[operator]
    print(
        f"\nAllen (2012) MMI field, {FIELD_SIZE} × {FIELD_SIZE} = {FIELD_SIZE**2:,} sites, Mw {FIELD_MW}, "
        f"vertical rupture {rupture[5]:.1f} km along {FIELD_STRIKE}°, top {top:.1f} km"
    )
    print(f"  yingji (grid + distances + field), median of 5: {ours_median:.3f} s")
    print(
        f"  OpenQuake {oq_totals[0]['version']} (SiteCollection.from_points {oq_sites:.3f} s + "
        f"ground_motion_fields {oq_field:.3f} s), median of 3: {oq_median:.3f} s"
    )
    print(f"  ratio OpenQuake / yingji: {oq_median / ours_median:.1f}× (goal ≥ 2×)")
    print(
        f"  largest |difference| over {int(computed.sum()):,} sites OpenQuake computed: {diff:.4f} MMI "
        f"(goal ≤ 0.05); sites OpenQuake left out (beyond its distance cut): {int((~computed).sum()):,}"
    )


SCENARIOS = 2000


def scenario_sets() -> None:
    from distributed import Client, LocalCluster

    from yingji.quake.scenarios import counties_from_cpca, run_scenario_set, stochastic_set

    scenarios = stochastic_set(SCENARIOS, seed=2025)
    counties = counties_from_cpca()
    print(
        f"\nScenario set: {SCENARIOS:,} stochastic scenarios (Ms 5–8, seed 2025), 0.05° grids, "
        f"{len(counties):,} county seats"
    )
    started = time.perf_counter()
    base = run_scenario_set(scenarios, population_raster=RASTER, counties=counties, scheduler="sync")
    sync_s = time.perf_counter() - started
    print(f"  in-process, no Dask: {sync_s:.2f} s = {SCENARIOS / sync_s:.0f} scenarios/s")
    rates = {}
    for workers in (1, 2):
        started = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        startup = time.perf_counter() - started
        started = time.perf_counter()
        result = run_scenario_set(scenarios, population_raster=RASTER, counties=counties, client=client)
        elapsed = time.perf_counter() - started
        client.close()
        cluster.close()
        rates[workers] = SCENARIOS / elapsed
        same = bool(abs(result.totals - base.totals).max() <= 1e-6 * max(1.0, float(abs(base.totals).max())))
        print(
            f"  Dask, {workers} worker(s): {elapsed:.2f} s = {rates[workers]:.0f} scenarios/s "
            f"(cluster start {startup:.1f} s; same totals as in-process: {same})"
        )
    print(f"  ratio 2 workers / 1 worker: {rates[2] / rates[1]:.2f}×")
    top = base.by_county(top=3)
    print("  most expected deaths per scenario: " + ", ".join(f"{r['name']} {r['deaths']:.3f}" for r in top))


def main() -> None:
    if not RASTER.exists():
        sys.exit(f"population raster not found: {RASTER}")
    warm, _ = in_process(1)  # first call pays imports and file caches; reported, not counted
    times, data = in_process(5)
    cli = whole_process(3)
    median = statistics.median(times)
    cli_median = statistics.median(cli)
    grid = data["model"]["grid_shape"]  # type: ignore[index]
    print("quake rapid assessment — Ms 7.0, Qinghai–Tibet, 0.01° grid, WorldPop 5′, GEM faults")
    print(
        f"  grid {grid[0]} × {grid[1]} = {grid[0] * grid[1]:,} cells; zones {[z['intensity'] for z in data['zones']]}"
    )  # type: ignore[index]
    print(
        f"  expected deaths {data['fatalities']['expected']:.1f} ({data['fatalities']['alert']}), "  # type: ignore[index]
        f"loss US${data['economic_loss_usd']['expected'] / 1e6:.0f} M ({data['economic_loss_usd']['alert']}), "  # type: ignore[index]
        f"displaced {data['displaced']:.0f}, response level {data['response_level']}"
    )
    print(f"  first in-process call (imports, cold caches): {warm[0]:.3f} s")
    print(f"  in-process, median of 5:  {median:.3f} s  (runs {', '.join(f'{t:.3f}' for t in times)}; goal ≤ 1 s)")
    print(f"  whole CLI process, median of 3: {cli_median:.3f} s  (runs {', '.join(f'{t:.3f}' for t in cli)})")
    print(f"  ratio CLI process / in-process: {cli_median / median:.1f}×")
    compare_with_openquake()
    if "--skip-scenarios" not in sys.argv:
        scenario_sets()


if __name__ == "__main__":
    main()
