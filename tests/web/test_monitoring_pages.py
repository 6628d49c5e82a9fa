"""Alarm console and warnings pages: what a user of 定日 sees, never 拉孜's alarms or warnings (pages,
fragments, layers, form actions), the trend chart, and the issue form with errors beside the fields."""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx
import pytest
from tests.conftest import LiveServer
from tests.web.test_pages import browser, csrf_of

OWN_SITE, FOREIGN_SITE = "定日县测试监测点-仅本县", "拉孜县测试监测点-他县不可见"
FOREIGN_WARNING = "拉孜县测试预警-他县不可见"


@dataclass
class Alarms:
    live: LiveServer
    own_alarm: int
    foreign_alarm: int


def _alarm(live: LiveServer, admin: str, password: str | None, county: str, code: str, name: str) -> int:
    client = live.client(admin) if password is None else live.client(admin, password)
    r = client.post("/api/v1/monitoring/sites", json={
        "code": code, "name": name, "kind": "landslide", "division_code": county, "lon": 87.3, "lat": 28.8,
        "sensors": [{"code": f"{code}-S1", "quantity": "displacement", "unit": "mm"}],
        "rules_yaml": "rules:\n  - {id: d-high, kind: limit, high: 10.0, priority: high}\n"})
    assert r.status_code == 201, r.text
    token = client.post("/api/v1/tokens", json={"name": code}).json()["token"]
    body = [{"sensor_id": f"{code}-S1", "ts": f"2026-07-01T08:0{i}:00+08:00", "value": v}
            for i, v in enumerate([1.0, 2.0, 12.0, 13.0])]
    machine = httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token}"})
    assert machine.post("/api/v1/readings", content=json.dumps(body)).json()["alarms_raised"] == 1
    items = client.get("/api/v1/alarms", params={"site_id": r.json()["id"]}).json()["items"]
    return int(items[0]["id"])


@pytest.fixture(scope="module")
def alarms(live: LiveServer) -> Alarms:
    national = live.client("admin")
    for name, division in (("dingri_mon", "540223"), ("lazi_mon", "540225")):
        national.post("/api/v1/users", json={"username": name, "password": "Correct-horse-9!", "role": "admin",
                                             "division_code": division})
    own = _alarm(live, "dingri_mon", "Correct-horse-9!", "540223", "PG-OWN", OWN_SITE)
    foreign = _alarm(live, "lazi_mon", "Correct-horse-9!", "540225", "PG-FOREIGN", FOREIGN_SITE)
    lazi = live.client("lazi_mon", "Correct-horse-9!")
    r = lazi.post("/api/v1/warnings", json={"colour": "red", "type": "rainstorm", "headline": FOREIGN_WARNING,
                                             "area": {"polygons": ["29.0,87.5 29.2,87.6 29.1,87.8"],
                                                      "divisions": ["540225"]}})
    assert r.status_code == 201, r.text
    return Alarms(live, own, foreign)


def test_console_lists_own_alarms_only(alarms: Alarms) -> None:
    client = browser(alarms.live, "dingri_duty")
    for url in ("/alarms", "/alarms?fragment=rows"):
        page = client.get(url)
        assert page.status_code == 200 and OWN_SITE in page.text and FOREIGN_SITE not in page.text
        assert f'data-alarm="{alarms.own_alarm}"' in page.text


def test_alarm_page_shows_the_trend_and_hides_foreign_alarms(alarms: Alarms) -> None:
    client = browser(alarms.live, "dingri_duty")
    page = client.get(f"/alarms/{alarms.own_alarm}")
    assert page.status_code == 200 and "<svg class=\"trend\"" in page.text and "<polyline" in page.text
    foreign = client.get(f"/alarms/{alarms.foreign_alarm}")
    assert foreign.status_code == 404 and FOREIGN_SITE not in foreign.text
    assert client.get("/alarms/99999999999").status_code in (404, 422)


@pytest.mark.parametrize("action", ["acknowledge", "shelve"])
def test_actions_on_a_foreign_alarm_are_not_found(alarms: Alarms, action: str) -> None:
    client = browser(alarms.live, "dingri_duty")
    r = client.post(f"/alarms/{alarms.foreign_alarm}/{action}",
                    data={"csrf_token": csrf_of(client), "minutes": "10", "reason": "x"})
    assert r.status_code == 404 and FOREIGN_SITE not in r.text
    lazi = alarms.live.client("lazi_mon", "Correct-horse-9!")
    assert lazi.get(f"/api/v1/alarms/{alarms.foreign_alarm}").json()["state"] == "unacknowledged"


def test_shelve_form_shows_errors_beside_the_fields(alarms: Alarms) -> None:
    client = browser(alarms.live, "dingri_duty")
    r = client.post(f"/alarms/{alarms.own_alarm}/shelve", data={"csrf_token": csrf_of(client), "minutes": "x",
                                                                 "reason": "calibration"})
    assert r.status_code == 422 and 'data-field="minutes"' in r.text


def test_layers_show_own_sites_and_warnings_only(alarms: Alarms) -> None:
    client = browser(alarms.live, "dingri_duty")
    points = client.get("/map/layers/alarms").json()["features"]
    assert points and all(FOREIGN_SITE not in f["properties"]["label"] for f in points)
    areas = client.get("/map/layers/warnings").json()["features"]
    assert all(f["properties"]["label"] != FOREIGN_WARNING for f in areas)
    assert browser(alarms.live).get("/map/layers/alarms").status_code == 401


def test_warnings_page_issues_and_hides_foreign_warnings(alarms: Alarms) -> None:
    client = browser(alarms.live, "xigaze_commander")
    dingri = browser(alarms.live, "dingri_duty")
    assert FOREIGN_WARNING not in dingri.get("/warnings").text
    r = client.post("/warnings", data={"csrf_token": csrf_of(client), "colour": "orange", "type": "rainstorm",
                                        "headline": "日喀则市暴雨橙色预警", "polygon": "28.5,87.0 28.7,87.1 28.6,87.3"})
    assert r.status_code == 303, r.text
    page = client.get("/warnings")
    assert "日喀则市暴雨橙色预警" in page.text and "warning-map" in page.text
    bad = client.post("/warnings", data={"csrf_token": csrf_of(client), "colour": "orange", "type": "rainstorm",
                                          "headline": ""})
    assert bad.status_code == 422 and 'data-field="headline"' in bad.text
    assert client.post("/warnings", data={"csrf_token": "wrong", "headline": "x"}).status_code == 403


def test_imported_warning_areas_are_drawn(alarms: Alarms) -> None:
    from yingji.warnings import cap

    sender = cap.sender_code("540100", "001")
    sent = 1_782_900_000_000
    area = cap.Area("定日", polygons=(cap.parse_polygon("28.5,87.0 28.7,87.1 28.6,87.3"),),
                    circles=(cap.Circle(28.6, 87.2, 5.0),))
    xml = cap.build(cap.WarningMessage(sender=sender, identifier=cap.make_identifier(sender, sent), sent=sent,
                                       colour="blue", type="rainstorm", headline="外部接入预警-定日", area=area))
    dingri = alarms.live.client("dingri_mon", "Correct-horse-9!")
    assert dingri.post("/api/v1/warnings/import", json={"xml": xml.decode()}).json()["imported"] == 1
    client = browser(alarms.live, "dingri_duty")
    features = client.get("/map/layers/warnings").json()["features"]
    drawn = [f for f in features if f["properties"]["label"] == "外部接入预警-定日"]
    assert drawn and len(drawn[0]["geometry"]["coordinates"]) == 2
