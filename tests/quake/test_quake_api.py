"""The quake routes over real HTTP: run, list, read, zones, report; bad input is a 422 that stores nothing."""

from __future__ import annotations

from tests.conftest import LiveServer

PATH = "/api/v1/quake/assessments"
DINGRI = {
    "lon": 87.45,
    "lat": 28.5,
    "depth_km": 10,
    "magnitude": 6.8,
    "magnitude_type": "Ms",
    "step_deg": 0.05,
    "origin_time": "2025-01-07T01:05:16Z",
    "at": "2025-01-07T03:00:00Z",
}


def test_an_assessment_runs_and_reads_back(live: LiveServer) -> None:
    client = live.client("xigaze_duty")
    r = client.post(PATH, json=DINGRI)
    assert r.status_code == 201, r.text
    created = r.json()
    assert created["population_source"].startswith("demo data")
    assert created["results"]["zones"][0]["intensity"] == 6
    assert created["results"]["fatalities"]["alert"] in ("green", "yellow", "orange", "red")
    got = client.get(f"{PATH}/{created['id']}").json()
    assert got["results"] == created["results"]
    assert created["id"] in {i["id"] for i in client.get(PATH).json()["items"]}
    zones = client.get(f"{PATH}/{created['id']}/zones").json()
    assert len(zones["features"]) == len(created["results"]["zones"])
    report = client.get(f"{PATH}/{created['id']}/report")
    assert report.headers["content-type"].startswith("text/html") and "<svg" in report.text


def test_bad_input_is_a_problem_and_stores_nothing(live: LiveServer) -> None:
    client = live.client("xigaze_duty")
    before = client.get(PATH).json()["total"]
    for change in ({"magnitude": 9.5}, {"lon": -40.0, "lat": 10.0}, {"step_deg": 0.001}, {"region": "atlantis"}):
        r = client.post(PATH, json={**DINGRI, **change})
        assert r.status_code == 422, (change, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert client.get(PATH).json()["total"] == before


def test_assessing_needs_a_token(live: LiveServer) -> None:
    assert live.client().post(PATH, json=DINGRI).status_code == 401


def test_an_assessment_creates_its_incident_with_a_timeline_link(live: LiveServer) -> None:
    client = live.client("dingri_duty")
    created = client.post("/api/v1/quake/assessments", json={**DINGRI, "create_incident": True}).json()
    incident_id = created["incident_id"]
    assert incident_id is not None
    incident = client.get(f"/api/v1/incidents/{incident_id}").json()
    assert incident["incident_type"] == "earthquake"
    timeline = client.get(f"/api/v1/incidents/{incident_id}/timeline").json()["items"]
    assert any(e["kind"] == "quake_assessment" and e["data"]["assessment_id"] == created["id"] for e in timeline)
    assert created["id"] in {a["id"] for a in client.get(PATH, params={"incident_id": incident_id}).json()["items"]}
