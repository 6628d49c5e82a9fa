"""Dispatch plans from the database over real HTTP: demand from explicit groups, an incident's figures
and an earthquake assessment; supply from readable depots; unmet need reported; commit into transfer
orders (no stock moved) and Command tasks, idempotently."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

import pytest
from tests.conftest import LiveServer
from tests.web.test_relief_pages import commander, load_reserves

API = "/api/v1/relief"
OWN = "540223000000"


@pytest.fixture(scope="module")
def ready(live: LiveServer) -> dict[str, Any]:
    load_reserves(live)
    user = commander(live, "dingri_planner", OWN)
    client = live.client(user)
    d = client.get(f"/api/v1/divisions/{OWN}").json()
    r = client.post(
        "/api/v1/incidents",
        json={
            "title": "定日地震测试",
            "incident_type": "earthquake",
            "lon": d["lon"],
            "lat": d["lat"],
            "divisions": [OWN],
            "occurred_at": "2026-01-07T09:05:00+08:00",
            "figures": {"relocated": 3000},
        },
    )
    assert r.status_code == 201, r.text
    return {"client": client, "incident": r.json()["id"], "lon": d["lon"], "lat": d["lat"]}


def _balanced(plan: dict[str, Any]) -> None:
    need: Counter[tuple[str, str]] = Counter()
    for p in plan["places"]:
        for item, q in p["need"].items():
            need[(p["id"], item)] += q
    got: Counter[tuple[str, str]] = Counter()
    for s in plan["shipments"]:
        got[(s["place"], s["item"])] += s["quantity"]
    for u in plan["unmet"]:
        got[(u["to"], u["item"])] += u["quantity"]
    assert got == need  # every unit needed is either shipped or reported unmet


def test_explicit_plan_ships_what_stock_allows_and_reports_the_rest(ready: dict[str, Any]) -> None:
    body = {
        "division_code": OWN,
        "demands": [
            {"place": "村A", "lon": ready["lon"] + 0.05, "lat": ready["lat"], "item": "quilt", "quantity": 50},
            {"place": "村A", "lon": ready["lon"] + 0.05, "lat": ready["lat"], "item": "family_kit", "quantity": 7},
        ],
    }
    r = ready["client"].post(f"{API}/plans", json=body)
    assert r.status_code == 201, r.text
    plan = r.json()
    _balanced(plan)
    assert plan["solver_status"] == "optimal" and plan["status"] == "planned"
    assert sum(s["quantity"] for s in plan["shipments"] if s["item"] == "quilt") == 50
    assert {"to": "村A", "item": "family_kit", "quantity": 7} in plan["unmet"]  # no depot holds kits
    assert plan["baseline"]["method"].startswith("greedy") and plan["baseline"]["objective"] >= plan["objective"] - 1e-6


def test_incident_plan_turns_relocated_people_into_needs_and_shelters(ready: dict[str, Any]) -> None:
    r = ready["client"].post(f"{API}/plans", json={"incident_id": ready["incident"]})
    assert r.status_code == 201, r.text
    plan = r.json()
    _balanced(plan)
    place = plan["places"][0]
    assert place["displaced"] == 3000 and place["need"]["tent_cotton"] > 0  # January in Tibet: cold
    assert plan["total_need"] == sum(place["need"].values())
    moved = sum(m["people"] for m in plan["shelters"]["moves"])
    left = sum(u["people"] for u in plan["shelters"]["unsheltered"])
    assert moved + left == 3000 and moved > 0  # the demo shelters are closed: proposed for opening
    assert all(not m["is_open"] for m in plan["shelters"]["moves"])
    only_open = ready["client"].post(f"{API}/plans", json={"incident_id": ready["incident"], "shelters": "open"})
    assert only_open.json()["shelters"]["moves"] == []
    assert sum(u["people"] for u in only_open.json()["shelters"]["unsheltered"]) == 3000
    assert all(m["people"] <= m["capacity_left"] for m in plan["shelters"]["moves"])
    flows = ready["client"].get(f"{API}/plans/{plan['id']}/flows").json()["features"]
    lines = [f for f in flows if f["geometry"]["type"] == "LineString"]
    assert lines and sum(f["properties"]["quantity"] for f in lines) == sum(s["quantity"] for s in plan["shipments"])


def test_commit_makes_transfer_orders_and_tasks_once(ready: dict[str, Any]) -> None:
    client = ready["client"]
    plan = client.post(f"{API}/plans", json={"incident_id": ready["incident"]}).json()
    stock_before = client.get("/api/v1/resources/depots", params={"limit": 1000}).json()["total"]
    tasks_before = len(client.get(f"/api/v1/incidents/{ready['incident']}/tasks").json())
    first = client.post(f"{API}/plans/{plan['id']}/commit")
    assert first.status_code == 200, first.text
    result = first.json()["commit_result"]
    assert first.json()["status"] == "committed"
    groups = {(s["depot_id"], s["place"]) for s in plan["shipments"]}
    assert len(result["tasks"]) == len(groups)
    assert len(result["transfers"]) + len(result["requests"]) >= 1
    for tid in result["transfers"]:
        transfer = client.get(f"/api/v1/resources/transfers/{tid}").json()
        assert transfer["status"] == "created"  # stock moves only on confirmation
    again = client.post(f"{API}/plans/{plan['id']}/commit").json()
    assert again["commit_result"] == result
    made = [t for t in client.get(f"/api/v1/incidents/{ready['incident']}/tasks").json() if t["id"] in result["tasks"]]
    assert len(made) == len(groups) and len(client.get(f"/api/v1/incidents/{ready['incident']}/tasks").json()) == (
        tasks_before + len(groups)
    )
    # each depot → destination task is due when the plan says its goods arrive, counted from the commit
    committed = dt.datetime.fromisoformat(first.json()["committed_at"])
    hours = {}
    for s in plan["shipments"]:
        hours[(s["depot_id"], s["place"])] = max(hours.get((s["depot_id"], s["place"]), 0.0), s["hours"])
    assert sorted(dt.datetime.fromisoformat(t["due_at"]) - committed for t in made) == sorted(
        dt.timedelta(hours=h) for h in hours.values()
    )
    assert client.get("/api/v1/resources/depots", params={"limit": 1000}).json()["total"] == stock_before
    timeline = client.get(f"/api/v1/incidents/{ready['incident']}/timeline").json()
    entries = timeline["items"] if isinstance(timeline, dict) else timeline
    assert sum(1 for e in entries if e["kind"] == "relief") >= 1


def test_plan_from_an_assessment_uses_its_townships(live: LiveServer, ready: dict[str, Any]) -> None:
    quake = live.client("dingri_duty").post(
        "/api/v1/quake/assessments",
        json={
            "lon": 87.45,
            "lat": 28.5,
            "depth_km": 10,
            "magnitude": 6.8,
            "step_deg": 0.05,
            "origin_time": "2025-01-07T01:05:16+00:00",
        },
    )
    assert quake.status_code == 201, quake.text
    r = ready["client"].post(f"{API}/plans", json={"assessment_id": quake.json()["id"]})
    assert r.status_code == 201, r.text
    plan = r.json()
    _balanced(plan)
    assert plan["source"] == "assessment" and plan["places"]
    assert all(p["code"].startswith("540223") for p in plan["places"])


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"incident_id": 1, "assessment_id": 1},
        {
            "demands": [{"place": "x", "lon": 87, "lat": 28, "item": "no-such-item", "quantity": 1}],
            "division_code": OWN,
        },
    ],
)
def test_bad_requests_are_refused_with_a_reason(ready: dict[str, Any], body: dict[str, Any]) -> None:
    r = ready["client"].post(f"{API}/plans", json=body)
    assert r.status_code == 422 and r.json()["detail"]
