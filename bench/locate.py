"""Which township contains each of 100,000 random points, with 40,000 township polygons loaded.

Synthetic layer: 40,000 Voronoi cells over a 20° × 10° box (about the size of Tibet), stored through the
same tables the platform uses; then ``geo.spatial.locate_points`` on SQLite (bbox prefilter + STRtree +
exact GEOS test) and on PostGIS (one batched statement over the GiST index). Prints points/s for both,
the ratio to the 20,000 points/s goal, and checks that both backends give the same answers.

Usage: .venv/bin/python bench/locate.py [--points 100000] [--polygons 40000] [--pg URL]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import shapely
from rich.console import Console
from rich.progress import track
from rich.table import Table
from sqlalchemy import create_engine, insert, text

from yingji.db import make_engine, session_factory
from yingji.dbcli import upgrade_database
from yingji.geo.models import Division
from yingji.geo.spatial.service import _locate_postgis, locate_points
from yingji.geo.synthetic import voronoi_cells

BOX = (80.0, 27.0, 100.0, 37.0)
GOAL = 20_000.0
console = Console()


def make_layer(n: int, rng: np.random.Generator) -> list[dict[str, object]]:
    xs = rng.uniform(BOX[0], BOX[2], n)
    ys = rng.uniform(BOX[1], BOX[3], n)
    cells = voronoi_cells(xs.tolist(), ys.tolist(), shapely.box(*BOX))
    rows: list[dict[str, object]] = [
        {
            "code": "990000000000",
            "parent_code": None,
            "name": "bench",
            "pinyin": "",
            "level": "province",
            "source": "bench",
        }
    ]
    for i, (cell, x, y) in enumerate(zip(cells, xs, ys, strict=True)):
        b = cell.bounds
        rows.append(
            {
                "code": f"99{i // 999 + 1:04d}{i % 999 + 1:03d}000",
                "parent_code": "990000000000",
                "name": f"t{i}",
                "pinyin": "",
                "level": "township",
                "lon": float(x),
                "lat": float(y),
                "boundary_wkb": shapely.to_wkb(cell),
                "min_lon": b[0],
                "min_lat": b[1],
                "max_lon": b[2],
                "max_lat": b[3],
                "source": "bench",
            }
        )
    return rows


def fresh_schema(base_url: str, schema: str = "bench_locate") -> str:
    """A schema of the bench's own (its own alembic_version first on the search path), so nothing else in
    the database is read or changed; returns the URL that works in it."""
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {schema}"))
        conn.execute(
            text(
                f"CREATE TABLE {schema}.alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            )
        )
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    sep = "&" if "?" in base_url else "?"
    return f"{base_url}{sep}options=-csearch_path%3D{schema}%2Cpublic"


def load(url: str, rows: list[dict[str, object]]) -> None:
    upgrade_database(url)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM divisions WHERE code LIKE '99%'"))
        conn.execute(insert(Division), rows[:1])
        batch = 2000
        for start in track(range(1, len(rows), batch), description=f"loading {engine.dialect.name}", console=console):
            conn.execute(insert(Division), rows[start : start + batch])
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE divisions"))
    engine.dispose()


def measure(
    url: str, lons: np.ndarray, lats: np.ndarray, repeats: int, locate: Any = locate_points
) -> tuple[float, list[str | None]]:
    engine = make_engine(url)
    factory = session_factory(engine)
    best = float("inf")
    codes: list[str | None] = []
    for _ in range(repeats):
        with factory() as session:
            started = time.perf_counter()
            codes = locate(session, lons.tolist(), lats.tolist(), "township")
            best = min(best, time.perf_counter() - started)
    engine.dispose()
    return best, codes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--polygons", type=int, default=40_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--pg",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/yingji_bench",
        help="database; the bench works in a schema of its own (bench_locate), rebuilt each run",
    )
    args = parser.parse_args()
    rng = np.random.default_rng(42)
    rows = make_layer(args.polygons, rng)
    lons = rng.uniform(BOX[0] - 0.5, BOX[2] + 0.5, args.points)  # some points fall outside every cell
    lats = rng.uniform(BOX[1] - 0.5, BOX[3] + 0.5, args.points)
    results: dict[str, tuple[float, list[str | None]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        sqlite_url = f"sqlite:///{Path(tmp) / 'locate.db'}"
        load(sqlite_url, rows)
        results["SQLite (STRtree + GEOS)"] = measure(sqlite_url, lons, lats, args.repeats)
    try:
        with create_engine(args.pg).connect():
            pass
        pg_url = fresh_schema(args.pg)
        load(pg_url, rows)
        results["PostGIS (GiST, batched)"] = measure(pg_url, lons, lats, args.repeats)
        # Baseline: the whole batch as one server-side join, one GiST probe per point (what small
        # batches use).
        results["PostGIS one probe per point (baseline)"] = measure(pg_url, lons, lats, 1, _locate_postgis)
    except Exception as exc:  # report, don't hide, a missing PostgreSQL
        console.print(f"[yellow]PostGIS skipped: {type(exc).__name__}: {exc}")
    table = Table(
        title=f"locate {args.points:,} points among {args.polygons:,} township polygons (best of {args.repeats})"
    )
    for col in ("backend", "seconds", "points/s", "ratio to goal (20,000/s)"):
        table.add_column(col, justify="right")
    for name, (seconds, _) in results.items():
        rate = args.points / seconds
        table.add_row(name, f"{seconds:.3f}", f"{rate:,.0f}", f"{rate / GOAL:.1f}×")
    console.print(table)
    answers = [codes for _, codes in results.values()]
    if len(answers) >= 2:
        same = sum(len(set(row)) == 1 for row in zip(*answers, strict=True))
        console.print(
            f"all methods agree on {same:,} of {args.points:,} points; "
            f"{sum(c is None for c in answers[0]):,} points lie outside every polygon"
        )


if __name__ == "__main__":
    main()
