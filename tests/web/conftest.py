"""Web fixtures: one incident in each of two sibling counties, made through the real API."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from tests.conftest import LiveServer

OWN_SECRET, FOREIGN_SECRET = "定日县测试事件-仅本县可见", "拉孜县测试事件-他县不可见"


@dataclass
class WebData:
    live: LiveServer
    own_incident: int
    foreign_incident: int


def make_incident(
    live: LiveServer,
    user: str,
    title: str,
    county: str,
    lon: float,
    lat: float,
    incident_type: str = "geological_hazard",
) -> int:
    client = live.client(user)
    r = client.post(
        "/api/v1/incidents",
        json={
            "title": title,
            "incident_type": incident_type,
            "lon": lon,
            "lat": lat,
            "divisions": [county],
            "occurred_at": "2026-11-28T08:00:00+08:00",
            "figures": {"deaths": 1},
        },
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


@pytest.fixture(scope="module")
def web(live: LiveServer) -> WebData:
    return WebData(
        live=live,
        own_incident=make_incident(live, "dingri_duty", OWN_SECRET, "540223", 87.1, 28.6),
        foreign_incident=make_incident(live, "lazi_duty", FOREIGN_SECRET, "540225", 87.6, 29.1),
    )
