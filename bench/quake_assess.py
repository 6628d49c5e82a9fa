"""Benchmark: the full earthquake rapid assessment (Ms 7.0, Qinghai–Tibet, 0.01° grid, WorldPop 5′
population, PAGER losses with uncertainty, aftershocks, relief needs), timed in-process (median of 5)
and as a whole `yingji quake assess` process (median of 3), printed side by side.

Run: .venv/bin/python bench/quake_assess.py
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
RASTER = DATA / "population" / "worldpop-2020-5arcmin-china.tif"
FAULTS = DATA / "faults" / "gem-active-faults-china.geojson"
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


if __name__ == "__main__":
    main()
