"""Jurisdiction cases of the reserves routes (see test_jurisdiction.py): a user of 定日 (540223) neither
reads nor changes 拉孜's (540225) depots, stock, transfers, shelters, teams and vehicles — by lists,
details, ids in bodies, imports and map layers — while higher-level rows stay readable, not writable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from tests.api.cases_foundation import FOREIGN, FOREIGN_TOWN, OWN, OWN_TOWN, PARENT, Ctx

API = "/api/v1/resources"
_rows: dict[tuple[int, str], dict[str, Any]] = {}


def readable(code: str) -> bool:
    return code.startswith("540223") or code in {PARENT, "540000000000", "000000000000"}


def _position(c: Ctx, code: str) -> tuple[float, float]:
    client = c.own_admin if code.startswith("540223") else c.foreign_admin
    d = client.get(f"/api/v1/divisions/{code}").json()
    return float(d["lon"]), float(d["lat"])


def _created(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def row(c: Ctx, kind: str, side: str) -> dict[str, Any]:
    """One row of ``kind`` registered by the ``own`` or ``foreign`` county administrator (made once)."""
    key = (id(c.live), f"{kind}:{side}")
    if key in _rows:
        return _rows[key]
    client = c.own_admin if side == "own" else c.foreign_admin
    county = OWN if side == "own" else FOREIGN
    town = OWN_TOWN if side == "own" else FOREIGN_TOWN
    lon, lat = _position(c, county)
    if kind in ("depot", "depot2"):
        made = _created(
            client.post(
                f"{API}/depots",
                json={"name": f"{side} {kind}", "level": "county", "division_code": county, "lon": lon, "lat": lat},
            )
        )
        r = client.post(
            f"{API}/depots/{made['id']}/movements", json={"kind": "receive", "item": "quilt", "quantity": 50}
        )
        assert r.status_code == 201, r.text
    elif kind == "shelter":
        tlon, tlat = _position(c, town)
        made = _created(
            client.post(
                f"{API}/shelters",
                json={
                    "name": f"{side} shelter",
                    "shelter_class": "III",
                    "division_code": town,
                    "lon": tlon,
                    "lat": tlat,
                    "effective_area_m2": 3000,
                    "is_open": True,
                },
            )
        )
    elif kind == "team":
        made = _created(
            client.post(
                f"{API}/teams",
                json={
                    "name": f"{side} team",
                    "kind": "fire_rescue",
                    "division_code": county,
                    "lon": lon,
                    "lat": lat,
                    "headcount": 30,
                    "capabilities": ["search_rescue"],
                },
            )
        )
    elif kind == "vehicle":
        made = _created(
            client.post(
                f"{API}/vehicles",
                json={"name": f"{side} truck", "kind": "truck", "division_code": county, "lon": lon, "lat": lat,
                      "payload_kg": 5000},
            )
        )  # fmt: skip
    elif kind == "transfer":
        a, b = row(c, "depot", side), row(c, "depot2", side)
        made = _created(
            client.post(
                f"{API}/transfers",
                json={"from_depot_id": a["id"], "to_depot_id": b["id"], "lines": [{"item": "quilt", "quantity": 1}]},
            )
        )
    else:
        raise AssertionError(kind)
    _rows[key] = made
    return made


def _ids(r: httpx.Response) -> set[int]:
    assert r.status_code == 200, r.text
    return {int(i["id"]) for i in r.json()["items"]}


def _list_hides_foreign(c: Ctx, kind: str, path: str) -> None:
    own, foreign = row(c, kind, "own"), row(c, kind, "foreign")
    ids = _ids(c.own.get(f"{API}/{path}", params={"limit": 1000}))
    assert own["id"] in ids and foreign["id"] not in ids
    for item in c.own.get(f"{API}/{path}", params={"limit": 1000}).json()["items"]:
        assert readable(item["division_code"])
    assert c.own.get(f"{API}/{path}", params={"division": FOREIGN}).status_code == 404


def _get_hides_foreign(c: Ctx, kind: str, path: str) -> None:
    assert c.own.get(f"{API}/{path}/{row(c, kind, 'own')['id']}").status_code == 200
    assert c.own.get(f"{API}/{path}/{row(c, kind, 'foreign')['id']}").status_code == 404


def _patch_refused(c: Ctx, kind: str, path: str, body: dict[str, Any], field: str) -> None:
    foreign = row(c, kind, "foreign")
    assert c.own_admin.patch(f"{API}/{path}/{foreign['id']}", json=body).status_code == 404
    assert c.foreign_admin.get(f"{API}/{path}/{foreign['id']}").json()[field] == foreign[field]


def _create_refused(c: Ctx, path: str, body: dict[str, Any]) -> None:
    assert c.own_admin.post(f"{API}/{path}", json=body).status_code == 404
    assert c.own.post(f"{API}/{path}", json={**body, "division_code": OWN}).status_code in (403, 422)


def _foreign_stock(c: Ctx) -> int:
    lines = c.foreign_admin.get(f"{API}/depots/{row(c, 'depot', 'foreign')['id']}/stock").json()["items"]
    return sum(int(line["quantity"]) for line in lines)


# -- one function per route -------------------------------------------------------------------------


def items(c: Ctx) -> None:
    assert any(i["id"] == "quilt" for i in c.own.get(f"{API}/items").json())


def depots_list(c: Ctx) -> None:
    _list_hides_foreign(c, "depot", "depots")


def depots_create(c: Ctx) -> None:
    lon, lat = _position(c, FOREIGN)
    _create_refused(c, "depots", {"name": "x", "level": "county", "division_code": FOREIGN, "lon": lon, "lat": lat})


def depots_get(c: Ctx) -> None:
    _get_hides_foreign(c, "depot", "depots")


def depots_update(c: Ctx) -> None:
    _patch_refused(c, "depot", "depots", {"name": "taken"}, "name")


def depots_stock(c: Ctx) -> None:
    assert c.own.get(f"{API}/depots/{row(c, 'depot', 'own')['id']}/stock").status_code == 200
    assert c.own.get(f"{API}/depots/{row(c, 'depot', 'foreign')['id']}/stock").status_code == 404


def depots_movements(c: Ctx) -> None:
    assert c.own.get(f"{API}/depots/{row(c, 'depot', 'own')['id']}/movements").json()["total"] >= 1
    assert c.own.get(f"{API}/depots/{row(c, 'depot', 'foreign')['id']}/movements").status_code == 404


def depots_move_stock(c: Ctx) -> None:
    before = _foreign_stock(c)
    r = c.own_admin.post(
        f"{API}/depots/{row(c, 'depot', 'foreign')['id']}/movements",
        json={"kind": "issue", "item": "quilt", "quantity": 1},
    )
    assert r.status_code == 404 and _foreign_stock(c) == before


def depots_expire_due(c: Ctx) -> None:
    before = _foreign_stock(c)
    r = c.own_admin.post(f"{API}/depots/{row(c, 'depot', 'foreign')['id']}/expire-due", params={"on": "2999-01-01"})
    assert r.status_code == 404 and _foreign_stock(c) == before


def depots_set_minimum(c: Ctx) -> None:
    r = c.own_admin.put(
        f"{API}/depots/{row(c, 'depot', 'foreign')['id']}/minimums", json={"item": "quilt", "minimum": 9}
    )
    assert r.status_code == 404


def transfers_list(c: Ctx) -> None:
    own, foreign = row(c, "transfer", "own"), row(c, "transfer", "foreign")
    ids = _ids(c.own.get(f"{API}/transfers", params={"limit": 1000}))
    assert own["id"] in ids and foreign["id"] not in ids


def transfers_create(c: Ctx) -> None:
    body = {
        "from_depot_id": row(c, "depot", "own")["id"],
        "to_depot_id": row(c, "depot", "foreign")["id"],
        "lines": [{"item": "quilt", "quantity": 1}],
    }
    assert c.own_admin.post(f"{API}/transfers", json=body).status_code == 404
    body["from_depot_id"], body["to_depot_id"] = body["to_depot_id"], body["from_depot_id"]
    assert c.own_admin.post(f"{API}/transfers", json=body).status_code == 404


def transfers_get(c: Ctx) -> None:
    assert c.own.get(f"{API}/transfers/{row(c, 'transfer', 'own')['id']}").status_code == 200
    assert c.own.get(f"{API}/transfers/{row(c, 'transfer', 'foreign')['id']}").status_code == 404


def _transfer_action_refused(c: Ctx, action: str) -> None:
    foreign = row(c, "transfer", "foreign")
    assert c.own_admin.post(f"{API}/transfers/{foreign['id']}/{action}").status_code == 404
    assert c.foreign_admin.get(f"{API}/transfers/{foreign['id']}").json()["status"] == "created"


def transfers_confirm(c: Ctx) -> None:
    _transfer_action_refused(c, "confirm")


def transfers_cancel(c: Ctx) -> None:
    _transfer_action_refused(c, "cancel")


def shelters_list(c: Ctx) -> None:
    _list_hides_foreign(c, "shelter", "shelters")


def shelters_create(c: Ctx) -> None:
    lon, lat = _position(c, FOREIGN_TOWN)
    _create_refused(
        c,
        "shelters",
        {"name": "x", "shelter_class": "III", "division_code": FOREIGN_TOWN, "lon": lon, "lat": lat,
         "effective_area_m2": 3000},
    )  # fmt: skip


def shelters_get(c: Ctx) -> None:
    _get_hides_foreign(c, "shelter", "shelters")


def shelters_update(c: Ctx) -> None:
    _patch_refused(c, "shelter", "shelters", {"is_open": False}, "is_open")


def shelters_occupancy(c: Ctx) -> None:
    foreign = row(c, "shelter", "foreign")
    r = c.own_admin.post(f"{API}/shelters/{foreign['id']}/occupancy", json={"kind": "check_in", "people": 5})
    assert r.status_code == 404
    assert c.foreign_admin.get(f"{API}/shelters/{foreign['id']}").json()["occupancy"] == 0


def shelters_events(c: Ctx) -> None:
    own = row(c, "shelter", "own")
    r = c.own_admin.post(f"{API}/shelters/{own['id']}/occupancy", json={"kind": "check_in", "people": 2})
    assert r.status_code == 200, r.text
    assert c.own.get(f"{API}/shelters/{own['id']}/events").json()["total"] >= 1
    assert c.own.get(f"{API}/shelters/{row(c, 'shelter', 'foreign')['id']}/events").status_code == 404


def teams_list(c: Ctx) -> None:
    _list_hides_foreign(c, "team", "teams")


def teams_create(c: Ctx) -> None:
    lon, lat = _position(c, FOREIGN)
    _create_refused(
        c,
        "teams",
        {"name": "x", "kind": "social", "division_code": FOREIGN, "lon": lon, "lat": lat, "headcount": 5},
    )


def teams_get(c: Ctx) -> None:
    _get_hides_foreign(c, "team", "teams")


def teams_update(c: Ctx) -> None:
    _patch_refused(c, "team", "teams", {"readiness": "unavailable"}, "readiness")


def vehicles_list(c: Ctx) -> None:
    _list_hides_foreign(c, "vehicle", "vehicles")


def vehicles_create(c: Ctx) -> None:
    lon, lat = _position(c, FOREIGN)
    _create_refused(
        c, "vehicles", {"name": "x", "kind": "truck", "division_code": FOREIGN, "lon": lon, "lat": lat, "payload_kg": 1}
    )
    body = {
        "name": "x",
        "kind": "truck",
        "division_code": OWN,
        "depot_id": row(c, "depot", "foreign")["id"],
        "payload_kg": 1,
    }
    assert c.own_admin.post(f"{API}/vehicles", json=body).status_code == 404


def vehicles_get(c: Ctx) -> None:
    _get_hides_foreign(c, "vehicle", "vehicles")


def vehicles_update(c: Ctx) -> None:
    _patch_refused(c, "vehicle", "vehicles", {"status": "maintenance"}, "status")


def resources_import(c: Ctx) -> None:
    lon, lat = _position(c, FOREIGN)
    text = f"name,level,division_code,lon,lat\n越界库,county,{FOREIGN},{lon},{lat}\n"
    r = c.own_admin.post(f"{API}/import", data={"kind": "depots"}, files={"file": ("d.csv", text, "text/csv")})
    assert r.status_code in (404, 422) and "line 2" in r.json()["detail"]
    names = {d["name"] for d in c.foreign_admin.get(f"{API}/depots", params={"limit": 1000}).json()["items"]}
    assert "越界库" not in names
    stock = f"depot_id,item,quantity\n{row(c, 'depot', 'foreign')['id']},quilt,5\n"
    before = _foreign_stock(c)
    r = c.own_admin.post(f"{API}/import", data={"kind": "stock"}, files={"file": ("s.csv", stock, "text/csv")})
    assert r.status_code in (404, 422) and _foreign_stock(c) == before


def _no_foreign_depot(c: Ctx, entries: list[dict[str, Any] | None]) -> None:
    foreign = {row(c, "depot", "foreign")["id"], row(c, "depot2", "foreign")["id"]}
    assert all(e is None or e["depot_id"] not in foreign for e in entries)


def coverage_depots(c: Ctx) -> None:
    body = c.own.get(f"{API}/coverage/depots").json()
    assert body["places"] and all(p["code"].startswith("540223") for p in body["places"])
    _no_foreign_depot(c, [e for p in body["places"] for e in p["nearest"].values()])
    assert all(x["code"].startswith("540223") for x in body["counties_without_county_depot"])
    assert c.own.get(f"{API}/coverage/depots", params={"division": FOREIGN}).status_code == 404


def coverage_shelters(c: Ctx) -> None:
    row(c, "shelter", "foreign")
    towns = c.own.get(f"{API}/coverage/shelters").json()["townships"]
    assert towns and all(t["code"].startswith("540223") for t in towns)
    assert c.own.get(f"{API}/coverage/shelters", params={"division": FOREIGN_TOWN}).status_code == 404


def coverage_teams(c: Ctx) -> None:
    foreign = row(c, "team", "foreign")
    rows = c.own.get(f"{API}/coverage/teams", params={"capability": "search_rescue"}).json()["rows"]
    assert rows and all(r["code"].startswith("540223") and r["team_id"] != foreign["id"] for r in rows)
    assert c.own.get(f"{API}/coverage/teams", params={"division": FOREIGN}).status_code == 404


def resources_layer(c: Ctx) -> None:
    for kind in ("depot", "shelter", "team"):
        row(c, kind, "own"), row(c, kind, "foreign")
    for layer in ("depots", "shelters", "teams"):
        feats = c.own.get(f"{API}/layers", params={"layer": layer}).json()["features"]
        assert feats and all(readable(f["properties"]["division_code"]) for f in feats), layer
    gaps = c.own.get(f"{API}/layers", params={"layer": "gaps"}).json()["features"]
    assert all(f["properties"]["code"].startswith("540223") for f in gaps)
    assert c.own.get(f"{API}/layers", params={"layer": "depots", "division": FOREIGN}).status_code == 404


def coverage_report(c: Ctx) -> None:
    foreign_depot = row(c, "depot", "foreign")
    r = c.own.get(f"{API}/coverage/report")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "定日" in r.text and "拉孜" not in r.text and foreign_depot["name"] not in r.text
    assert c.own.get(f"{API}/coverage/report", params={"division": FOREIGN}).status_code == 404


CASES: dict[tuple[str, str], Callable[[Ctx], None]] = {
    ("GET", f"{API}/items"): items,
    ("GET", f"{API}/depots"): depots_list,
    ("POST", f"{API}/depots"): depots_create,
    ("GET", f"{API}/depots/{{depot_id}}"): depots_get,
    ("PATCH", f"{API}/depots/{{depot_id}}"): depots_update,
    ("GET", f"{API}/depots/{{depot_id}}/stock"): depots_stock,
    ("GET", f"{API}/depots/{{depot_id}}/movements"): depots_movements,
    ("POST", f"{API}/depots/{{depot_id}}/movements"): depots_move_stock,
    ("PUT", f"{API}/depots/{{depot_id}}/minimums"): depots_set_minimum,
    ("POST", f"{API}/depots/{{depot_id}}/expire-due"): depots_expire_due,
    ("GET", f"{API}/transfers"): transfers_list,
    ("POST", f"{API}/transfers"): transfers_create,
    ("GET", f"{API}/transfers/{{transfer_id}}"): transfers_get,
    ("POST", f"{API}/transfers/{{transfer_id}}/confirm"): transfers_confirm,
    ("POST", f"{API}/transfers/{{transfer_id}}/cancel"): transfers_cancel,
    ("GET", f"{API}/shelters"): shelters_list,
    ("POST", f"{API}/shelters"): shelters_create,
    ("GET", f"{API}/shelters/{{shelter_id}}"): shelters_get,
    ("PATCH", f"{API}/shelters/{{shelter_id}}"): shelters_update,
    ("POST", f"{API}/shelters/{{shelter_id}}/occupancy"): shelters_occupancy,
    ("GET", f"{API}/shelters/{{shelter_id}}/events"): shelters_events,
    ("GET", f"{API}/teams"): teams_list,
    ("POST", f"{API}/teams"): teams_create,
    ("GET", f"{API}/teams/{{team_id}}"): teams_get,
    ("PATCH", f"{API}/teams/{{team_id}}"): teams_update,
    ("GET", f"{API}/vehicles"): vehicles_list,
    ("POST", f"{API}/vehicles"): vehicles_create,
    ("GET", f"{API}/vehicles/{{vehicle_id}}"): vehicles_get,
    ("PATCH", f"{API}/vehicles/{{vehicle_id}}"): vehicles_update,
    ("POST", f"{API}/import"): resources_import,
    ("GET", f"{API}/coverage/depots"): coverage_depots,
    ("GET", f"{API}/coverage/shelters"): coverage_shelters,
    ("GET", f"{API}/coverage/teams"): coverage_teams,
    ("GET", f"{API}/layers"): resources_layer,
    ("GET", f"{API}/coverage/report"): coverage_report,
}
