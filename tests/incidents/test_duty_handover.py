"""Duty shifts handed over with the matters then open and acknowledged by the next shift (接班确认), over
real HTTP on both backends."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from tests.conftest import DEMO_PASSWORD, LiveServer

NEXT = "dingri_next_shift"


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def shift(client: httpx.Client, start: dt.datetime, hours: int = 12, code: str = "540223000000") -> dict:
    end = start + dt.timedelta(hours=hours)
    body = {
        "division_code": code,
        "starts_at": start.isoformat(),
        "ends_at": end.isoformat(),
        "leader": "带班领导甲",
        "officers": ["值班员乙"],
    }
    r = client.post("/api/v1/duty/shifts", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


@pytest.fixture(scope="module")
def next_shift(live: LiveServer) -> httpx.Client:
    r = live.client("admin").post(
        "/api/v1/users",
        json={
            "username": NEXT,
            "password": DEMO_PASSWORD,
            "role": "duty_officer",
            "division_code": "540223000000",
            "display_name": "定日县接班员",
        },
    )
    assert r.status_code in (201, 409), r.text
    return live.client(NEXT)


def test_a_handover_carries_the_open_matters_and_not_the_closed_ones(live: LiveServer) -> None:
    api = live.client("dingri_duty")
    item = api.post(
        "/api/v1/duty/items",
        json={"division_code": "540223000000", "channel": "phone", "summary": "交接测试来电-未处理"},
    ).json()
    closed = api.post(
        "/api/v1/duty/items",
        json={"division_code": "540223000000", "channel": "phone", "summary": "交接测试来电-已办结"},
    ).json()
    assert api.post(f"/api/v1/duty/items/{closed['id']}/close", json={"reason": "误报"}).status_code == 200
    incident = api.post(
        "/api/v1/incidents",
        json={
            "title": "交接测试事件",
            "incident_type": "geological_hazard",
            "lon": 87.1,
            "lat": 28.6,
            "divisions": ["540223"],
            "occurred_at": "2026-11-28T08:00:00+08:00",
        },
    ).json()
    s = shift(api, now() - dt.timedelta(hours=1))
    r = api.post(f"/api/v1/duty/shifts/{s['id']}/handover", json={"note": "注意夜间降雨"})
    assert r.status_code == 200, r.text
    assert r.json()["handover_note"] == "注意夜间降雨" and r.json()["handed_over_by"] == "dingri_duty"
    handed = api.get(f"/api/v1/duty/shifts/{s['id']}/handover").json()
    matters = {(m["kind"], m["id"]) for m in handed["items"]}
    assert ("duty_item", item["id"]) in matters and ("incident", incident["id"]) in matters
    assert ("duty_item", closed["id"]) not in matters
    assert handed["acknowledged_at"] is None


def test_the_next_shift_acknowledges_once(live: LiveServer, next_shift: httpx.Client) -> None:
    api = live.client("dingri_duty")
    s = shift(api, now() - dt.timedelta(hours=2))
    assert api.post(f"/api/v1/duty/shifts/{s['id']}/handover", json={"note": "无异常"}).status_code == 200
    r = next_shift.post(f"/api/v1/duty/shifts/{s['id']}/acknowledge")
    assert r.status_code == 200, r.text
    assert r.json()["acknowledged_by"] == NEXT and r.json()["acknowledged_at"]
    assert next_shift.post(f"/api/v1/duty/shifts/{s['id']}/acknowledge").status_code == 409


def test_who_handed_over_cannot_acknowledge_it(live: LiveServer) -> None:
    api = live.client("dingri_duty")
    s = shift(api, now() - dt.timedelta(hours=3))
    assert api.post(f"/api/v1/duty/shifts/{s['id']}/handover", json={"note": "x"}).status_code == 200
    r = api.post(f"/api/v1/duty/shifts/{s['id']}/acknowledge")
    assert r.status_code == 422
    assert api.get(f"/api/v1/duty/shifts/{s['id']}/handover").json()["acknowledged_at"] is None


def test_a_shift_is_handed_over_once_and_not_before_it_begins(live: LiveServer) -> None:
    api = live.client("dingri_duty")
    later = shift(api, now() + dt.timedelta(days=2))
    assert api.post(f"/api/v1/duty/shifts/{later['id']}/handover", json={"note": "x"}).status_code == 409
    assert api.get(f"/api/v1/duty/shifts/{later['id']}/handover").status_code == 404
    s = shift(api, now() - dt.timedelta(hours=4))
    assert api.post(f"/api/v1/duty/shifts/{s['id']}/handover", json={"note": "第一次"}).status_code == 200
    assert api.post(f"/api/v1/duty/shifts/{s['id']}/handover", json={"note": "第二次"}).status_code == 409
    assert api.get(f"/api/v1/duty/shifts/{s['id']}/handover").status_code == 200


def test_an_unhanded_shift_cannot_be_acknowledged(live: LiveServer, next_shift: httpx.Client) -> None:
    s = shift(live.client("dingri_duty"), now() - dt.timedelta(hours=5))
    assert next_shift.post(f"/api/v1/duty/shifts/{s['id']}/acknowledge").status_code == 404


def test_a_handover_is_audited(live: LiveServer, next_shift: httpx.Client) -> None:
    api = live.client("dingri_duty")
    s = shift(api, now() - dt.timedelta(hours=6))
    api.post(f"/api/v1/duty/shifts/{s['id']}/handover", json={"note": "审计"})
    next_shift.post(f"/api/v1/duty/shifts/{s['id']}/acknowledge")
    r = live.client("admin").get("/api/v1/audit", params={"entity": "duty_handover", "limit": 100})
    assert r.status_code == 200, r.text
    actions = {(e["action"], e["actor"]) for e in r.json()["items"]}
    assert ("create", "dingri_duty") in actions and ("acknowledge", NEXT) in actions
