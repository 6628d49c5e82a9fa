"""Positions and areas are checked against the record's division boundary (issue 12, finding 11): a county's
incident, site, depot or road at another province's coordinates is refused (422 naming the field); a point
within the tolerance of the boundary is accepted; a division without a boundary accepts; polygons must be
closed, valid and inside."""

from __future__ import annotations

from contextlib import closing
from typing import Any

import numpy as np
import pytest
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import LiveServer

from yingji.errors import InvalidInput
from yingji.geo import service
from yingji.geo.boundaries import distance_outside_m, ring_problem
from yingji.geo.models import Division

DINGRI, LAZI = "540223000000", "540225000000"
DINGRI_CENTRE = (87.12612, 28.658743)
BEIJING = (116.4, 39.9)


def _boundary(session: Session, code: str) -> Any:
    return shapely.from_wkb(session.scalar(select(Division.boundary_wkb).where(Division.code == code)))


def _point_outside(boundary: Any, metres: float) -> tuple[float, float]:
    """A point east of the boundary's easternmost vertex, ``metres`` away from it."""
    xy = shapely.get_coordinates(boundary)
    lon, lat = xy[np.argmax(xy[:, 0])]
    return float(lon + metres / (111_320.0 * np.cos(np.radians(lat)))), float(lat)


# -- the pure distance -----------------------------------------------------------------------------------


def test_distance_is_zero_inside_and_on_the_boundary() -> None:
    square = shapely.box(87.0, 28.0, 88.0, 29.0)
    assert distance_outside_m(square, 87.5, 28.5) == 0
    assert distance_outside_m(square, 88.0, 28.5) == 0


@settings(max_examples=50, deadline=None)
@given(st.floats(0.01, 2.0))
def test_distance_east_of_a_meridian_edge_is_the_arc_along_the_parallel(degrees: float) -> None:
    square = shapely.box(87.0, 28.0, 88.0, 29.0)
    expected = degrees * 111_320.0 * np.cos(np.radians(28.5))
    assert distance_outside_m(square, 88.0 + degrees, 28.5) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("ring", "problem"),
    [
        ([[87.0, 28.0], [87.1, 28.0], [87.1, 28.1]], "at least four"),
        ([[87.0, 28.0], [87.1, 28.0], [87.1, 28.1], [87.0, 28.1]], "not closed"),
    ],
)
def test_rings_must_be_closed_with_four_positions(ring: list[list[float]], problem: str) -> None:
    assert problem in (ring_problem(ring) or "")


# -- the service check, both backends ----------------------------------------------------------------------


def test_a_county_position_at_beijing_is_refused_naming_the_field(session: Session) -> None:
    with pytest.raises(InvalidInput) as err:
        service.check_position(session=session, division_codes=[DINGRI], lon=BEIJING[0], lat=BEIJING[1])
    assert err.value.extra["field"] == "lon" and "outside the boundary" in err.value.detail


def test_a_point_within_the_tolerance_is_accepted_and_beyond_it_refused(session: Session) -> None:
    boundary = _boundary(session, DINGRI)
    near = _point_outside(boundary, 1000)
    service.check_position(session=session, division_codes=[DINGRI], lon=near[0], lat=near[1])
    far = _point_outside(boundary, 6000)
    with pytest.raises(InvalidInput):
        service.check_position(session=session, division_codes=[DINGRI], lon=far[0], lat=far[1])
    session.info[service.BOUNDARY_TOLERANCE_KEY] = 10_000.0
    service.check_position(session=session, division_codes=[DINGRI], lon=far[0], lat=far[1])


def test_a_record_of_several_divisions_may_lie_in_any_of_them(session: Session) -> None:
    lazi = shapely.from_wkb(session.scalar(select(Division.boundary_wkb).where(Division.code == LAZI)))
    point = lazi.representative_point()
    service.check_position(session=session, division_codes=[DINGRI, LAZI], lon=point.x, lat=point.y)
    with pytest.raises(InvalidInput):
        service.check_position(session=session, division_codes=[DINGRI], lon=point.x, lat=point.y)


def test_a_division_without_a_boundary_accepts_any_position_outside_known_counties(session: Session) -> None:
    beijing = session.get(Division, "110000000000")
    assert beijing is not None and beijing.boundary_wkb is None
    service.check_position(session=session, division_codes=["110000000000"], lon=BEIJING[0], lat=BEIJING[1])


def test_an_unclosed_self_crossing_or_outside_area_is_refused(session: Session) -> None:
    lon, lat = DINGRI_CENTRE
    closed = [[lon, lat], [lon + 0.05, lat], [lon + 0.05, lat + 0.05], [lon, lat + 0.05], [lon, lat]]
    service.check_area(session=session, division_codes=[DINGRI], geometry={"type": "Polygon", "coordinates": [closed]})
    bad = {
        "not closed": [closed[:-1]],
        "invalid": [[[lon, lat], [lon + 0.05, lat + 0.05], [lon + 0.05, lat], [lon, lat + 0.05], [lon, lat]]],
        "outside the boundary": [[[x + 29.0, y + 11.0] for x, y in closed]],
    }
    for reason, rings in bad.items():
        with pytest.raises(InvalidInput) as err:
            service.check_area(
                session=session, division_codes=[DINGRI], geometry={"type": "Polygon", "coordinates": rings}
            )
        assert reason in err.value.detail and err.value.extra["field"] == "area"


# -- through HTTP: each domain's write refuses a position outside the division ---------------------------------


def _refused(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert field in response.text


def test_writes_of_every_domain_refuse_a_county_record_at_beijing(live: LiveServer) -> None:
    lon, lat = BEIJING
    with closing(live.client("dingri_duty")) as duty, closing(live.client("admin")) as admin:
        incident = {
            "title": "位置测试",
            "incident_type": "flood",
            "divisions": [DINGRI],
            "lon": lon,
            "lat": lat,
            "occurred_at": "2026-12-01T08:00:00+08:00",
        }
        _refused(duty.post("/api/v1/incidents", json=incident), "lon")
        ok = duty.post("/api/v1/incidents", json={**incident, "lon": DINGRI_CENTRE[0], "lat": DINGRI_CENTRE[1]})
        assert ok.status_code == 201, ok.text
        moved = duty.patch(
            f"/api/v1/incidents/{ok.json()['id']}", json={"version": ok.json()["version"], "lon": lon, "lat": lat}
        )
        _refused(moved, "lon")
        unclosed = [[87.1, 28.6], [87.2, 28.6], [87.2, 28.7], [87.1, 28.7]]
        _refused(
            duty.post(
                "/api/v1/incidents",
                json={
                    **incident,
                    "lon": DINGRI_CENTRE[0],
                    "lat": DINGRI_CENTRE[1],
                    "area": {"type": "Polygon", "coordinates": [unclosed]},
                },
            ),
            "not closed",
        )
        site = {
            "code": "pos-test-1",
            "name": "位置测试点",
            "kind": "landslide",
            "division_code": DINGRI,
            "lon": lon,
            "lat": lat,
            "sensors": [],
        }
        _refused(admin.post("/api/v1/monitoring/sites", json=site), "lon")
        depot = {"name": "位置测试库", "level": "county", "division_code": DINGRI, "lon": lon, "lat": lat}
        _refused(admin.post("/api/v1/resources/depots", json=depot), "lon")
        roads = {
            "network": "pos-test",
            "division_code": DINGRI,
            "geojson": {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"highway": "primary"},
                        "geometry": {"type": "LineString", "coordinates": [list(DINGRI_CENTRE), [lon, lat]]},
                    }
                ],
            },
        }
        _refused(admin.post("/api/v1/relief/roads", json=roads), "geojson")
        warning = {
            "colour": "yellow",
            "type": "rainstorm",
            "headline": "位置测试预警",
            "instruction": "注意",
            "area": {"polygons": [f"{lat},{lon} {lat + 0.1},{lon} {lat + 0.1},{lon + 0.1}"], "divisions": [DINGRI]},
        }
        _refused(admin.post("/api/v1/warnings", json=warning), "area")
