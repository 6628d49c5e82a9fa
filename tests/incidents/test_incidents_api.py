"""Command routes through real HTTP: concurrent edits never lose a write; a stale version answers 409 with
the current state; a response activated over HTTP creates the plan's tasks."""

from __future__ import annotations

import threading
from typing import Any

import httpx
from tests.conftest import LiveServer

DINGRI = "540223000000"


def new_incident(client: httpx.Client, **extra: Any) -> dict[str, Any]:
    body = {
        "title": "定日县洪涝",
        "incident_type": "flood",
        "divisions": [DINGRI],
        "lon": 87.1,
        "lat": 28.6,
        "occurred_at": "2026-07-01T01:00:00+00:00",
        **extra,
    }
    response = client.post("/api/v1/incidents", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def test_concurrent_figure_edits_never_lose_a_write(live: LiveServer) -> None:
    incident = new_incident(live.client("dingri_duty"), figures={"relocated": 0})
    url = f"/api/v1/incidents/{incident['id']}"
    writers, increments = 4, 3
    conflicts: list[int] = []

    def add_relocated(worker: int) -> None:
        client = live.client("dingri_duty")
        for step in range(increments):
            while True:  # read-modify-write, retried on 409
                current = client.get(url).json()
                figures = {"relocated": current["figures"]["relocated"] + 1}
                r = client.post(
                    url + "/figures",
                    json={"version": current["version"], "source": f"worker {worker} step {step}", "figures": figures},
                )
                if r.status_code == 409:
                    conflicts.append(worker)
                    continue
                assert r.status_code == 200, r.text
                break

    threads = [threading.Thread(target=add_relocated, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    client = live.client("dingri_duty")
    final = client.get(url).json()
    assert final["figures"]["relocated"] == writers * increments
    assert final["version"] == 1 + writers * increments
    history = client.get(url + "/figures").json()
    assert len(history) == 1 + writers * increments


def test_a_stale_version_answers_409_with_the_current_state(live: LiveServer) -> None:
    client = live.client("dingri_duty")
    incident = new_incident(client)
    url = f"/api/v1/incidents/{incident['id']}"
    assert client.patch(url, json={"version": 1, "title": "第一次修改"}).status_code == 200
    stale = client.patch(url, json={"version": 1, "title": "第二次修改"})
    assert stale.status_code == 409
    assert stale.headers["content-type"].startswith("application/problem+json")
    body = stale.json()
    assert body["code"] == "stale_version" and body["current_version"] == 2
    assert body["current"]["title"] == "第一次修改" and body["current"]["version"] == 2


def test_activation_over_http_creates_plan_tasks_that_can_be_acknowledged(live: LiveServer) -> None:
    duty, commander = live.client("dingri_duty"), live.client("xigaze_commander")
    incident = new_incident(duty, figures={"deaths": 40, "missing": 0})
    url = f"/api/v1/incidents/{incident['id']}"
    assert incident["recommended_level"] == 4
    verified = duty.post(url + "/status", json={"version": 1, "status": "verified"}).json()
    active = commander.post(url + "/response", json={"version": verified["version"], "action": "activate", "level": 3})
    assert active.status_code == 200, active.text
    assert active.json()["status"] == "responding"
    tasks = duty.get(url + "/tasks").json()
    assert {t["plan_task_key"] for t in tasks} == {"verify", "relocate", "supplies"}
    acked = duty.patch(f"/api/v1/tasks/{tasks[0]['id']}", json={"status": "acknowledged"}).json()
    assert acked["acknowledged_by"] == "dingri_duty"
    kinds = [e["kind"] for e in duty.get(url + "/timeline").json()["items"]]
    assert {"created", "grading", "status", "plan", "response.activate", "task"} <= set(kinds)
