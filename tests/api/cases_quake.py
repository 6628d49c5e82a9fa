"""Jurisdiction cases of the quake routes (see test_jurisdiction.py): a user of 定日 (540223) can neither run
an assessment for an earthquake that does not reach 定日, nor read, list, map or print 拉孜's (540225)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.api.cases_foundation import Ctx

# An earthquake near 定日 shaking several counties, and a small one inside 拉孜 that does not reach 定日.
NEAR_OWN = {
    "lon": 87.45,
    "lat": 28.5,
    "depth_km": 10,
    "magnitude": 6.0,
    "step_deg": 0.05,
    "origin_time": "2025-01-07T01:05:16+00:00",
}
FOREIGN_ONLY = {
    "lon": 87.75,
    "lat": 29.3,
    "depth_km": 10,
    "magnitude": 4.5,
    "step_deg": 0.02,
    "origin_time": "2025-01-08T01:00:00+00:00",
}
PATH = "/api/v1/quake/assessments"


def _created(response: Any) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def foreign_assessment(c: Ctx) -> dict[str, Any]:
    return _created(c.foreign_admin.post(PATH, json=FOREIGN_ONLY))


def assess(c: Ctx) -> None:
    assert c.own.post(PATH, json=FOREIGN_ONLY).status_code == 404
    foreign_incident = c.foreign_admin.post(
        "/api/v1/incidents",
        json={
            "title": "拉孜地震",
            "incident_type": "earthquake",
            "divisions": ["540225000000"],
            "lon": 87.75,
            "lat": 29.3,
            "occurred_at": "2025-01-08T01:00:00+00:00",
        },
    ).json()
    r = c.own.post(PATH, json={**NEAR_OWN, "incident_id": foreign_incident["id"]})
    assert r.status_code == 404
    timeline = c.foreign_admin.get(f"/api/v1/incidents/{foreign_incident['id']}/timeline").json()
    assert all(e["kind"] != "quake_assessment" for e in timeline["items"])
    own = _created(c.own.post(PATH, json=NEAR_OWN))
    assert own["divisions"] and all(code.startswith("540223") for code in own["divisions"])
    assert all(r["code"].startswith("540223") for r in own["exposure_by_division"])
    assert all(s["id"][5:].startswith("540223") for s in own["results"]["geohazards"])


def assessments_list(c: Ctx) -> None:
    foreign = foreign_assessment(c)
    items = c.own.get(PATH, params={"limit": 1000}).json()["items"]
    assert foreign["id"] not in {i["id"] for i in items}
    assert foreign["id"] in {i["id"] for i in c.foreign_admin.get(PATH, params={"limit": 1000}).json()["items"]}


def assessment_get(c: Ctx) -> None:
    foreign = foreign_assessment(c)
    assert c.own.get(f"{PATH}/{foreign['id']}").status_code == 404
    assert c.foreign_admin.get(f"{PATH}/{foreign['id']}").status_code == 200


def assessment_zones(c: Ctx) -> None:
    foreign = foreign_assessment(c)
    assert c.own.get(f"{PATH}/{foreign['id']}/zones").status_code == 404
    assert c.foreign_admin.get(f"{PATH}/{foreign['id']}/zones").json()["type"] == "FeatureCollection"


def assessment_report(c: Ctx) -> None:
    foreign = foreign_assessment(c)
    r = c.own.get(f"{PATH}/{foreign['id']}/report")
    assert r.status_code == 404 and "地震灾害快速评估报告" not in r.text
    assert "地震灾害快速评估报告" in c.foreign_admin.get(f"{PATH}/{foreign['id']}/report").text


CASES: dict[tuple[str, str], Callable[[Ctx], None]] = {
    ("POST", PATH): assess,
    ("GET", PATH): assessments_list,
    ("GET", PATH + "/{assessment_id}"): assessment_get,
    ("GET", PATH + "/{assessment_id}/zones"): assessment_zones,
    ("GET", PATH + "/{assessment_id}/report"): assessment_report,
}
