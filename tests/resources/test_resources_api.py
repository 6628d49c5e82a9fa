"""The reserves API over real HTTP: read-only higher-level rows, refused moves as problem details."""

from __future__ import annotations

import httpx
import pytest
from tests.conftest import LiveServer

API = "/api/v1/resources"
PASSWORD = "Correct-horse-9!"


@pytest.fixture(scope="module")
def clients(live: LiveServer) -> tuple[httpx.Client, httpx.Client]:
    """The prefecture commander and a county administrator of 定日."""
    national = live.client("admin")
    r = national.post(
        "/api/v1/users",
        json={"username": "dingri_res_admin", "password": PASSWORD, "role": "admin", "division_code": "540223"},
    )
    assert r.status_code in (201, 409), r.text
    return live.client("xigaze_commander"), live.client("dingri_res_admin", PASSWORD)


def _prefecture_depot(client: httpx.Client) -> dict[str, object]:
    seat = client.get("/api/v1/divisions/540202000000").json()
    r = client.post(
        f"{API}/depots",
        json={"name": "市库", "level": "city", "division_code": "540200", "lon": seat["lon"], "lat": seat["lat"]},
    )
    assert r.status_code == 201, r.text
    body: dict[str, object] = r.json()
    return body


def test_a_county_reads_the_prefecture_depot_but_may_not_move_its_stock(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    commander, county = clients
    depot = _prefecture_depot(commander)
    seen = county.get(f"{API}/depots/{depot['id']}").json()
    assert seen["read_only"] is True
    r = county.post(f"{API}/depots/{depot['id']}/movements", json={"kind": "receive", "item": "quilt", "quantity": 1})
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")


def test_an_issue_beyond_the_stock_is_a_409_problem_and_moves_nothing(
    clients: tuple[httpx.Client, httpx.Client],
) -> None:
    commander, _ = clients
    depot = _prefecture_depot(commander)
    url = f"{API}/depots/{depot['id']}/movements"
    assert commander.post(url, json={"kind": "receive", "item": "quilt", "quantity": 5}).status_code == 201
    r = commander.post(url, json={"kind": "issue", "item": "quilt", "quantity": 6})
    assert r.status_code == 409 and "insufficient stock" in r.json()["detail"]
    assert commander.get(f"{API}/depots/{depot['id']}/stock").json()["items"][0]["quantity"] == 5


def test_a_rejected_import_writes_nothing(clients: tuple[httpx.Client, httpx.Client]) -> None:
    _, county = clients
    town = county.get("/api/v1/divisions/540223001000").json()
    text = (
        "name,shelter_class,division_code,lon,lat,effective_area_m2\n"
        f"甲,III,540223001000,{town['lon']},{town['lat']},3000\n"
        f"乙,IV,540223001000,{town['lon']},{town['lat']},3000\n"
    )
    r = county.post(f"{API}/import", data={"kind": "shelters"}, files={"file": ("s.csv", text, "text/csv")})
    assert r.status_code == 422 and r.json()["detail"].startswith("rejected: line 3:")
    names = {s["name"] for s in county.get(f"{API}/shelters", params={"limit": 1000}).json()["items"]}
    assert "甲" not in names


def test_the_report_is_html(clients: tuple[httpx.Client, httpx.Client]) -> None:
    _, county = clients
    r = county.get(f"{API}/coverage/report")
    assert r.status_code == 200 and r.text.startswith("<!DOCTYPE html>")
