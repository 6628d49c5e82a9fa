"""Coverage of the reserves (depots, shelters, teams), map layers, and the gaps against the minimum levels."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.errors import InvalidInput
from yingji.geo.codes import level_of
from yingji.geo.models import Division
from yingji.geo.spatial import service as spatial
from yingji.relief.travel import FallbackSpeed
from yingji.resources import coverage, rules
from yingji.resources.models import (
    Depot,
    RescueTeam,
    Shelter,
)
from yingji.resources.registry.service import READ, _under
from yingji.resources.shelters.service import list_shelters
from yingji.resources.stock.service import list_depots
from yingji.resources.teams.service import list_teams

# -- coverage -------------------------------------------------------------------------------------------


def _places(session: Session, scope: Scope, division: str | None, levels: Sequence[str]) -> list[Division]:
    """Places of the caller's own subtree (optionally under ``division``) with a known position."""
    scope.require(READ)
    stmt = select(Division).where(
        scope.where_covered(Division.code), Division.level.in_(levels), Division.lon.is_not(None)
    )
    if division:
        stmt = stmt.where(_under(Division.code, division, session, scope))
    return list(session.scalars(stmt.order_by(Division.code)))


def _xy(rows: Sequence[Any]) -> tuple[np.ndarray[Any, np.dtype[np.float64]], np.ndarray[Any, np.dtype[np.float64]]]:
    return (
        np.array([float(r.lon) for r in rows], dtype=np.float64),
        np.array([float(r.lat) for r in rows], dtype=np.float64),
    )


def _hours(value: float) -> float:
    return round(float(value), 2)


def depot_coverage(
    *, session: Session, scope: Scope, division: str | None = None, level: str | None = None
) -> dict[str, Any]:
    """Every county and township of the caller's subtree: the nearest readable depot of each reserve
    level, its travel time, the delivery targets missed; and the counties without a county depot."""
    places = _places(session, scope, division, (level,) if level else ("county", "township"))
    depots, _ = list_depots(session=session, scope=scope, active=True, limit=None)
    plon, plat = _xy(places)
    dlon, dlat = _xy(depots)
    by_level = coverage.nearest_by_level(plon, plat, dlon, dlat, [d.level for d in depots], rules.DEPOT_LEVELS)
    targets = coverage.delivery_targets()
    missed = coverage.missed_targets(by_level, targets)
    rows = []
    for i, place in enumerate(places):
        nearest: dict[str, Any] = {}
        for depot_level, found in by_level.items():
            j = int(found.index[i])
            nearest[depot_level] = (
                None
                if j < 0
                else {
                    "depot_id": depots[j].id,
                    "name": depots[j].name,
                    "hours": _hours(found.hours[i]),
                    "km": round(float(found.km[i]), 1),
                }
            )
        rows.append(
            {
                "code": place.code,
                "name": place.name,
                "level": place.level,
                "population": place.population,
                "nearest": nearest,
                "outside_targets": missed[i],
            }
        )
    with_county_depot = {d.division_code[:6] for d in depots if d.level == "county"}
    counties = _places(session, scope, division, ("county",)) if level == "township" else places
    return {
        "targets_hours": targets,
        "travel_model": _travel_model(),
        "places": rows,
        "counties_without_county_depot": [
            {"code": c.code, "name": c.name}
            for c in counties
            if c.level == "county" and c.code[:6] not in with_county_depot
        ],
    }


def _travel_model() -> str:
    speed = FallbackSpeed()
    return (
        f"fallback: great-circle distance × {speed.detour_factor:g} at {speed.speed_kmh:g} km/h "
        "(no road network in the database; yingji.relief.travel)"
    )


def shelter_coverage(*, session: Session, scope: Scope, division: str | None = None) -> dict[str, Any]:
    """Per township of the caller's subtree: shelters, effective area and capacity against population."""
    towns = _places(session, scope, division, ("township",))
    shelters, _ = list_shelters(session=session, scope=scope, limit=None)
    located = spatial.locate_points(session, [s.lon for s in shelters], [s.lat for s in shelters], "township")
    totals: dict[str, list[float]] = {}
    for shelter, town in zip(shelters, located, strict=True):
        code = town or (shelter.division_code if level_of(shelter.division_code) == "township" else None)
        if code is None:
            continue
        acc = totals.setdefault(code, [0, 0.0, 0])
        acc[0] += 1
        acc[1] += shelter.effective_area_m2
        acc[2] += shelter.capacity
    sums = [totals.get(t.code, [0, 0.0, 0]) for t in towns]
    norm = rules.min_area_per_person_m2()
    judged = coverage.shelter_adequacy(
        [t.population for t in towns], [s[1] for s in sums], [int(s[2]) for s in sums], norm
    )
    rows = [
        {
            "code": t.code,
            "name": t.name,
            "population": t.population,
            "shelters": int(s[0]),
            "effective_area_m2": round(float(s[1]), 1),
            "capacity": int(s[2]),
            **j,
        }
        for t, s, j in zip(towns, sums, judged, strict=True)
    ]
    return {"min_area_per_person_m2": norm, "townships": rows}


def team_coverage(
    *,
    session: Session,
    scope: Scope,
    division: str | None = None,
    capability: str | None = None,
    target_hours: float = coverage.TEAM_TARGET_HOURS,
    level: str = "county",
) -> dict[str, Any]:
    """For each capability, every place's nearest available (ready or standby) team having it."""
    capabilities = rules.check_capabilities([capability]) if capability else list(rules.CAPABILITIES)
    places = _places(session, scope, division, (level,))
    teams = [
        t for t in list_teams(session=session, scope=scope, limit=None)[0] if t.readiness in rules.AVAILABLE_READINESS
    ]
    plon, plat = _xy(places)
    tlon, tlat = _xy(teams)
    found = coverage.team_coverage(plon, plat, tlon, tlat, [t.capabilities or [] for t in teams], capabilities)
    rows = []
    for cap in capabilities:
        near = found[cap]
        for i, place in enumerate(places):
            j = int(near.index[i])
            rows.append(
                {
                    "capability": cap,
                    "code": place.code,
                    "name": place.name,
                    "team_id": teams[j].id if j >= 0 else None,
                    "team_name": teams[j].name if j >= 0 else None,
                    "hours": _hours(near.hours[i]) if j >= 0 else None,
                    "within_target": bool(j >= 0 and near.hours[i] <= target_hours),
                }
            )
    return {"target_hours": target_hours, "travel_model": _travel_model(), "rows": rows}


# -- map layers -----------------------------------------------------------------------------------------


def _point(lon: float, lat: float) -> dict[str, Any]:
    return {"type": "Point", "coordinates": [lon, lat]}


# Marker colours of the map layers (``properties.colour``, as the dashboard's layers expect).
LEVEL_COLOURS = {
    "central": "#6c3483",
    "provincial": "#1f618d",
    "city": "#117a65",
    "county": "#b7950b",
    "township": "#7f8c8d",
}
READINESS_COLOURS = {"ready": "#1e8449", "standby": "#b7950b", "deployed": "#2874a6", "unavailable": "#7f8c8d"}
GAP_COLOUR = "#c0392b"


def _shelter_colour(s: Shelter) -> str:
    if not s.is_open:
        return "#7f8c8d"
    return "#c0392b" if s.occupancy >= s.capacity else "#1e8449"


def _depot(d: Depot, scope: Scope) -> tuple[str, dict[str, Any]]:
    read_only = not scope.covers(d.division_code)
    properties = {"level": d.level, "division_code": d.division_code, "active": d.active, "read_only": read_only}
    return LEVEL_COLOURS.get(d.level, "#7f8c8d"), properties


def _shelter(s: Shelter, scope: Scope) -> tuple[str, dict[str, Any]]:
    return _shelter_colour(s), {
        "class": s.shelter_class,
        "capacity": s.capacity,
        "occupancy": s.occupancy,
        "is_open": s.is_open,
        "division_code": s.division_code,
    }


def _team(t: RescueTeam, scope: Scope) -> tuple[str, dict[str, Any]]:
    return READINESS_COLOURS.get(t.readiness, "#7f8c8d"), {
        "kind": t.kind,
        "specialty": t.specialty,
        "headcount": t.headcount,
        "readiness": t.readiness,
        "capabilities": t.capabilities,
        "division_code": t.division_code,
    }


# Layer → the rows it shows (as the list routes), the feature id's prefix, and a row's colour and properties.
_LAYERS: dict[str, tuple[Any, str, Callable[[Any, Scope], tuple[str, dict[str, Any]]]]] = {
    "depots": (list_depots, "depot", _depot),
    "shelters": (list_shelters, "shelter", _shelter),
    "teams": (list_teams, "team", _team),
}


def layer(*, session: Session, scope: Scope, name: str, division: str | None = None) -> list[dict[str, Any]]:
    """GeoJSON features of one map layer: depots, shelters, teams or gaps (coverage problems)."""
    scope.require(READ)
    if name in _LAYERS:
        lister, kind, describe = _LAYERS[name]
        rows, _ = lister(session=session, scope=scope, division=division, limit=None)
        features = []
        for row in rows:
            colour, properties = describe(row, scope)
            features.append(
                {
                    "id": f"{kind}/{row.id}",
                    "geometry": _point(row.lon, row.lat),
                    "properties": {"id": row.id, "name": row.name, **properties, "label": row.name, "colour": colour},
                }
            )
        return features
    if name == "gaps":
        return _gap_features(session, scope, division)
    raise InvalidInput(f"unknown layer {name!r}; one of depots, shelters, teams, gaps", field="layer")


GAP_TEXTS = {  # English texts of the gap codes (pages render the codes in zh/en from messages.yaml)
    "no_county_depot": "no county-level depot",
    "depot_beyond_target": "no {level} depot within {hours:g} h",
    "shelter_area_short": "shelter area {area_m2} m² per resident (< {norm_m2:g})",
}


def gap_codes(*, session: Session, scope: Scope, division: str | None = None) -> dict[str, list[dict[str, Any]]]:
    """Division code → the coverage problems found there, each a machine-readable ``code`` with its
    ``params`` (``GAP_TEXTS`` gives the English sentence; pages translate the code)."""
    found: dict[str, list[dict[str, Any]]] = {}
    depots = depot_coverage(session=session, scope=scope, division=division)
    for c in depots["counties_without_county_depot"]:
        found.setdefault(c["code"], []).append({"code": "no_county_depot", "params": {}})
    for place in depots["places"]:
        for level in place["outside_targets"]:
            hours = float(depots["targets_hours"][level])
            found.setdefault(place["code"], []).append(
                {"code": "depot_beyond_target", "params": {"level": level, "hours": hours}}
            )
    for town in shelter_coverage(session=session, scope=scope, division=division)["townships"]:
        if not town["meets_area_norm"]:
            params = {"area_m2": town["area_per_resident_m2"], "norm_m2": float(rules.min_area_per_person_m2())}
            found.setdefault(town["code"], []).append({"code": "shelter_area_short", "params": params})
    return found


def gap_text(gap: dict[str, Any]) -> str:
    """The English sentence of one coded gap."""
    return GAP_TEXTS[gap["code"]].format(**gap["params"])


def gaps(*, session: Session, scope: Scope, division: str | None = None) -> dict[str, list[str]]:
    """Division code → the coverage problems found there, as English sentences (:func:`gap_codes`)."""
    coded = gap_codes(session=session, scope=scope, division=division)
    return {code: [gap_text(g) for g in problems] for code, problems in coded.items()}


def _gap_features(session: Session, scope: Scope, division: str | None) -> list[dict[str, Any]]:
    coded = gap_codes(session=session, scope=scope, division=division)
    problems = {code: [gap_text(g) for g in found] for code, found in coded.items()}
    places = {d.code: d for d in session.scalars(select(Division).where(Division.code.in_(list(problems))))}
    features = []
    for code in sorted(problems):
        place = places[code]
        if place.boundary_wkb is not None:
            geometry = json.loads(shapely.to_geojson(shapely.from_wkb(place.boundary_wkb)))
        else:
            geometry = _point(float(place.lon or 0), float(place.lat or 0))
        features.append(
            {
                "id": f"gap/{code}",
                "geometry": geometry,
                "properties": {
                    "code": code,
                    "name": place.name,
                    "level": place.level,
                    "problems": problems[code],
                    "gaps": coded[code],
                    "label": place.name,
                    "colour": GAP_COLOUR,
                },
            }
        )
    return features
