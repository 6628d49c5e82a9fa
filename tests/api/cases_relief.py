"""Jurisdiction cases of the relief routes (see test_jurisdiction.py): a user of 定日 (540223) neither
plans from, reads nor commits 拉孜's (540225) plans, incidents or depots — while the higher-level depots
stay usable as read-only supply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.api.cases_foundation import FOREIGN, OWN, Ctx
from tests.api.cases_resources import _position, row

API = "/api/v1/relief"
_plans: dict[tuple[int, str], dict[str, Any]] = {}


def plan(c: Ctx, side: str) -> dict[str, Any]:
    """One explicit plan made by the ``own`` or ``foreign`` county administrator (made once)."""
    key = (id(c.live), side)
    if key not in _plans:
        client = c.own_admin if side == "own" else c.foreign_admin
        county = OWN if side == "own" else FOREIGN
        row(c, "depot", side)
        lon, lat = _position(c, county)
        r = client.post(
            f"{API}/plans",
            json={
                "division_code": county,
                "demands": [{"place": f"{side}-place", "lon": lon + 0.01, "lat": lat, "item": "quilt", "quantity": 5}],
            },
        )
        assert r.status_code == 201, r.text
        _plans[key] = r.json()
    return _plans[key]


def _foreign_incident(c: Ctx) -> int:
    lon, lat = _position(c, FOREIGN)
    r = c.foreign_admin.post(
        "/api/v1/incidents",
        json={
            "title": "拉孜救灾测试",
            "incident_type": "earthquake",
            "lon": lon,
            "lat": lat,
            "divisions": [FOREIGN],
            "occurred_at": "2026-11-28T08:00:00+08:00",
            "figures": {"relocated": 100},
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def create(c: Ctx) -> None:
    own = plan(c, "own")
    foreign_depots = {row(c, "depot", "foreign")["id"], row(c, "depot2", "foreign")["id"]}
    assert all(s["depot_id"] not in foreign_depots for s in own["shipments"])
    assert all(d["depot_id"] not in foreign_depots for d in own["depots"])
    assert c.own_admin.post(f"{API}/plans", json={"incident_id": _foreign_incident(c)}).status_code == 404
    lon, lat = _position(c, FOREIGN)
    body = {"division_code": FOREIGN, "demands": [{"place": "x", "lon": lon, "lat": lat, "item": "quilt",
                                                   "quantity": 1}]}  # fmt: skip
    assert c.own_admin.post(f"{API}/plans", json=body).status_code == 404
    assert c.own.post(f"{API}/plans", json={**body, "division_code": OWN}).status_code == 403  # no relief:plan


def list_(c: Ctx) -> None:
    own, foreign = plan(c, "own"), plan(c, "foreign")
    ids = {p["id"] for p in c.own.get(f"{API}/plans", params={"limit": 1000}).json()["items"]}
    assert own["id"] in ids and foreign["id"] not in ids


def get(c: Ctx) -> None:
    assert c.own.get(f"{API}/plans/{plan(c, 'own')['id']}").status_code == 200
    assert c.own.get(f"{API}/plans/{plan(c, 'foreign')['id']}").status_code == 404


def flows(c: Ctx) -> None:
    assert c.own.get(f"{API}/plans/{plan(c, 'own')['id']}/flows").json()["features"]
    assert c.own.get(f"{API}/plans/{plan(c, 'foreign')['id']}/flows").status_code == 404


def commit(c: Ctx) -> None:
    foreign = plan(c, "foreign")
    assert c.own_admin.post(f"{API}/plans/{foreign['id']}/commit").status_code == 404
    assert c.foreign_admin.get(f"{API}/plans/{foreign['id']}").json()["status"] == "planned"


def confirm(c: Ctx) -> None:
    foreign = plan(c, "foreign")
    assert c.own_admin.post(f"{API}/plans/{foreign['id']}/confirm").status_code == 404
    assert c.foreign_admin.get(f"{API}/plans/{foreign['id']}").json()["status"] == "planned"


def cancel(c: Ctx) -> None:
    foreign = plan(c, "foreign")
    assert c.own_admin.post(f"{API}/plans/{foreign['id']}/cancel").status_code == 404
    assert c.foreign_admin.get(f"{API}/plans/{foreign['id']}").json()["status"] == "planned"
    assert c.own.post(f"{API}/plans/{plan(c, 'own')['id']}/cancel").status_code == 403  # no relief:plan


_roads: dict[tuple[int, str], dict[str, Any]] = {}


def road(c: Ctx, side: str) -> dict[str, Any]:
    """One stored road segment of the ``own`` or ``foreign`` county (imported once)."""
    key = (id(c.live), side)
    if key not in _roads:
        client = c.own_admin if side == "own" else c.foreign_admin
        county = OWN if side == "own" else FOREIGN
        lon, lat = _position(c, county)
        geojson = {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "id": f"{side}-road",
                    "properties": {"highway": "primary"},
                    "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.05, lat]]},
                }
            ],
        }
        r = client.post(f"{API}/roads", json={"network": f"{side}-net-{id(c.live)}", "geojson": geojson})
        assert r.status_code == 201, r.text
        items = client.get(f"{API}/roads", params={"network": f"{side}-net-{id(c.live)}"}).json()["items"]
        _roads[key] = items[0]
    return _roads[key]


def roads_import(c: Ctx) -> None:
    road(c, "own")
    lon, lat = _position(c, FOREIGN)
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": "x",
                "properties": {},
                "geometry": {"type": "LineString", "coordinates": [[lon, lat], [lon + 0.05, lat]]},
            }
        ],
    }
    body = {"network": "intruder", "division_code": FOREIGN, "geojson": geojson}
    assert c.own_admin.post(f"{API}/roads", json=body).status_code == 404
    assert c.own.post(f"{API}/roads", json={**body, "division_code": OWN}).status_code == 403  # no resources:write


def roads_list(c: Ctx) -> None:
    own, foreign = road(c, "own"), road(c, "foreign")
    ids = {r["id"] for r in c.own.get(f"{API}/roads", params={"limit": 1000}).json()["items"]}
    assert own["id"] in ids and foreign["id"] not in ids


def road_cut(c: Ctx) -> None:
    foreign = road(c, "foreign")
    assert c.own_admin.post(f"{API}/roads/{foreign['id']}/cut", json={"reason": "x"}).status_code == 404
    assert c.foreign_admin.get(f"{API}/roads", params={"cut": True}).json()["total"] == 0


def road_reopen(c: Ctx) -> None:
    foreign = road(c, "foreign")
    assert c.foreign_admin.post(f"{API}/roads/{foreign['id']}/cut", json={"reason": "塌方"}).status_code == 200
    assert c.own_admin.post(f"{API}/roads/{foreign['id']}/reopen").status_code == 404
    assert c.foreign_admin.post(f"{API}/roads/{foreign['id']}/reopen").status_code == 200


CASES: dict[tuple[str, str], Callable[[Ctx], None]] = {
    ("POST", f"{API}/plans"): create,
    ("GET", f"{API}/plans"): list_,
    ("GET", f"{API}/plans/{{plan_id}}"): get,
    ("GET", f"{API}/plans/{{plan_id}}/flows"): flows,
    ("POST", f"{API}/plans/{{plan_id}}/commit"): commit,
    ("POST", f"{API}/plans/{{plan_id}}/confirm"): confirm,
    ("POST", f"{API}/plans/{{plan_id}}/cancel"): cancel,
    ("POST", f"{API}/roads"): roads_import,
    ("GET", f"{API}/roads"): roads_list,
    ("POST", f"{API}/roads/{{segment_id}}/cut"): road_cut,
    ("POST", f"{API}/roads/{{segment_id}}/reopen"): road_reopen,
}
