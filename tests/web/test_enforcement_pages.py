"""The enforcement pages over real HTTP: the board lists the caller's plans, draws and cases with their clocks,
a draw's page shows its pairs and that it verifies; another county's draw is not found; data is escaped."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.cases_foundation import FOREIGN, OWN
from tests.api.cases_hazards import new_credit_code
from tests.conftest import LiveServer
from tests.web.test_pages import browser


def _made(r: Any) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _county(live: LiveServer, division: str, tag: str) -> dict[str, Any]:
    admin = live.client("admin")
    enterprise = _made(admin.post("/api/v1/enterprises", json={
        "name": f"{tag}<script>厂", "credit_code": new_credit_code(), "division_code": division,
        "supervision_category": "工贸"}))  # fmt: skip
    for n in range(2):
        _made(
            admin.post(
                "/api/v1/enforcement/inspectors",
                json={
                    "name": f"{tag}执法{n}",
                    "certificate_no": f"PG{tag.encode().hex()[:8]}{n}",
                    "division_code": division,
                },
            )
        )
    plan = _made(admin.post("/api/v1/enforcement/plans", json={
        "division_code": division, "year": 2029, "title": f"{tag}计划<b>", "category_counts": {"工贸": 1},
        "random_share_pct": 100, "include_major_hazards": False}))  # fmt: skip
    draw = _made(admin.post(f"/api/v1/enforcement/plans/{plan['id']}/draws", json={}))
    case = _made(
        admin.post(
            "/api/v1/enforcement/cases",
            json={"enterprise_id": enterprise["id"], "title": f"{tag}案件", "filed_on": "2026-03-02"},
        )
    )
    return {"enterprise": enterprise, "plan": plan, "draw": draw, "case": case}


@pytest.fixture(scope="module")
def counties(live: LiveServer) -> dict[str, Any]:
    return {"own": _county(live, OWN, "定日"), "foreign": _county(live, FOREIGN, "拉孜")}


def test_board_lists_own_plans_draws_and_cases_with_clocks(live: LiveServer, counties: dict[str, Any]) -> None:
    page = browser(live, "dingri_duty").get("/enforcement")
    assert page.status_code == 200
    assert "定日计划&lt;b&gt;" in page.text and "拉孜计划" not in page.text
    assert "定日案件" in page.text and "拉孜案件" not in page.text
    assert "作出处罚决定" in page.text  # the decision clock of the case, labelled from the data file


def test_draw_page_shows_pairs_and_verifies(live: LiveServer, counties: dict[str, Any]) -> None:
    client = browser(live, "dingri_duty")
    page = client.get(f"/enforcement/draws/{counties['own']['draw']['id']}")
    assert page.status_code == 200 and "复核一致" in page.text
    assert "定日&lt;script&gt;厂" in page.text and "<script>厂" not in page.text
    assert client.get(f"/enforcement/draws/{counties['foreign']['draw']['id']}").status_code == 404


def _csrf(page: str) -> str:
    import re

    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found
    return found.group(1)


def test_a_plan_is_drawn_again_with_a_reason_and_the_draw_published_from_the_pages(
    live: LiveServer, counties: dict[str, Any]
) -> None:
    plan_id = counties["own"]["plan"]["id"]
    reader = browser(live, "dingri_duty")  # enforcement:read only: no forms, and a post is refused
    board = reader.get("/enforcement").text
    assert 'class="inline draw-form"' not in board
    refused = reader.post(f"/enforcement/plans/{plan_id}/draw", data={"csrf_token": _csrf(board), "reason": "x"})
    assert refused.status_code == 403

    admin = browser(live, "admin")
    board = admin.get("/enforcement").text
    assert f'data-plan="{plan_id}"' in board
    token = _csrf(board)
    assert admin.post(f"/enforcement/plans/{plan_id}/draw", data={"reason": "x"}).status_code == 403  # no CSRF
    before = len(live.client("admin").get(f"/api/v1/enforcement/plans/{plan_id}/draws").json())
    no_reason = admin.post(f"/enforcement/plans/{plan_id}/draw", data={"csrf_token": token, "reason": ""})
    assert no_reason.status_code == 422 and 'role="alert"' in no_reason.text  # a re-draw needs its reason
    drawn = admin.post(f"/enforcement/plans/{plan_id}/draw", data={"csrf_token": token, "reason": "名录更新<i>"})
    assert drawn.status_code == 303, drawn.text
    draws = live.client("admin").get(f"/api/v1/enforcement/plans/{plan_id}/draws").json()
    assert len(draws) == before + 1 and draws[-1]["reason"] == "名录更新<i>"
    assert drawn.headers["location"].endswith(f"/enforcement/draws/{draws[-1]['id']}")

    page = admin.get(f"/enforcement/draws/{draws[-1]['id']}").text
    assert 'id="publish-form"' in page and "名录更新&lt;i&gt;" in page
    published = admin.post(f"/enforcement/draws/{draws[-1]['id']}/publish", data={"csrf_token": token})
    assert published.status_code == 303
    page = admin.get(f"/enforcement/draws/{draws[-1]['id']}").text
    assert 'id="publish-form"' not in page and "已公开" in page
    assert live.client().get(f"/api/v1/enforcement/public/draws/{draws[-1]['id']}").status_code == 200
    earlier = admin.post(f"/enforcement/draws/{draws[0]['id']}/publish", data={"csrf_token": token})
    assert earlier.status_code == 409 and 'role="alert"' in earlier.text  # only the latest draw is published


def test_checklist_page_shows_synced_entries_and_verifies(live: LiveServer, counties: dict[str, Any]) -> None:
    from tests.enforcement.test_checklist_api import Device

    admin = live.client("admin")
    listed = admin.get("/api/v1/enforcement/inspectors", params={"limit": 1000}).json()["items"]

    def pair(tag: str) -> list[int]:
        return [i["id"] for i in listed if i["name"] in (f"{tag}执法0", f"{tag}执法1")][:2]

    inspection = _made(admin.post("/api/v1/enforcement/inspections", json={
        "enterprise_id": counties["own"]["enterprise"]["id"], "inspected_on": "2026-03-02",
        "inspector_ids": pair("定日")}))  # fmt: skip
    tablet = Device(inspection["id"], "tablet")
    tablet.add("check", "GM2023-3-1", {"result": "violation", "note": "未统一协调<b>"})
    tablet.add("note", "summary", {"text": "现场<script>检查"})
    assert admin.post(f"/api/v1/enforcement/inspections/{inspection['id']}/checklist/sync",
                      json=tablet.batch()).status_code == 200  # fmt: skip
    client = browser(live, "dingri_duty")
    board = client.get("/enforcement")
    assert f"/enforcement/inspections/{inspection['id']}/checklist" in board.text  # linked from the board
    page = client.get(f"/enforcement/inspections/{inspection['id']}/checklist")
    assert page.status_code == 200, page.text
    assert "校验一致" in page.text and "不符合" in page.text and tablet.id in page.text
    assert (
        "未统一协调&lt;b&gt;" in page.text and "现场&lt;script&gt;检查" in page.text and "<script>检查" not in page.text
    )
    foreign = _made(admin.post("/api/v1/enforcement/inspections", json={
        "enterprise_id": counties["foreign"]["enterprise"]["id"], "inspected_on": "2026-03-02",
        "inspector_ids": pair("拉孜")}))  # fmt: skip
    assert client.get(f"/enforcement/inspections/{foreign['id']}/checklist").status_code == 404
    assert f"/enforcement/inspections/{foreign['id']}/checklist" not in client.get("/enforcement").text


def test_follow_up_page_records_a_follow_up_and_keeps_to_the_county(live: LiveServer, counties: dict[str, Any]) -> None:
    admin_api = live.client("admin")
    listed = admin_api.get("/api/v1/enforcement/inspectors", params={"limit": 1000}).json()["items"]

    def ordered(side: str, tag: str) -> tuple[dict[str, Any], list[int]]:
        ids = [i["id"] for i in listed if i["name"] in (f"{tag}执法0", f"{tag}执法1")][:2]
        inspection = _made(admin_api.post("/api/v1/enforcement/inspections", json={
            "enterprise_id": counties[side]["enterprise"]["id"], "inspected_on": "2026-03-02", "inspector_ids": ids,
            "rectification_deadline": "2026-03-20"}))  # fmt: skip
        for text in (f"{tag}通道<b>堵塞", f"{tag}台账不全"):
            _made(admin_api.post(f"/api/v1/enforcement/inspections/{inspection['id']}/findings", json={"text": text}))
        return inspection, ids

    own, ids = ordered("own", "定日")
    foreign, _ = ordered("foreign", "拉孜")
    reader = browser(live, "dingri_duty")
    page = reader.get(f"/enforcement/inspections/{own['id']}/follow-up")
    assert page.status_code == 200 and "定日通道&lt;b&gt;堵塞" in page.text and 'id="follow-up-form"' not in page.text
    assert f"/enforcement/inspections/{own['id']}/follow-up" in reader.get("/enforcement").text
    assert reader.get(f"/enforcement/inspections/{foreign['id']}/follow-up").status_code == 404
    admin = browser(live, "admin")
    form = admin.get(f"/enforcement/inspections/{own['id']}/follow-up").text
    findings = admin_api.get(f"/api/v1/enforcement/inspections/{own['id']}").json()["findings"]
    data = {"csrf_token": _csrf(form), "inspected_on": "2026-03-21", "inspector_ids": [str(i) for i in ids],
            "finding_ids": [str(f["id"]) for f in findings], "rectified": [str(findings[0]["id"])],
            "notes": ["", "仍缺<i>记录"], "open_case": "true"}  # fmt: skip
    refused = reader.post(f"/enforcement/inspections/{own['id']}/follow-up", data=data)
    assert refused.status_code == 403
    missing = admin.post(f"/enforcement/inspections/{own['id']}/follow-up", data={**data, "finding_ids": []})
    assert missing.status_code == 422 and 'role="alert"' in missing.text
    done = admin.post(f"/enforcement/inspections/{own['id']}/follow-up", data=data)
    assert done.status_code == 303, done.text
    page = admin.get(f"/enforcement/inspections/{own['id']}/follow-up").text
    assert "未整改" in page and "仍缺&lt;i&gt;记录" in page and "已立案" in page
    made = admin_api.get(f"/api/v1/enforcement/inspections/{own['id']}/follow-ups").json()
    assert [i["rectified"] for i in made[0]["items"]] == [True, False] and made[0]["case_id"]
    into_foreign = reader.post(f"/enforcement/inspections/{foreign['id']}/follow-up", data=data)
    assert into_foreign.status_code in (403, 404)  # a reader; the form's service 404s another county's inspection
