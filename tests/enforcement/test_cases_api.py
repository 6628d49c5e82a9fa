"""Inspections, findings linked to hazards, penalty cases step by step with clocks, and the PDF documents —
through real HTTP on both backends."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from tests.conftest import LiveServer
from yingji.hazards.credit_code import check_character

TOWN = "540223001000"
_serial = itertools.count(1)


def created(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def pdf_text(r: httpx.Response) -> str:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF-")
    return "".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(r.content)).pages)


@pytest.fixture(scope="module")
def admin(live: LiveServer) -> httpx.Client:
    return live.client("admin")


@pytest.fixture(scope="module")
def world(admin: httpx.Client) -> dict[str, Any]:
    first17 = f"91540223CK{next(_serial):07d}"
    enterprise = created(admin.post("/api/v1/enterprises", json={
        "name": "雪域<b>建材</b>有限公司", "credit_code": first17 + check_character(first17), "division_code": TOWN,
        "supervision_category": "工贸", "address": "定日县协格尔镇"}))  # fmt: skip
    inspectors = [created(admin.post("/api/v1/enforcement/inspectors", json={
        "name": name, "certificate_no": f"CS{next(_serial):05d}{n}", "division_code": TOWN}))
        for n, name in enumerate(("扎西", "卓玛", "次仁"))]  # fmt: skip
    created(admin.post(f"/api/v1/enforcement/inspectors/{inspectors[2]['id']}/recusals",
                       json={"enterprise_id": enterprise["id"], "reason": "曾任职"}))  # fmt: skip
    return {"enterprise": enterprise, "inspectors": inspectors}


@pytest.fixture(scope="module")
def inspection(admin: httpx.Client, world: dict[str, Any]) -> dict[str, Any]:
    ids = [world["inspectors"][0]["id"], world["inspectors"][1]["id"]]
    return created(admin.post("/api/v1/enforcement/inspections", json={
        "enterprise_id": world["enterprise"]["id"], "inspected_on": "2026-03-02", "inspector_ids": ids,
        "summary": "对粉尘防爆情况进行检查", "rectification_deadline": "2026-03-20"}))  # fmt: skip


def test_an_inspection_needs_two_inspectors_without_a_tie(admin: httpx.Client, world: dict[str, Any]) -> None:
    body = {"enterprise_id": world["enterprise"]["id"], "inspected_on": "2026-03-02"}
    same_twice = [world["inspectors"][0]["id"]] * 2
    one = admin.post("/api/v1/enforcement/inspections", json={**body, "inspector_ids": same_twice})
    assert one.status_code == 422 and "two" in one.json()["detail"]
    tied = admin.post(
        "/api/v1/enforcement/inspections",
        json={**body, "inspector_ids": [world["inspectors"][0]["id"], world["inspectors"][2]["id"]]},
    )
    assert tied.status_code == 422 and "回避" in tied.json()["detail"]


def test_a_finding_reported_as_a_hazard_is_linked_both_ways(
    admin: httpx.Client, inspection: dict[str, Any], world: dict[str, Any]
) -> None:
    finding = created(admin.post(f"/api/v1/enforcement/inspections/{inspection['id']}/findings", json={
        "text": "除尘器未设置泄爆装置", "violation": True, "hazard_title": "除尘系统无泄爆"}))  # fmt: skip
    assert finding["hazard_id"]
    hazard = admin.get(f"/api/v1/hazards/{finding['hazard_id']}").json()
    assert hazard["source"] == "inspection" and hazard["enterprise_id"] == world["enterprise"]["id"]
    assert f"#{inspection['id']}" in hazard["description"]
    plain = created(admin.post(f"/api/v1/enforcement/inspections/{inspection['id']}/findings",
                               json={"text": "安全培训记录不全"}))  # fmt: skip
    assert plain["hazard_id"] is None
    listed = admin.get(f"/api/v1/enforcement/inspections/{inspection['id']}").json()
    assert [f["id"] for f in listed["findings"]] == [finding["id"], plain["id"]]


def test_inspection_documents_are_chinese_pdfs(admin: httpx.Client, inspection: dict[str, Any]) -> None:
    record = pdf_text(admin.get(f"/api/v1/enforcement/inspections/{inspection['id']}/documents/record"))
    assert "现场检查记录" in record and "雪域<b>建材</b>有限公司" in record and "扎西" in record
    order = pdf_text(admin.get(f"/api/v1/enforcement/inspections/{inspection['id']}/documents/rectification"))
    assert "责令限期整改指令书" in order and "2026年3月20日" in order
    assert admin.get(f"/api/v1/enforcement/inspections/{inspection['id']}/documents/other").status_code == 422


def _step(admin: httpx.Client, case_id: int, kind: str, on: str, **extra: object) -> httpx.Response:
    return admin.post(f"/api/v1/enforcement/cases/{case_id}/steps", json={"kind": kind, "on": on, **extra})


def test_a_case_goes_from_filing_to_closing_with_its_clocks_and_documents(
    admin: httpx.Client, inspection: dict[str, Any], world: dict[str, Any]
) -> None:
    case = created(admin.post("/api/v1/enforcement/cases", json={
        "enterprise_id": world["enterprise"]["id"], "inspection_id": inspection["id"], "title": "未设置泄爆装置案",
        "filed_on": "2026-03-02"}))  # fmt: skip
    assert case["regime_id"] == "aplaw2021-ws2026" and case["state"] == "filed"
    decision = next(c for c in case["clocks"] if c["key"] == "decision")
    assert decision["due"] == "2026-05-31" and decision["source"].startswith("行政处罚法")
    cid = case["id"]
    assert _step(admin, cid, "investigate", "2026-03-03").status_code == 200
    refused = _step(admin, cid, "notify", "2026-03-05")
    assert refused.status_code == 422 and "proposed penalty" in refused.json()["detail"]
    assert admin.get(f"/api/v1/enforcement/cases/{cid}").json()["state"] == "investigating"  # nothing half-written
    r = _step(
        admin,
        cid,
        "notify",
        "2026-03-06",
        facts="除尘器未设置泄爆装置。",
        legal_basis="《中华人民共和国安全生产法》第三十六条",
        proposed_penalty="罚款人民币三万元",
    )
    assert r.status_code == 200, r.text
    hearing = next(c for c in r.json()["clocks"] if c["key"] == "hearing_request")
    assert hearing["due"] == "2026-03-13" and hearing["party"] is True
    early = _step(admin, cid, "decide", "2026-03-13", decision="罚款", fine_yuan=30000)
    assert early.status_code == 422 and "2026-03-13" in early.json()["detail"]
    notice = pdf_text(admin.get(f"/api/v1/enforcement/cases/{cid}/documents/notice"))
    assert "行政处罚告知书" in notice and "罚款人民币三万元" in notice
    assert admin.get(f"/api/v1/enforcement/cases/{cid}/documents/decision").status_code == 422
    r = _step(admin, cid, "decide", "2026-03-16", decision="罚款人民币三万元。", fine_yuan=30000)
    assert r.status_code == 200, r.text
    service = next(c for c in r.json()["clocks"] if c["key"] == "service")
    assert service["start"] == "2026-03-16" and service["due"] == "2026-03-25"
    text = pdf_text(admin.get(f"/api/v1/enforcement/cases/{cid}/documents/decision"))
    assert "行政处罚决定书" in text and "30,000" in text and world["enterprise"]["credit_code"] in text
    for kind, on in (("serve", "2026-03-17"), ("execute", "2026-03-30"), ("close", "2026-03-31")):
        assert _step(admin, cid, kind, on).status_code == 200
    final = admin.get(f"/api/v1/enforcement/cases/{cid}").json()
    assert final["state"] == "closed" and [e["kind"] for e in final["events"]] == [
        "investigate",
        "notify",
        "decide",
        "serve",
        "execute",
        "close",
    ]
    assert {c["key"]: c["state"] for c in final["clocks"]}["payment"] == "met"


def test_a_step_dated_before_the_last_one_is_refused(admin: httpx.Client, world: dict[str, Any]) -> None:
    case = created(
        admin.post(
            "/api/v1/enforcement/cases",
            json={"enterprise_id": world["enterprise"]["id"], "title": "倒签测试", "filed_on": "2026-03-02"},
        )
    )
    assert _step(admin, case["id"], "investigate", "2026-03-10").status_code == 200
    assert _step(admin, case["id"], "close", "2026-03-09").status_code == 422


def test_a_case_filed_before_the_rules_apply_is_refused(admin: httpx.Client, world: dict[str, Any]) -> None:
    r = admin.post("/api/v1/enforcement/cases", json={"enterprise_id": world["enterprise"]["id"], "title": "x",
                                                      "filed_on": "2019-01-01"})  # fmt: skip
    assert r.status_code == 422


def test_today_drives_the_listed_clocks(admin: httpx.Client, world: dict[str, Any]) -> None:
    today = dt.date.today()
    case = created(
        admin.post(
            "/api/v1/enforcement/cases",
            json={"enterprise_id": world["enterprise"]["id"], "title": "今日立案", "filed_on": today.isoformat()},
        )
    )
    decision = next(c for c in case["clocks"] if c["key"] == "decision")
    assert decision["state"] == "running" and decision["days_left"] == 90
