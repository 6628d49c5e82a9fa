"""Follow-up inspections (复查) of a rectification order: each ordered item rectified or not, the linked hazards
moved through the hazard register, items not rectified filed as a penalty case, the 整改复查意见书 — through real
HTTP on both backends."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from tests.enforcement.test_cases_api import created, pdf_text
from yingji.hazards.credit_code import check_character

TOWN = "540223001000"
API = "/api/v1/enforcement"
_serial = itertools.count(1)


@pytest.fixture(scope="module")
def admin(live: LiveServer) -> httpx.Client:
    return live.client("admin")


def _ordered(admin: httpx.Client, deadline: str | None = "2026-03-20") -> dict[str, Any]:
    """An inspection with three findings (two reported as hazards) and, unless ``deadline`` is None, an order."""
    first17 = f"91540223FU{next(_serial):07d}"
    enterprise = created(admin.post("/api/v1/enterprises", json={
        "name": "复查<i>机械</i>厂", "credit_code": first17 + check_character(first17), "division_code": TOWN,
        "supervision_category": "工贸"}))  # fmt: skip
    inspectors = [created(admin.post(f"{API}/inspectors", json={
        "name": name, "certificate_no": f"FU{next(_serial):05d}{n}", "division_code": TOWN}))
        for n, name in enumerate(("格桑", "央金"))]  # fmt: skip
    ids = [i["id"] for i in inspectors]
    inspection = created(admin.post(f"{API}/inspections", json={
        "enterprise_id": enterprise["id"], "inspected_on": "2026-03-02", "inspector_ids": ids,
        "rectification_deadline": deadline}))  # fmt: skip
    findings = [
        created(admin.post(f"{API}/inspections/{inspection['id']}/findings", json=body))
        for body in ({"text": "安全出口堵塞", "violation": True, "hazard_title": "安全出口堵塞"},
                     {"text": "配电箱无防护", "violation": True, "hazard_title": "配电箱无防护"},
                     {"text": "台账不全"})
    ]  # fmt: skip
    return {"inspection": inspection, "findings": findings, "inspectors": ids, "enterprise": enterprise}


def _rectified_by_enterprise(admin: httpx.Client, hazard_id: int) -> None:
    """The hazard through determination, plan and rectification to 整改完成 (the enterprise's side)."""
    plan = {"responsible": "张三", "measures": "清理", "deadline": "2026-03-19T00:00:00Z"}
    for action, body in (("determine", {"level": "general"}), ("plan", {"plan": plan}), ("start", {}),
                         ("complete", {"note": "已整改"})):  # fmt: skip
        r = admin.post(f"/api/v1/hazards/{hazard_id}/actions/{action}", json=body)
        assert r.status_code == 200, r.text


def _state(admin: httpx.Client, hazard_id: int) -> str:
    return str(admin.get(f"/api/v1/hazards/{hazard_id}").json()["state"])


def test_a_follow_up_checks_each_item_moves_the_hazards_and_files_a_case(admin: httpx.Client) -> None:
    world = _ordered(admin)
    exit_, panel, ledger = world["findings"]
    _rectified_by_enterprise(admin, exit_["hazard_id"])
    _rectified_by_enterprise(admin, panel["hazard_id"])
    body = {"inspected_on": "2026-03-23", "inspector_ids": world["inspectors"], "summary": "复查", "open_case": True,
            "items": [{"finding_id": exit_["id"], "rectified": True},
                      {"finding_id": panel["id"], "rectified": False, "note": "仍无防护罩"},
                      {"finding_id": ledger["id"], "rectified": False}]}  # fmt: skip
    made = created(admin.post(f"{API}/inspections/{world['inspection']['id']}/follow-ups", json=body))
    assert made["inspection_id"] == world["inspection"]["id"]
    assert made["order_number"] == f"（2026）责改〔{world['inspection']['id']}〕号"
    moves = {i["finding_id"]: i["hazard_action"] for i in made["items"]}
    assert moves == {exit_["id"]: "verify", panel["id"]: "reject", ledger["id"]: ""}
    assert _state(admin, exit_["hazard_id"]) == "verified" and _state(admin, panel["hazard_id"]) == "rectifying"
    case = admin.get(f"{API}/cases/{made['case_id']}").json()
    assert case["inspection_id"] == world["inspection"]["id"] and case["filed_on"] == "2026-03-23"
    assert "配电箱无防护" in case["facts"] and "台账不全" in case["facts"] and "安全出口堵塞" not in case["facts"]
    listed = admin.get(f"{API}/inspections/{world['inspection']['id']}/follow-ups").json()
    assert [f["id"] for f in listed] == [made["id"]]
    assert admin.get(f"{API}/follow-ups/{made['id']}").json()["items"] == made["items"]
    text = pdf_text(admin.get(f"{API}/follow-ups/{made['id']}/document"))
    assert "整改复查意见书" in text and "配电箱无防护" in text and "未整改" in text and "立案" in text


def test_a_second_follow_up_fails_a_verification_and_leaves_other_states(admin: httpx.Client) -> None:
    world = _ordered(admin)
    exit_, panel, _ = world["findings"]
    _rectified_by_enterprise(admin, exit_["hazard_id"])
    url = f"{API}/inspections/{world['inspection']['id']}/follow-ups"
    items = [{"finding_id": f["id"], "rectified": True} for f in world["findings"]]
    first = created(admin.post(url, json={"inspected_on": "2026-03-21", "inspector_ids": world["inspectors"],
                                          "items": items}))  # fmt: skip
    assert [i["hazard_action"] for i in first["items"]] == ["verify", "", ""]  # panel still reported: left as it is
    assert first["case_id"] is None and _state(admin, panel["hazard_id"]) == "reported"
    again = [{**i, "rectified": i["finding_id"] != exit_["id"]} for i in items]
    second = created(admin.post(url, json={"inspected_on": "2026-03-28", "inspector_ids": world["inspectors"],
                                           "items": again}))  # fmt: skip
    assert second["items"][0]["hazard_action"] == "fail_verification" and second["case_id"] is None
    assert _state(admin, exit_["hazard_id"]) == "rectifying"
    assert "已整改" in pdf_text(admin.get(f"{API}/follow-ups/{first['id']}/document"))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b, f: {**b, "items": b["items"][:2]}, "missing"),
        (lambda b, f: {**b, "items": [*b["items"], b["items"][0]]}, "twice"),
        (
            lambda b, f: {**b, "items": [*b["items"][:2], {"finding_id": 2_000_000_000, "rectified": True}]},
            "not a finding",
        ),
        (lambda b, f: {**b, "inspected_on": "2026-03-01"}, "before"),
        (lambda b, f: {**b, "open_case": True}, "nothing to file"),
        (lambda b, f: {**b, "inspector_ids": [b["inspector_ids"][0]] * 2}, "two"),
    ],
)
def test_a_follow_up_that_does_not_check_every_item_once_is_refused(
    admin: httpx.Client, change: Any, field: str
) -> None:
    world = _ordered(admin)
    body = {"inspected_on": "2026-03-21", "inspector_ids": world["inspectors"],
            "items": [{"finding_id": f["id"], "rectified": True} for f in world["findings"]]}  # fmt: skip
    r = admin.post(f"{API}/inspections/{world['inspection']['id']}/follow-ups", json=change(body, world))
    assert r.status_code == 422 and field in r.text, r.text
    assert admin.get(f"{API}/inspections/{world['inspection']['id']}/follow-ups").json() == []


def test_an_inspection_without_an_order_has_no_follow_up(admin: httpx.Client) -> None:
    world = _ordered(admin, deadline=None)
    body = {"inspected_on": "2026-03-21", "inspector_ids": world["inspectors"],
            "items": [{"finding_id": f["id"], "rectified": True} for f in world["findings"]]}  # fmt: skip
    r = admin.post(f"{API}/inspections/{world['inspection']['id']}/follow-ups", json=body)
    assert r.status_code == 422 and "rectification order" in r.text
