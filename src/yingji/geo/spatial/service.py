"""The spatial-query interface, with a PostGIS implementation and an SQLite one.

Both take whole batches (never one round trip per point). PostGIS, small batches: one statement over
arrays joined to the GiST-indexed ``geom`` column. PostGIS, large batches: the GiST index selects the
polygons in the batch's bounding box in one query and the exact test runs in GEOS here — shipping each
candidate polygon once is cheaper than one index probe per point (bench/locate.py shows the rates).
SQLite: bounding-box prefilter on the indexed extent columns, then the same STRtree and exact
intersection test in shapely (GEOS).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import shapely
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from yingji.db import is_postgres
from yingji.geo.models import Division

_PG_BATCH = 50_000
_PG_CLIENT_SIDE_FROM = 5_000  # points; from here on, fetch the candidate polygons and test in GEOS
_PG_CANDIDATES = text(
    """
    SELECT code, ST_AsBinary(geom) FROM divisions
    WHERE level = :level AND geom && ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, 4326)
    ORDER BY code
    """
)
_PG_LOCATE = text(
    """
    SELECT p.i, d.code
    FROM unnest(CAST(:lons AS float8[]), CAST(:lats AS float8[])) WITH ORDINALITY AS p(lon, lat, i)
    CROSS JOIN LATERAL (
        SELECT code FROM divisions d
        WHERE d.level = :level AND ST_Intersects(d.geom, ST_SetSRID(ST_MakePoint(p.lon, p.lat), 4326))
        ORDER BY code LIMIT 1
    ) d
    """
)


def locate_points(session: Session, lons: Sequence[float], lats: Sequence[float], level: str) -> list[str | None]:
    """For each point, the code of the division of ``level`` whose boundary contains it (else None)."""
    if len(lons) != len(lats):
        raise ValueError("lons and lats differ in length")
    if len(lons) == 0:
        return []
    x, y = np.asarray(lons, float), np.asarray(lats, float)
    if is_postgres(session):
        if len(lons) < _PG_CLIENT_SIDE_FROM:
            return _locate_postgis(session, lons, lats, level)
        box = {
            "min_lon": float(x.min()),
            "min_lat": float(y.min()),
            "max_lon": float(x.max()),
            "max_lat": float(y.max()),
            "level": level,
        }
        rows = [(code, bytes(wkb)) for code, wkb in session.execute(_PG_CANDIDATES, box)]
        return _exact(rows, x, y)
    return _locate_geos(session, x, y, level)


def _locate_postgis(session: Session, lons: Sequence[float], lats: Sequence[float], level: str) -> list[str | None]:
    out: list[str | None] = [None] * len(lons)
    for start in range(0, len(lons), _PG_BATCH):
        chunk_lons = [float(v) for v in lons[start : start + _PG_BATCH]]
        chunk_lats = [float(v) for v in lats[start : start + _PG_BATCH]]
        for i, code in session.execute(_PG_LOCATE, {"lons": chunk_lons, "lats": chunk_lats, "level": level}):
            out[start + int(i) - 1] = code
    return out


def _locate_geos(session: Session, lons: np.ndarray, lats: np.ndarray, level: str) -> list[str | None]:
    stmt = (
        select(Division.code, Division.boundary_wkb)
        .where(
            Division.level == level,
            Division.boundary_wkb.is_not(None),
            Division.max_lon >= float(lons.min()),
            Division.min_lon <= float(lons.max()),
            Division.max_lat >= float(lats.min()),
            Division.min_lat <= float(lats.max()),
        )
        .order_by(Division.code)
    )
    return _exact([(code, wkb) for code, wkb in session.execute(stmt) if wkb is not None], lons, lats)


def _exact(rows: list[tuple[str, bytes]], lons: np.ndarray, lats: np.ndarray) -> list[str | None]:
    """Exact point-in-polygon over candidate (code, WKB) rows sorted by code: STRtree + GEOS."""
    out: list[str | None] = [None] * len(lons)
    if not rows:
        return out
    codes = [r[0] for r in rows]
    polygons = shapely.from_wkb([r[1] for r in rows])
    tree = shapely.STRtree(polygons)
    points = shapely.points(lons, lats)
    point_idx, poly_idx = tree.query(points, predicate="intersects")
    # Several hits for a point on a shared edge: keep the lowest code, as PostGIS does.
    order = np.lexsort((poly_idx, point_idx))
    seen = np.ones(len(order), dtype=bool)
    sorted_points = point_idx[order]
    seen[1:] = sorted_points[1:] != sorted_points[:-1]
    for p, g in zip(sorted_points[seen], poly_idx[order][seen], strict=True):
        out[int(p)] = codes[int(g)]
    return out
