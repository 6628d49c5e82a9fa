"""Public enforcement figures (no sign-in) through real HTTP: counts by category, division and state, fines
and median days, small counts withheld so that none can be had back from the total."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import httpx
import pytest

from tests.conftest import LiveServer
from yingji.hazards.credit_code import check_character

TOWN = "540223002000"
COUNTY = "540223000000"
_serial = itertools.count(1)


def created(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture(scope="module")
def figures(live: LiveServer) -> None:
    admin = live.client("admin")
    first17 = f"91540223CT{next(_serial):07d}"
    enterprise = created(admin.post("/api/v1/enterprises", json={
        "name": "统计用建材厂", "credit_code": first17 + check_character(first17), "division_code": TOWN,
        "supervision_category": "工贸"}))  # fmt: skip
    ids = [created(admin.post("/api/v1/enforcement/inspectors", json={
        "name": f"统计{n}", "certificate_no": f"ST{uuid.uuid4().hex[:10]}", "division_code": TOWN}))["id"]
        for n in range(2)]  # fmt: skip
    for n in range(6):
        inspection = created(admin.post("/api/v1/enforcement/inspections", json={
            "enterprise_id": enterprise["id"], "inspected_on": f"2027-02-0{n + 1}", "inspector_ids": ids}))  # fmt: skip
        created(admin.post(f"/api/v1/enforcement/inspections/{inspection['id']}/findings",
                           json={"text": f"问题{n}", "violation": n < 5}))  # fmt: skip
    for n in range(6):
        case = created(admin.post("/api/v1/enforcement/cases", json={
            "enterprise_id": enterprise["id"], "title": f"统计案{n}", "filed_on": "2027-01-04"}))  # fmt: skip
        steps: list[tuple[str, dict[str, Any]]] = [("investigate", {"on": "2027-01-05"})]
        if n < 5:
            steps += [("notify", {"on": "2027-01-06", "facts": "f", "legal_basis": "b", "proposed_penalty": "p"}),
                      ("hearing_waived", {"on": "2027-01-07"}),
                      ("decide", {"on": f"2027-01-{10 + n}", "decision": "罚款",
                                  "fine_yuan": 1000 * (n + 1)})]  # fmt: skip
        else:
            steps += [("close", {"on": "2027-01-08"})]
        for kind, body in steps:
            r = admin.post(f"/api/v1/enforcement/cases/{case['id']}/steps", json={"kind": kind, **body})
            assert r.status_code == 200, r.text


def test_enforcement_figures_are_public_and_withhold_small_counts(live: LiveServer, figures: None) -> None:
    anonymous = httpx.Client(base_url=live.url, timeout=30)
    r = anonymous.get("/api/v1/enforcement/public/statistics", params={"division": COUNTY, "year": 2027})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["division"] == COUNTY and body["year"] == 2027 and body["suppressed_below"] == 5
    inspections, cases = body["inspections"], body["cases"]
    assert inspections["total"] == 6 and inspections["by_category"] == {"工贸": 6}
    assert inspections["findings"] == 6 and inspections["violations"] == 5 and inspections["hazards_reported"] == 0
    assert cases["total"] == 6 and cases["by_category"] == {"工贸": 6}
    assert cases["by_state"] == {"closed": None, "decided": None}  # 1 closed: withheld, and so the 5 decided
    assert cases["fined"] == 5 and cases["fines_total_yuan"] == 15000
    assert cases["median_days_to_decision"] == 8.0  # filed 01-04, decided 01-10 … 01-14
    assert cases["median_days_to_close"] is None  # one case closed
    assert body["by_division"] == [{"code": TOWN, "name": body["by_division"][0]["name"], "inspections": 6,
                                    "cases": 6}]  # fmt: skip
    town = anonymous.get("/api/v1/enforcement/public/statistics", params={"division": TOWN, "year": 2026}).json()
    assert town["inspections"]["total"] == 0 and town["cases"]["fines_total_yuan"] is None
    assert anonymous.get("/api/v1/enforcement/public/statistics", params={"division": "999999"}).status_code == 404
    assert anonymous.get("/api/v1/enforcement/public/statistics", params={"year": 1999}).status_code == 422


def test_tip_figures_by_division(live: LiveServer) -> None:
    anonymous = httpx.Client(base_url=live.url, timeout=30)
    body = anonymous.get("/api/v1/tips/public/statistics").json()
    assert isinstance(body["by_division"], list)
    assert all(len(d["code"]) == 12 and d["code"].endswith("0000000000") for d in body["by_division"])  # provinces


def test_the_public_statistics_page_shows_both_without_sign_in(live: LiveServer, figures: None) -> None:
    anonymous = httpx.Client(base_url=live.url, timeout=30)
    page = anonymous.get("/tip/statistics", params={"division": COUNTY})
    assert page.status_code == 200, page.text
    assert "举报与执法公开统计" in page.text and "现场检查次数" in page.text and "<script" not in page.text
    assert 'value="540223000000" selected' in page.text
    assert anonymous.get("/tip/statistics", params={"division": "999999"}).status_code == 404
    assert anonymous.get("/tip/statistics", params={"division": "x"}).status_code in (400, 422)
