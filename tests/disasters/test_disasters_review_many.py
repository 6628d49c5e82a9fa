"""A review queue's "accept selected" (POST /api/v1/disasters/reports/reviews) through real HTTP on both
backends: each report judged as its own review would judge it, with its own answer, all or nothing per report;
another county's report is "not found" as through the single route; each review audited."""

from __future__ import annotations

from typing import Any

import httpx
from tests.conftest import LiveServer
from tests.disasters.test_disasters_api import LAZI_T, T1, T2, event, review, submit

URL = "/api/v1/disasters/reports/reviews"


def review_many(client: httpx.Client, ids: list[int], action: str = "accept", reason: str = "") -> httpx.Response:
    return client.post(URL, json={"report_ids": ids, "action": action, "reason": reason})


def by_id(response: httpx.Response) -> dict[int, dict[str, Any]]:
    assert response.status_code == 200, response.text
    return {r["report_id"]: r for r in response.json()["results"]}


def test_each_report_is_judged_on_its_own_and_the_totals_count_the_accepted(live: LiveServer) -> None:
    county, prefecture = live.client("dingri_duty"), live.client("xigaze_commander")
    ev = event(county)
    first = submit(county, ev["id"], T1, affected=100, deaths=2).json()
    second = submit(county, ev["id"], T2, affected=10).json()
    done = review_many(county, [second["id"], first["id"], 2_000_000_000])
    assert [r["report_id"] for r in done.json()["results"]] == [second["id"], first["id"], 2_000_000_000]
    results = by_id(done)
    assert results[first["id"]]["status"] == 200 and results[first["id"]]["report"]["status"] == "county_accepted"
    assert results[first["id"]]["report"]["reviews"][0]["level"] == "county"
    assert results[second["id"]]["status"] == 200
    assert results[2_000_000_000] == {
        "report_id": 2_000_000_000, "status": 404, "code": "not_found", "detail": "disaster report not found",
        "report": None,
    }  # fmt: skip
    totals = county.get(f"/api/v1/disasters/events/{ev['id']}/totals").json()["totals"]
    assert totals["540223000000"]["affected"] == 110
    # accepted by the county: a second pass by the county is 403 for each (the prefecture's turn), the prefecture's
    # pass accepts them; a third, 409 (awaits no review at the prefecture's level... after the province: none)
    again = by_id(review_many(county, [first["id"]]))
    assert again[first["id"]]["status"] == 403 and again[first["id"]]["code"] == "forbidden"
    up = by_id(review_many(prefecture, [first["id"], second["id"]]))
    assert {r["report"]["status"] for r in up.values()} == {"prefecture_accepted"}
    returned = review(county, submit(county, ev["id"], T1, affected=101, deaths=2).json()["id"], "return", "缺失踪")
    final = by_id(review_many(county, [returned.json()["id"]]))
    assert final[returned.json()["id"]]["status"] == 409 and final[returned.json()["id"]]["code"] == "conflict"


def test_a_refused_report_is_left_as_it_was_and_the_others_are_reviewed(live: LiveServer) -> None:
    county, prefecture = live.client("dingri_duty"), live.client("xigaze_commander")
    ev = event(county)
    waiting = submit(county, ev["id"], T1, affected=5).json()
    accepted = submit(county, ev["id"], T2, affected=6).json()
    review(county, accepted["id"])
    # the prefecture may act on the accepted one, not on the one still waiting for its county
    results = by_id(review_many(prefecture, [waiting["id"], accepted["id"]]))
    assert results[waiting["id"]]["status"] == 403 and results[accepted["id"]]["status"] == 200
    assert county.get(f"/api/v1/disasters/reports/{waiting['id']}").json()["reviews"] == []
    assert county.get(f"/api/v1/disasters/reports/{waiting['id']}").json()["status"] == "submitted"


def test_another_countys_report_is_not_found_and_untouched(live: LiveServer) -> None:
    dingri, lazi = live.client("dingri_duty"), live.client("lazi_duty")
    prefecture_event = event(live.client("xigaze_commander"), division="540200000000")
    own = submit(dingri, prefecture_event["id"], T1, affected=1).json()
    foreign = submit(lazi, prefecture_event["id"], LAZI_T, affected=2).json()
    results = by_id(review_many(dingri, [foreign["id"], own["id"]]))
    assert results[foreign["id"]] == {
        "report_id": foreign["id"], "status": 404, "code": "not_found", "detail": "disaster report not found",
        "report": None,
    }  # fmt: skip
    assert review(dingri, foreign["id"]).json()["detail"] == results[foreign["id"]]["detail"]  # the same answer
    assert results[own["id"]]["status"] == 200
    assert lazi.get(f"/api/v1/disasters/reports/{foreign['id']}").json()["status"] == "submitted"


def test_the_whole_request_is_refused_without_the_permission_or_a_reason(live: LiveServer) -> None:
    county = live.client("dingri_duty")
    ev = event(county)
    report = submit(county, ev["id"], T1, affected=5).json()
    assert review_many(live.client("dingri_analyst"), [report["id"]]).status_code == 403
    refused = review_many(county, [report["id"]], "return")
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    assert review_many(county, [report["id"], report["id"]]).status_code == 422  # named twice
    assert review_many(county, []).status_code == 422
    assert review_many(county, list(range(1, 202))).status_code == 422  # over 200 at once
    assert live.client().post(URL, json={"report_ids": [report["id"]], "action": "accept"}).status_code == 401
    returned = by_id(review_many(county, [report["id"]], "return", "乡镇数据缺少失踪人口"))[report["id"]]
    assert returned["report"]["status"] == "returned" and returned["report"]["return_reason"] == "乡镇数据缺少失踪人口"


def test_each_review_is_audited_and_the_linked_incident_follows(live: LiveServer) -> None:
    from tests.positions import position_in

    county, admin = live.client("dingri_duty"), live.client("admin")
    lon, lat = position_in(["540223000000"])
    body = {"title": "定日县洪涝", "incident_type": "flood", "divisions": ["540223000000"], "lon": lon, "lat": lat,
            "occurred_at": "2026-07-01T02:00:00Z"}  # fmt: skip
    incident = county.post("/api/v1/incidents", json=body).json()
    ev = event(county, incident_id=incident["id"])
    ids = [submit(county, ev["id"], t, affected=900, deaths=60).json()["id"] for t in (T1, T2)]
    assert {r["status"] for r in review_many(county, ids).json()["results"]} == {200}
    trail = admin.get("/api/v1/audit", params={"entity": "disaster_report", "limit": 1000}).json()
    items = trail["items"] if isinstance(trail, dict) else trail
    accepts = [i for i in items if i["action"] == "accept" and int(i["entity_id"]) in ids]
    assert sorted(int(i["entity_id"]) for i in accepts) == sorted(ids)
    assert all(i["before"]["status"] == "submitted" and i["after"]["status"] == "county_accepted" for i in accepts)
    assert county.get(f"/api/v1/incidents/{incident['id']}").json()["figures"]["deaths"] == 120
