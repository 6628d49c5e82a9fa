"""Demo reserves for the demo region (Xigaze 日喀则): depots, stock, shelters, rescue teams, vehicles.

Everything here is synthetic and labelled so (``source``, and "（演示）" in names): one county depot in
every demo county except the last two by code (so the coverage report shows gaps), a prefecture depot,
a provincial depot at Lhasa and a central depot at Chengdu; stock with batches, expiries and minimum
levels; one shelter per township sized from its population (some deliberately short); teams of every
kind; trucks and a helicopter. Deterministic: the same rows every time; loading twice adds nothing.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import shapely
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.geo.models import Division
from yingji.resources import service
from yingji.resources.models import Depot
from yingji.resources.schemas import DepotIn, MinimumIn, MovementIn, ShelterIn, TeamIn, VehicleIn

SYNTHETIC = "synthetic demo data (yingji demo resources)"
DEMO_PREFECTURE = "540200000000"
SEED = 20250107
COUNTIES_WITHOUT_DEPOT = 2
# Stock per reserve level: item -> (quantity, minimum). Orders of magnitude after the Hunan sizing
# (province/city/county cover 12-20万 / 4-6万 / 0.5-0.7万 relocated people; docs/sources.md §S7), scaled down.
STOCK = {
    "central": {"tent_cotton": (20_000, 10_000), "quilt": (100_000, 50_000), "cotton_coat": (60_000, 30_000)},
    "provincial": {"tent_cotton": (8_000, 5_000), "quilt": (40_000, 30_000), "cotton_coat": (20_000, 10_000),
                   "folding_bed": (10_000, 5_000), "stove": (3_000, 1_000)},
    "city": {"tent_cotton": (2_000, 1_500), "quilt": (12_000, 8_000), "cotton_coat": (6_000, 4_000),
             "folding_bed": (2_000, 1_000), "food": (30_000, 20_000), "water": (60_000, 40_000)},
    "county": {"tent_cotton": (200, 150), "quilt": (1_500, 1_000), "cotton_coat": (800, 600),
               "food": (3_000, 2_000), "water": (6_000, 4_000), "light": (200, 100)},
}  # fmt: skip
EXTRA_DEPOTS = (  # (level, division, name, lon, lat): real places, synthetic depots
    ("central", "000000000000", "中央救灾物资成都储备库（演示）", 104.0668, 30.5729),
    ("provincial", "540000000000", "西藏自治区救灾物资储备库（演示）", 91.1322, 29.6604),
)


def _inside(division: Division) -> tuple[float, float]:
    """The division's centre if it lies inside its boundary, else a point that does."""
    if division.boundary_wkb is None:
        return float(division.lon or 0), float(division.lat or 0)
    boundary = shapely.from_wkb(division.boundary_wkb)
    if (
        division.lon is not None
        and division.lat is not None
        and boundary.covers(shapely.Point(division.lon, division.lat))
    ):
        return float(division.lon), float(division.lat)
    p = boundary.representative_point()
    return float(p.x), float(p.y)


def _stock(session: Session, scope: Scope, depot: Depot, level: str, rng: np.random.Generator) -> int:
    moves = 0
    for item, (quantity, minimum) in STOCK[level].items():
        expiry = dt.date(2027, 6, 30) if item in ("food", "water") else None
        # Some county depots hold less than their minimum (flagged in the stock view).
        held = int(quantity * rng.uniform(0.5, 1.2)) if level == "county" else quantity
        body = MovementIn(
            kind="receive", item=item, quantity=held, batch="DEMO-2025-01", expiry=expiry, reference=SYNTHETIC
        )
        service.move_stock(session=session, scope=scope, depot_id=depot.id, movement_in=body)
        service.set_minimum(
            session=session, scope=scope, depot_id=depot.id, minimum_in=MinimumIn(item=item, minimum=minimum)
        )
        moves += 1
    return moves


def load_demo_resources(*, session: Session, scope: Scope) -> dict[str, int]:
    """Add the demo reserves (idempotent: nothing is added when they are already there)."""
    counts = {"depots": 0, "stock_lines": 0, "shelters": 0, "teams": 0, "vehicles": 0}
    if session.scalar(select(Depot.id).where(Depot.source == SYNTHETIC).limit(1)) is not None:
        return counts
    rng = np.random.default_rng(SEED)
    prefecture = session.get(Division, DEMO_PREFECTURE)
    if prefecture is None:
        return counts
    counties = list(
        session.scalars(
            select(Division)
            .where(Division.parent_code == DEMO_PREFECTURE, Division.level == "county")
            .order_by(Division.code)
        )
    )
    depots: list[tuple[Depot, str]] = []
    for level, code, name, lon, lat in EXTRA_DEPOTS:
        if session.get(Division, code) is not None:
            body = DepotIn(name=name, level=level, division_code=code, lon=lon, lat=lat)  # type: ignore[arg-type]
            depots.append((service.create_depot(session=session, scope=scope, depot_in=body, source=SYNTHETIC), level))
    seat = next((c for c in counties if c.code == "540202000000"), counties[0] if counties else None)
    if seat is not None:
        lon, lat = _inside(seat)
        body = DepotIn(
            name="日喀则市救灾物资储备库（演示）", level="city", division_code=DEMO_PREFECTURE, lon=lon, lat=lat
        )
        depots.append((service.create_depot(session=session, scope=scope, depot_in=body, source=SYNTHETIC), "city"))
    with_depot = counties[: max(0, len(counties) - COUNTIES_WITHOUT_DEPOT)]
    for county in with_depot:
        lon, lat = _inside(county)
        body = DepotIn(
            name=f"{county.name}救灾物资储备库（演示）", level="county", division_code=county.code, lon=lon, lat=lat
        )
        depots.append((service.create_depot(session=session, scope=scope, depot_in=body, source=SYNTHETIC), "county"))
    counts["depots"] = len(depots)
    for depot, level in depots:
        counts["stock_lines"] += _stock(session, scope, depot, level, rng)
    counts["shelters"] = _shelters(session, scope, counties, rng)
    counts["teams"], counts["vehicles"] = _teams_and_vehicles(session, scope, counties, depots)
    return counts


def _shelters(session: Session, scope: Scope, counties: list[Division], rng: np.random.Generator) -> int:
    made = 0
    for county in counties:
        towns = session.scalars(
            select(Division)
            .where(Division.parent_code == county.code, Division.level == "township")
            .order_by(Division.code)
        )
        for town in towns:
            population = town.population or 2_000
            # Effective area between 0.6 and 2.5 m² per resident: some townships fall short of 1.5 m².
            area = float(round(population * rng.uniform(0.6, 2.5), -1))
            lon, lat = _inside(town)
            shelter_class = "II" if town.code.endswith("001000") else "III"
            facilities = ["shelter_units", "medical", "water", "power", "toilets", "access_routes", "signs"]
            if shelter_class == "II":
                facilities += ["sewage", "waste", "fire_fighting", "supply_storage", "command"]
            body = ShelterIn(
                name=f"{town.name}应急避难场所（演示）",
                shelter_class=shelter_class,  # type: ignore[arg-type]
                division_code=town.code,
                lon=lon,
                lat=lat,
                effective_area_m2=max(area, 100.0),
                facilities=facilities,
            )
            service.create_shelter(session=session, scope=scope, shelter_in=body, source=SYNTHETIC)
            made += 1
    return made


def _teams_and_vehicles(
    session: Session, scope: Scope, counties: list[Division], depots: list[tuple[Depot, str]]
) -> tuple[int, int]:
    teams = 0
    for county in counties:
        lon, lat = _inside(county)
        body = TeamIn(
            name=f"{county.name}消防救援大队（演示）",
            kind="fire_rescue",
            division_code=county.code,
            lon=lon,
            lat=lat,
            base=county.name,
            headcount=40,
            capabilities=["search_rescue", "fire_fighting", "water_rescue"],
            equipment={"life_detector": 2, "hydraulic_cutter": 4},
        )
        service.create_team(session=session, scope=scope, team_in=body, source=SYNTHETIC)
        teams += 1
    seat = next((c for c in counties if c.code == "540202000000"), None)
    if seat is not None:
        lon, lat = _inside(seat)
        specials = (
            ("日喀则市矿山救护队（演示）", "professional", "mine", ["mine_rescue", "medical"], 30),
            ("日喀则市危化品救援队（演示）", "professional", "hazmat", ["hazmat"], 25),
            ("日喀则市航空救援队（演示）", "professional", "aviation", ["air_rescue", "medical"], 15),
            (
                "日喀则市地震救援队（演示）",
                "national",
                "earthquake",
                ["search_rescue", "collapse_rescue", "heavy_lifting"],
                80,
            ),
            ("日喀则市蓝天救援队（演示）", "social", "", ["search_rescue", "psychological"], 20),
        )
        for name, kind, specialty, capabilities, headcount in specials:
            body = TeamIn(
                name=name,
                kind=kind,  # type: ignore[arg-type]
                specialty=specialty,
                division_code=DEMO_PREFECTURE,
                lon=lon,
                lat=lat,
                base="桑珠孜区",
                headcount=headcount,
                capabilities=capabilities,
            )
            service.create_team(session=session, scope=scope, team_in=body, source=SYNTHETIC)
            teams += 1
    vehicles = 0
    for depot, level in depots:
        if level not in ("city", "county"):
            continue
        body_v = VehicleIn(
            name=f"{depot.name}运输车", kind="truck", division_code=depot.division_code, depot_id=depot.id,
            payload_kg=8_000 if level == "city" else 5_000, volume_m3=40 if level == "city" else 25,
        )  # fmt: skip
        service.create_vehicle(session=session, scope=scope, vehicle_in=body_v, source=SYNTHETIC)
        vehicles += 1
        if level == "city":
            heli = VehicleIn(
                name="救援直升机（演示）", kind="helicopter", division_code=depot.division_code, depot_id=depot.id,
                payload_kg=3_000, passengers=12, speed_kmh=220, range_km=600,
            )  # fmt: skip
            service.create_vehicle(session=session, scope=scope, vehicle_in=heli, source=SYNTHETIC)
            vehicles += 1
    return teams, vehicles
