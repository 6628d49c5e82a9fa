"""Hazards through real HTTP: enterprise users kept to their own enterprise, the lifecycle to closure with
its rules (五落实, verification before a major hazard is closed), problem details."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.api.cases_hazards import new_credit_code
from tests.conftest import LiveServer

PASSWORD = "Enterprise-pass-9!"
OWN = "540223000000"


@pytest.fixture(scope="module")
def world(live: LiveServer) -> dict[str, Any]:
    admin = live.client("admin")
    ents = []
    for name in ("甲化工", "乙化工"):
        r = admin.post(
            "/api/v1/enterprises",
            json={
                "name": name,
                "credit_code": new_credit_code(),
                "division_code": OWN,
                "supervision_category": "危险化学品",
            },
        )
        assert r.status_code == 201, r.text
        ents.append(r.json())
    r = admin.post(
        "/api/v1/users",
        json={"username": "jia_safety", "password": PASSWORD, "role": "enterprise", "division_code": OWN},
    )
    assert r.status_code in (201, 409), r.text
    r = admin.post(f"/api/v1/enterprises/{ents[0]['id']}/members", json={"username": "jia_safety"})
    assert r.status_code == 204, r.text
    other = admin.post("/api/v1/hazards", json={"enterprise_id": ents[1]["id"], "title": "乙的隐患"}).json()
    return {"admin": admin, "ent": live.client("jia_safety", PASSWORD), "own": ents[0], "other": ents[1],
            "other_hazard": other, "lazi": live.client("lazi_duty")}  # fmt: skip


def act(client: httpx.Client, hazard_id: int, action: str, **body: Any) -> httpx.Response:
    return client.post(f"/api/v1/hazards/{hazard_id}/actions/{action}", json=body)


def test_enterprise_user_reading_another_enterprises_hazard_gets_404(world: dict[str, Any]) -> None:
    r = world["ent"].get(f"/api/v1/hazards/{world['other_hazard']['id']}")
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert world["ent"].get(f"/api/v1/enterprises/{world['other']['id']}").status_code == 404
    listed = world["ent"].get("/api/v1/hazards", params={"limit": 1000}).json()["items"]
    assert all(h["enterprise_id"] == world["own"]["id"] for h in listed)
    assert [e["id"] for e in world["ent"].get("/api/v1/enterprises").json()["items"]] == [world["own"]["id"]]


def test_enterprise_user_reports_only_for_its_own_enterprise(world: dict[str, Any]) -> None:
    ent = world["ent"]
    assert ent.post("/api/v1/hazards", json={"enterprise_id": world["other"]["id"], "title": "x"}).status_code == 404
    r = ent.post("/api/v1/hazards", json={"enterprise_id": world["own"]["id"], "title": "罐区可燃气体报警器失效"})
    assert r.status_code == 201 and r.json()["state"] == "reported"


def test_major_hazard_to_closure_needs_five_implementations_and_verification(world: dict[str, Any]) -> None:
    admin, ent = world["admin"], world["ent"]
    hazard = ent.post("/api/v1/hazards", json={"enterprise_id": world["own"]["id"], "title": "报警装置缺失"}).json()
    hid = hazard["id"]
    assert act(admin, hid, "determine", level="major").status_code == 409  # no item cited
    assert act(admin, hid, "determine", level="major", items=["NO-SUCH"]).status_code == 422
    r = act(admin, hid, "determine", level="major", items=["HC2017-12"])
    assert r.status_code == 200 and r.json()["level"] == "major"
    partial = {
        "responsible": "张三",
        "measures": "增设报警器",
        "deadline": "2030-01-01T00:00:00Z",
        "contingency": "预案",
    }
    r = act(ent, hid, "plan", plan=partial)
    assert r.status_code == 409 and "funds" in r.json()["detail"]
    assert act(ent, hid, "plan", plan={**partial, "funds": "5万元"}).status_code == 200
    assert act(ent, hid, "start").status_code == 200
    assert act(ent, hid, "progress", note="已采购", evidence=["invoice-1.pdf"]).status_code == 200
    assert act(ent, hid, "complete", note="已安装").status_code == 200
    refused = act(admin, hid, "close")
    assert refused.status_code == 409
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["code"] == "hazard_missing_requirement" and "verification" in refused.json()["detail"]
    assert act(ent, hid, "verify").status_code == 403  # the regulator's move
    assert act(admin, hid, "verify", note="现场复核合格").status_code == 200
    closed = act(admin, hid, "close")
    assert closed.status_code == 200 and closed.json()["state"] == "closed" and closed.json()["closed_at"]
    history = admin.get(f"/api/v1/hazards/{hid}/history").json()
    assert [e["action"] for e in history] == ["report", "determine", "plan", "start", "progress", "complete",
                                              "verify", "close"]  # fmt: skip


def test_return_paths_need_a_reason_and_general_hazards_close_without_verification(world: dict[str, Any]) -> None:
    admin, ent = world["admin"], world["ent"]
    hid = ent.post("/api/v1/hazards", json={"enterprise_id": world["own"]["id"], "title": "通道堆物"}).json()["id"]
    assert act(admin, hid, "determine", level="general").status_code == 200
    plan = {"responsible": "李四", "measures": "清理", "deadline": "2030-01-01T00:00:00Z"}
    assert act(ent, hid, "plan", plan=plan).status_code == 200
    assert act(admin, hid, "return_plan").status_code == 409  # a reason is required
    assert act(admin, hid, "return_plan", reason="期限过长").json()["state"] == "determined"
    assert act(ent, hid, "plan", plan=plan).status_code == 200
    assert act(ent, hid, "start").status_code == 200
    assert act(ent, hid, "close").status_code == 403
    assert act(ent, hid, "complete").status_code == 200
    assert act(admin, hid, "close").json()["state"] == "closed"
    assert act(admin, hid, "start").status_code == 409  # closed is final


def test_listing_for_supervision_is_for_open_major_hazards(world: dict[str, Any]) -> None:
    admin = world["admin"]
    hid = admin.post("/api/v1/hazards", json={"enterprise_id": world["own"]["id"], "title": "x"}).json()["id"]
    listing = {"level": "prefecture", "deadline": "2030-06-30T00:00:00Z", "notice": "挂牌督办通知"}
    assert admin.post(f"/api/v1/hazards/{hid}/listing", json=listing).status_code == 409
    act(admin, hid, "determine", level="major", items=["HC2017-05"])
    r = admin.post(f"/api/v1/hazards/{hid}/listing", json=listing)
    assert r.status_code == 200 and r.json()["listed_level"] == "prefecture"
    board = admin.get("/api/v1/hazards/board").json()["rows"]
    assert sum(row["open_major"] for row in board) >= 1


def test_installation_inventory_change_is_recomputed_and_kept_in_history(world: dict[str, Any]) -> None:
    admin = world["admin"]
    body = {"enterprise_id": world["own"]["id"], "name": "液氯库", "exposed_people": 60,
            "lines": [{"substance": "液氯", "quantity_t": "4"}]}  # fmt: skip
    made = admin.post("/api/v1/installations", json=body).json()
    assert (made["major"], made["grade"], made["s"]) == (False, None, "4/5")
    r = admin.put(f"/api/v1/installations/{made['id']}/inventory",
                  json={"exposed_people": 60, "lines": [{"substance": "7782-50-5", "quantity_t": "60"}]})  # fmt: skip
    assert r.status_code == 200 and (r.json()["s"], r.json()["r"], r.json()["grade"]) == ("12", "72", 2)
    assert r.json()["lines"] == [{"substance": "氯", "quantity_t": "60", "category": ""}]
    history = admin.get(f"/api/v1/installations/{made['id']}/assessments").json()
    assert [h["grade"] for h in history] == [None, 2]
    detail = admin.get(f"/api/v1/installations/{made['id']}").json()
    assert detail["monitoring"] == {"connected": False, "alive": False}
    bad = admin.put(f"/api/v1/installations/{made['id']}/inventory",
                    json={"exposed_people": 0, "lines": [{"substance": "水", "quantity_t": "1"}]})  # fmt: skip
    assert bad.status_code == 422 and "line 1" in bad.json()["detail"]


def test_a_regulators_shared_list_and_board_show_each_change_in_the_next_answer(world: dict[str, Any]) -> None:
    """The list and board answers a jurisdiction's regulators share (hazards/register/api.py) are computed
    again after any change: a hazard just reported or moved shows in the very next answer, and a county never
    gets the answer of another jurisdiction."""
    admin, live_lazi = world["admin"], world["lazi"]
    before = admin.get("/api/v1/hazards", params={"limit": 5}).json()
    board = admin.get("/api/v1/hazards/board").json()
    assert live_lazi.get("/api/v1/hazards", params={"limit": 5}).json()["total"] == 0
    new = admin.post("/api/v1/hazards", json={"enterprise_id": world["own"]["id"], "title": "新报隐患"}).json()
    after = admin.get("/api/v1/hazards", params={"limit": 5}).json()
    assert after["total"] == before["total"] + 1 and after["items"][0]["id"] == new["id"]
    again = admin.get("/api/v1/hazards/board").json()
    assert sum(r["total"] for r in again["rows"]) == sum(r["total"] for r in board["rows"]) + 1
    assert act(admin, new["id"], "determine", level="general").status_code == 200
    assert admin.get("/api/v1/hazards", params={"limit": 5}).json()["items"][0]["state"] == "determined"
    assert live_lazi.get("/api/v1/hazards", params={"limit": 5}).json() == {
        "items": [], "total": 0, "limit": 5, "offset": 0}  # fmt: skip
