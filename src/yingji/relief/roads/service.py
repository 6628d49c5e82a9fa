"""Stored road networks: import (GeoJSON lines), listing, cutting and reopening segments, and the graph the
plans route on."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import Conflict, InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.geo.models import Division
from yingji.relief.models import RoadSegment
from yingji.relief.schemas import RoadImport
from yingji.relief.travel import RoadNetwork, feature_id, great_circle_km, road_speeds
from yingji.relief.travel.roads import _line_positions, _road_speed

READ, WRITE = "resources:read", "resources:write"  # roads are reserves data
ROAD_CLASS_KEYS = ("highway", "fclass", "class", "road_class")


def import_roads(*, session: Session, scope: Scope, road_in: RoadImport) -> dict[str, Any]:
    """Store a road network (GeoJSON lines) under a new name for a division of the caller's subtree.

    Every feature is checked first — geometry, properties, speed, id (``id`` or ``properties.id``;
    ``#<index>`` when it has none; unique in the file) — and the first broken one is rejected naming the
    feature and the reason; then all are stored, or none."""
    scope.require(WRITE)
    division = road_in.division_code or scope.division_code
    scope.require_write(division, "division")
    if session.get(Division, division) is None:
        raise NotFound(f"division {division} not found")
    RoadNetwork.from_geojson(road_in.geojson)  # the whole file checked; InvalidInput names the feature
    # the name must be free among the networks the caller can read (never confirms another county's names)
    taken = (
        select(func.count())
        .select_from(RoadSegment)
        .where(RoadSegment.network == road_in.network, scope.where_readable(RoadSegment.division_code))
    )
    if session.scalar(taken):
        raise Conflict(f"road network {road_in.network!r} exists; import under another name", field="network")
    speeds = road_speeds()
    seen: dict[str, int] = {}
    rows = []
    for i, feature in enumerate(road_in.geojson["features"]):
        fid = feature_id(feature) or f"#{i}"
        if len(fid) > 100:
            raise InvalidInput(f"road feature {i}: id longer than 100 characters", field="geojson")
        if fid in seen:
            raise InvalidInput(f"road feature {i} (id {fid!r}): the id of feature {seen[fid]} again", field="geojson")
        seen[fid] = i
        lines = _line_positions(feature["geometry"])
        props = feature.get("properties") or {}
        road_class = next((str(props[k]) for k in ROAD_CLASS_KEYS if props.get(k) is not None), "")[:32]
        km = 0.0
        for pts in lines:
            xy = np.array(pts)
            km += float(great_circle_km(xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]).sum())
        rows.append(RoadSegment(network=road_in.network, feature_id=fid, division_code=division,
                                road_class=road_class, speed_kmh=_road_speed(props, speeds),
                                lines=[[list(p) for p in pts] for pts in lines], length_km=km, is_cut=False,
                                cut_reason="", created_at=utcnow()))  # fmt: skip
    vertices = np.array([p for row in rows for line in row.lines for p in line], dtype=float).reshape(-1, 2)
    division_service.check_positions(
        session=session,
        division_codes=[division],
        lons=list(vertices[:, 0]),
        lats=list(vertices[:, 1]),
        field="geojson",
        what="road vertex",
    )
    session.add_all(rows)
    session.flush()
    summary = {"network": road_in.network, "division_code": division, "segments": len(rows),
               "length_km": round(sum(r.length_km for r in rows), 3)}  # fmt: skip
    audit.record(session=session, scope=scope, action="import", entity="road_network", entity_id=road_in.network,
                 division_code=division, after=summary)  # fmt: skip
    return summary


def list_roads(
    *,
    session: Session,
    scope: Scope,
    network: str | None = None,
    cut: bool | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[RoadSegment], int]:
    """Road segments the caller may read (their subtree and the levels above), cut ones first."""
    stmt = access.readable_rows(scope, RoadSegment, READ)
    if network is not None:
        stmt = stmt.where(RoadSegment.network == network)
    if cut is not None:
        stmt = stmt.where(RoadSegment.is_cut == cut)
    return paginate(session, stmt, RoadSegment.is_cut.desc(), RoadSegment.id, limit=limit, offset=offset)


def _road(session: Session, scope: Scope, segment_id: int) -> RoadSegment:
    scope.require(WRITE)
    row = access.get_readable(
        session=session, scope=scope, model=RoadSegment, row_id=segment_id, what=f"road segment {segment_id}", lock=True
    )
    scope.require_write(row.division_code, "road segment")
    return row


def _road_view(row: RoadSegment) -> dict[str, Any]:
    return {"network": row.network, "feature_id": row.feature_id, "is_cut": row.is_cut, "cut_reason": row.cut_reason,
            "cut_at": row.cut_at.isoformat() if row.cut_at else None, "cut_by": row.cut_by}  # fmt: skip


def cut_road(*, session: Session, scope: Scope, segment_id: int, reason: str) -> RoadSegment:
    """Close a road segment (断路) with the reason; plans made from now on route around it."""
    row = _road(session, scope, segment_id)
    if row.is_cut:
        raise InvalidInput(f"road segment {row.id} is already cut ({row.cut_reason})", field="status")
    before = _road_view(row)
    row.is_cut, row.cut_reason, row.cut_at, row.cut_by = True, reason, utcnow(), scope.actor
    session.flush()
    audit.acted(session, scope, row, entity="road_segment", action="cut", before=before, after=_road_view(row))
    return row


def reopen_road(*, session: Session, scope: Scope, segment_id: int) -> RoadSegment:
    """Reopen a cut road segment; the cut stays in the audit log."""
    row = _road(session, scope, segment_id)
    if not row.is_cut:
        raise InvalidInput(f"road segment {row.id} is open", field="status")
    before = _road_view(row)
    row.is_cut, row.cut_reason, row.cut_at, row.cut_by = False, "", None, None
    session.flush()
    audit.acted(session, scope, row, entity="road_segment", action="reopen", before=before, after=_road_view(row))
    return row


def stored_network(*, session: Session, scope: Scope) -> tuple[RoadNetwork | None, str | None]:
    """Every stored road network the caller may read as one graph (lines of different networks join where
    their vertices coincide) with the cut segments' edges removed, and a line saying what it is; (None,
    None) when no network is stored — plans then use the fallback model."""
    rows = session.execute(
        select(RoadSegment.network, RoadSegment.feature_id, RoadSegment.lines, RoadSegment.speed_kmh,
               RoadSegment.is_cut).where(scope.where_readable(RoadSegment.division_code))
    ).all()  # fmt: skip
    if not rows:
        return None, None
    cut = [f"{network}/{fid}" for network, fid, _, _, is_cut in rows if is_cut]
    names = sorted({r[0] for r in rows})
    travel = f"road network {', '.join(names)}: {len(rows) - len(cut)} open segments, {len(cut)} cut"
    net = RoadNetwork.from_lines([(f"{network}/{fid}", speed, lines) for network, fid, lines, speed, _ in rows])
    # cut segments stay as nodes (places near them snap there) but lose their edges
    return net.without(cut), travel
