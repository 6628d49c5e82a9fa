"""Jurisdiction cases of the work-safety routes (see test_jurisdiction.py): an administrator of 定日 (540223)
neither reads nor changes 拉孜's (540225) enterprises, installations and hazards — by lists, details, ids
in bodies and the board — and a credit code held in 拉孜 is refused without saying where."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import httpx
from tests.api.cases_foundation import FOREIGN, OWN, Ctx

from yingji.hazards.credit_code import check_character

_rows: dict[tuple[int, str], dict[str, Any]] = {}
_serial = itertools.count(1)


def new_credit_code() -> str:
    """A valid 统一社会信用代码 not used before in this test process."""
    first17 = f"91540223MA{next(_serial):07d}"
    return first17 + check_character(first17)


def _created(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def row(c: Ctx, kind: str, side: str) -> dict[str, Any]:
    """An enterprise, installation or hazard registered by the own or foreign administrator (made once)."""
    key = (id(c.live), f"{kind}:{side}")
    if key in _rows:
        return _rows[key]
    client = c.own_admin if side == "own" else c.foreign_admin
    county = OWN if side == "own" else FOREIGN
    if kind == "enterprise":
        body = {"name": f"{side} 化工", "credit_code": new_credit_code(), "division_code": county,
                "supervision_category": "危险化学品"}  # fmt: skip
        made = _created(client.post("/api/v1/enterprises", json=body))
    elif kind == "installation":
        ent = row(c, "enterprise", side)
        body = {"enterprise_id": ent["id"], "name": "罐区", "exposed_people": 10,
                "lines": [{"substance": "液氨", "quantity_t": "50"}]}  # fmt: skip
        made = _created(client.post("/api/v1/installations", json=body))
    else:
        ent = row(c, "enterprise", side)
        made = _created(client.post("/api/v1/hazards", json={"enterprise_id": ent["id"], "title": f"{side} 隐患"}))
    _rows[key] = made
    return made


def _ids(r: httpx.Response) -> set[int]:
    assert r.status_code == 200, r.text
    return {int(i["id"]) for i in r.json()["items"]}


# -- enterprises ----------------------------------------------------------------------------------------


def enterprises_list(c: Ctx) -> None:
    own, foreign = row(c, "enterprise", "own"), row(c, "enterprise", "foreign")
    seen = _ids(c.own_admin.get("/api/v1/enterprises", params={"limit": 1000}))
    assert own["id"] in seen and foreign["id"] not in seen
    assert foreign["id"] not in _ids(c.own_admin.get("/api/v1/enterprises", params={"division": FOREIGN[:6]}))


def enterprises_create(c: Ctx) -> None:
    foreign = row(c, "enterprise", "foreign")
    outside = {"name": "x", "credit_code": new_credit_code(), "division_code": FOREIGN}
    assert c.own_admin.post("/api/v1/enterprises", json=outside).status_code == 404
    taken = {"name": "x", "credit_code": foreign["credit_code"], "division_code": OWN}
    r = c.own_admin.post("/api/v1/enterprises", json=taken)
    assert r.status_code == 409 and FOREIGN[:6] not in r.text and "拉孜" not in r.text
    assert r.json()["detail"] == "this 统一社会信用代码 is already registered"


def enterprises_get(c: Ctx) -> None:
    foreign = row(c, "enterprise", "foreign")
    assert c.own_admin.get(f"/api/v1/enterprises/{foreign['id']}").status_code == 404


def enterprises_update(c: Ctx) -> None:
    foreign = row(c, "enterprise", "foreign")
    r = c.own_admin.patch(f"/api/v1/enterprises/{foreign['id']}", json={"address": "x"})
    assert r.status_code == 404


def enterprises_add_member(c: Ctx) -> None:
    foreign = row(c, "enterprise", "foreign")
    r = c.own_admin.post(f"/api/v1/enterprises/{foreign['id']}/members", json={"username": "dingri_duty"})
    assert r.status_code == 404


# -- installations --------------------------------------------------------------------------------------


def installations_list(c: Ctx) -> None:
    own, foreign = row(c, "installation", "own"), row(c, "installation", "foreign")
    seen = _ids(c.own_admin.get("/api/v1/installations"))
    assert own["id"] in seen and foreign["id"] not in seen


def installations_create(c: Ctx) -> None:
    foreign = row(c, "enterprise", "foreign")
    r = c.own_admin.post("/api/v1/installations", json={"enterprise_id": foreign["id"], "name": "x"})
    assert r.status_code == 404


def installations_get(c: Ctx) -> None:
    foreign = row(c, "installation", "foreign")
    assert c.own_admin.get(f"/api/v1/installations/{foreign['id']}").status_code == 404


def installations_set_inventory(c: Ctx) -> None:
    foreign = row(c, "installation", "foreign")
    body = {"exposed_people": 0, "lines": []}
    assert c.own_admin.put(f"/api/v1/installations/{foreign['id']}/inventory", json=body).status_code == 404


def installations_assessments(c: Ctx) -> None:
    foreign = row(c, "installation", "foreign")
    assert c.own_admin.get(f"/api/v1/installations/{foreign['id']}/assessments").status_code == 404


# -- hazards --------------------------------------------------------------------------------------------


def hazards_list(c: Ctx) -> None:
    own, foreign = row(c, "hazard", "own"), row(c, "hazard", "foreign")
    seen = _ids(c.own_admin.get("/api/v1/hazards", params={"limit": 1000}))
    assert own["id"] in seen and foreign["id"] not in seen


def hazards_board(c: Ctx) -> None:
    row(c, "hazard", "own"), row(c, "hazard", "foreign")
    rows = c.own_admin.get("/api/v1/hazards/board").json()["rows"]
    assert rows and all(r["key"].startswith("540223") for r in rows)


def hazards_report(c: Ctx) -> None:
    foreign = row(c, "enterprise", "foreign")
    r = c.own_admin.post("/api/v1/hazards", json={"enterprise_id": foreign["id"], "title": "x"})
    assert r.status_code == 404


def hazards_get(c: Ctx) -> None:
    foreign = row(c, "hazard", "foreign")
    assert c.own_admin.get(f"/api/v1/hazards/{foreign['id']}").status_code == 404


def hazards_history(c: Ctx) -> None:
    foreign = row(c, "hazard", "foreign")
    assert c.own_admin.get(f"/api/v1/hazards/{foreign['id']}/history").status_code == 404


def hazards_act(c: Ctx) -> None:
    foreign = row(c, "hazard", "foreign")
    body = {"level": "general"}
    assert c.own_admin.post(f"/api/v1/hazards/{foreign['id']}/actions/determine", json=body).status_code == 404


def hazards_listing(c: Ctx) -> None:
    foreign = row(c, "hazard", "foreign")
    body = {"level": "county", "deadline": "2030-01-01T00:00:00Z", "notice": "x"}
    assert c.own_admin.post(f"/api/v1/hazards/{foreign['id']}/listing", json=body).status_code == 404


# -- reference routes (no jurisdiction data) ------------------------------------------------------------


def standards_list(c: Ctx) -> None:
    assert c.own.get("/api/v1/determination-standards").status_code == 200


def standards_get(c: Ctx) -> None:
    assert c.own.get("/api/v1/determination-standards/no-such").status_code == 404


def identify(c: Ctx) -> None:
    r = c.own.post(
        "/api/v1/hazards/identify", json={"exposed_people": 0, "lines": [{"substance": "氯", "quantity_t": "25"}]}
    )
    assert r.status_code == 200 and r.json()["grade"] == 3


CASES: dict[tuple[str, str], Callable[[Ctx], None]] = {
    ("GET", "/api/v1/enterprises"): enterprises_list,
    ("POST", "/api/v1/enterprises"): enterprises_create,
    ("GET", "/api/v1/enterprises/{enterprise_id}"): enterprises_get,
    ("PATCH", "/api/v1/enterprises/{enterprise_id}"): enterprises_update,
    ("POST", "/api/v1/enterprises/{enterprise_id}/members"): enterprises_add_member,
    ("GET", "/api/v1/installations"): installations_list,
    ("POST", "/api/v1/installations"): installations_create,
    ("GET", "/api/v1/installations/{installation_id}"): installations_get,
    ("PUT", "/api/v1/installations/{installation_id}/inventory"): installations_set_inventory,
    ("GET", "/api/v1/installations/{installation_id}/assessments"): installations_assessments,
    ("GET", "/api/v1/hazards"): hazards_list,
    ("GET", "/api/v1/hazards/board"): hazards_board,
    ("POST", "/api/v1/hazards"): hazards_report,
    ("GET", "/api/v1/hazards/{hazard_id}"): hazards_get,
    ("GET", "/api/v1/hazards/{hazard_id}/history"): hazards_history,
    ("POST", "/api/v1/hazards/{hazard_id}/actions/{action}"): hazards_act,
    ("POST", "/api/v1/hazards/{hazard_id}/listing"): hazards_listing,
    ("GET", "/api/v1/determination-standards"): standards_list,
    ("GET", "/api/v1/determination-standards/{standard_id}"): standards_get,
    ("POST", "/api/v1/hazards/identify"): identify,
}
