"""Alarm console and warnings pages: what a user of 定日 sees, never 拉孜's alarms, warnings or officials
(pages, fragments, layers, form actions), the trend chart, the live count fragment, notes and promotion
to an incident, a warning's page (update, cancel, call-and-acknowledge), the officials page, and the
forms' errors beside the fields."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import httpx
import pytest
from tests.conftest import LiveServer
from tests.positions import position_in
from tests.web.test_pages import browser, csrf_of

OWN_SITE, FOREIGN_SITE = "定日县测试监测点-仅本县", "拉孜县测试监测点-他县不可见"
FOREIGN_WARNING = "拉孜县测试预警-他县不可见"
FOREIGN_OFFICIAL = "拉孜县测试责任人-他县不可见"


@dataclass
class Alarms:
    live: LiveServer
    own_alarm: int
    foreign_alarm: int
    foreign_warning: int


def _alarm(live: LiveServer, admin: str, password: str | None, county: str, code: str, name: str) -> int:
    client = live.client(admin) if password is None else live.client(admin, password)
    r = client.post(
        "/api/v1/monitoring/sites",
        json={
            "code": code,
            "name": name,
            "kind": "landslide",
            "division_code": county,
            "lon": position_in(county)[0],
            "lat": position_in(county)[1],
            "sensors": [{"code": f"{county}-{code}-S1", "quantity": "displacement", "unit": "mm"}],
            "rules_yaml": "rules:\n  - {id: d-high, kind: limit, high: 10.0, priority: high}\n",
        },
    )
    assert r.status_code == 201, r.text
    token = client.post("/api/v1/tokens", json={"name": code}).json()["token"]
    body = [
        {"sensor_id": f"{county}-{code}-S1", "ts": f"2026-07-01T08:0{i}:00+08:00", "value": v}
        for i, v in enumerate([1.0, 2.0, 12.0, 13.0])
    ]
    machine = httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token}"})
    assert machine.post("/api/v1/readings", content=json.dumps(body)).json()["alarms_raised"] == 1
    items = client.get("/api/v1/alarms", params={"site_id": r.json()["id"]}).json()["items"]
    return int(items[0]["id"])


@pytest.fixture(scope="module")
def alarms(live: LiveServer) -> Alarms:
    national = live.client("admin")
    for name, division in (("dingri_mon", "540223"), ("lazi_mon", "540225")):
        national.post(
            "/api/v1/users",
            json={"username": name, "password": "Correct-horse-9!", "role": "admin", "division_code": division},
        )
    own = _alarm(live, "dingri_mon", "Correct-horse-9!", "540223", "PG-OWN", OWN_SITE)
    foreign = _alarm(live, "lazi_mon", "Correct-horse-9!", "540225", "PG-FOREIGN", FOREIGN_SITE)
    lazi = live.client("lazi_mon", "Correct-horse-9!")
    r = lazi.post(
        "/api/v1/warnings/officials",
        json={"name": FOREIGN_OFFICIAL, "division_code": "540225", "contact": "smtp:lazi@example.org"},
    )
    assert r.status_code == 201, r.text
    r = lazi.post(
        "/api/v1/warnings",
        json={
            "colour": "red",
            "type": "rainstorm",
            "headline": FOREIGN_WARNING,
            "area": {"polygons": ["29.0,87.5 29.2,87.6 29.1,87.8"], "divisions": ["540225"]},
        },
    )
    assert r.status_code == 201, r.text
    return Alarms(live, own, foreign, int(r.json()["id"]))


def test_console_lists_own_alarms_only(alarms: Alarms) -> None:
    client = browser(alarms.live, "dingri_duty")
    for url in ("/alarms", "/alarms?fragment=rows"):
        page = client.get(url)
        assert page.status_code == 200 and OWN_SITE in page.text and FOREIGN_SITE not in page.text
        assert f'data-alarm="{alarms.own_alarm}"' in page.text


def test_alarm_page_shows_the_trend_and_hides_foreign_alarms(alarms: Alarms) -> None:
    client = browser(alarms.live, "dingri_duty")
    page = client.get(f"/alarms/{alarms.own_alarm}")
    assert page.status_code == 200 and '<svg class="trend"' in page.text and "<polyline" in page.text
    foreign = client.get(f"/alarms/{alarms.foreign_alarm}")
    assert foreign.status_code == 404 and FOREIGN_SITE not in foreign.text
    assert client.get("/alarms/99999999999").status_code in (404, 422)


@pytest.mark.parametrize("action", ["acknowledge", "shelve"])
def test_actions_on_a_foreign_alarm_are_not_found(alarms: Alarms, action: str) -> None:
    client = browser(alarms.live, "dingri_duty")
    r = client.post(
        f"/alarms/{alarms.foreign_alarm}/{action}", data={"csrf_token": csrf_of(client), "minutes": "10", "reason": "x"}
    )
    assert r.status_code == 404 and FOREIGN_SITE not in r.text
    lazi = alarms.live.client("lazi_mon", "Correct-horse-9!")
    assert lazi.get(f"/api/v1/alarms/{alarms.foreign_alarm}").json()["state"] == "unacknowledged"


def test_shelve_form_shows_errors_beside_the_fields(alarms: Alarms) -> None:
    client = browser(alarms.live, "dingri_duty")
    r = client.post(
        f"/alarms/{alarms.own_alarm}/shelve",
        data={"csrf_token": csrf_of(client), "minutes": "x", "reason": "calibration"},
    )
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
    r = client.post(
        "/warnings",
        data={
            "csrf_token": csrf_of(client),
            "colour": "orange",
            "type": "rainstorm",
            "headline": "日喀则市暴雨橙色预警",
            "polygon": "28.5,87.0 28.7,87.1 28.6,87.3",
        },
    )
    assert r.status_code == 303, r.text
    page = client.get("/warnings")
    assert "日喀则市暴雨橙色预警" in page.text and "warning-map" in page.text
    bad = client.post(
        "/warnings", data={"csrf_token": csrf_of(client), "colour": "orange", "type": "rainstorm", "headline": ""}
    )
    assert bad.status_code == 422 and 'data-field="headline"' in bad.text
    assert client.post("/warnings", data={"csrf_token": "wrong", "headline": "x"}).status_code == 403


def test_imported_warning_areas_are_drawn(alarms: Alarms) -> None:
    from yingji.warnings import cap

    sender = cap.sender_code("540100", "001")
    sent = 1_782_900_000_000
    area = cap.Area(
        "定日", polygons=(cap.parse_polygon("28.5,87.0 28.7,87.1 28.6,87.3"),), circles=(cap.Circle(28.6, 87.2, 5.0),)
    )
    xml = cap.build(
        cap.WarningMessage(
            sender=sender,
            identifier=cap.make_identifier(sender, sent),
            sent=sent,
            colour="blue",
            type="rainstorm",
            headline="外部接入预警-定日",
            area=area,
        )
    )
    dingri = alarms.live.client("dingri_mon", "Correct-horse-9!")
    assert dingri.post("/api/v1/warnings/import", json={"xml": xml.decode()}).json()["imported"] == 1
    client = browser(alarms.live, "dingri_duty")
    features = client.get("/map/layers/warnings").json()["features"]
    drawn = [f for f in features if f["properties"]["label"] == "外部接入预警-定日"]
    assert drawn and len(drawn[0]["geometry"]["coordinates"]) == 2


# -- the live count, notes and promotion ------------------------------------------------------------------


def _unacknowledged(live: LiveServer, user: str, password: str | None = None) -> int:
    client = live.client(user) if password is None else live.client(user, password)
    items = client.get("/api/v1/alarms", params={"limit": 500}).json()["items"]
    return sum(a["state"] in ("unacknowledged", "rtn_unacknowledged") for a in items)


def test_count_fragment_counts_own_unacknowledged_alarms_only(alarms: Alarms) -> None:
    client = browser(alarms.live, "dingri_duty")
    body = client.get("/alarms?fragment=count").text
    count = re.search(r'id="unack-count" data-count="(\d+)"', body)
    assert count and int(count.group(1)) == _unacknowledged(alarms.live, "dingri_duty")
    assert FOREIGN_SITE not in body and 'id="unack-count"' in client.get("/alarms").text
    lazi = browser(alarms.live, "lazi_duty").get("/alarms?fragment=count").text
    assert re.search(r'data-count="(\d+)"', lazi).group(1) == str(  # type: ignore[union-attr]
        _unacknowledged(alarms.live, "lazi_mon", "Correct-horse-9!")
    )


@pytest.mark.parametrize("action", ["note", "promote", "unshelve", "suppress", "out-of-service"])
def test_note_promote_and_unshelve_on_a_foreign_alarm_are_not_found(alarms: Alarms, action: str) -> None:
    client = browser(alarms.live, "dingri_duty")
    r = client.post(
        f"/alarms/{alarms.foreign_alarm}/{action}",
        data={
            "csrf_token": csrf_of(client),
            "text": "x",
            "incident_type": "geological_hazard",
            "on": "1",
            "reason": "x",
        },
    )
    assert r.status_code == 404 and FOREIGN_SITE not in r.text
    lazi = alarms.live.client("lazi_mon", "Correct-horse-9!")
    assert lazi.get(f"/api/v1/alarms/{alarms.foreign_alarm}").json()["incident_id"] is None
    assert client.post("/alarms/99999999999/note", data={"csrf_token": csrf_of(client), "text": "x"}).status_code in (
        404,
        422,
    )


def test_a_shelved_alarm_is_unshelved_from_its_page(alarms: Alarms) -> None:
    client = browser(alarms.live, "dingri_duty")
    api = alarms.live.client("dingri_mon", "Correct-horse-9!")
    r = client.post(
        f"/alarms/{alarms.own_alarm}/shelve", data={"csrf_token": csrf_of(client), "minutes": "30", "reason": "标定"}
    )
    assert r.status_code == 303 and api.get(f"/api/v1/alarms/{alarms.own_alarm}").json()["shelved"] is True
    assert 'id="unshelve-form"' in client.get(f"/alarms/{alarms.own_alarm}").text
    r = client.post(f"/alarms/{alarms.own_alarm}/unshelve", data={"csrf_token": csrf_of(client)})
    assert r.status_code == 303 and api.get(f"/api/v1/alarms/{alarms.own_alarm}").json()["shelved"] is False
    again = client.post(f"/alarms/{alarms.own_alarm}/unshelve", data={"csrf_token": csrf_of(client)})
    assert again.status_code == 409 and 'data-field="form"' in again.text


@pytest.mark.parametrize(
    ("path", "field", "flag"),
    [("suppress", "suppress", "suppressed"), ("out-of-service", "out_of_service", "out_of_service")],
)
def test_an_alarm_is_suppressed_or_put_out_of_service_and_back_from_its_page(
    alarms: Alarms, path: str, field: str, flag: str
) -> None:
    client = browser(alarms.live, "dingri_duty")
    api = alarms.live.client("dingri_mon", "Correct-horse-9!")
    url = f"/alarms/{alarms.own_alarm}/{path}"
    assert f'id="{path}-form"' in client.get(f"/alarms/{alarms.own_alarm}").text
    no_reason = client.post(url, data={"csrf_token": csrf_of(client), "on": "1", "reason": " "})
    assert no_reason.status_code == 422 and f'data-field="{field}_reason"' in no_reason.text
    assert api.get(f"/api/v1/alarms/{alarms.own_alarm}").json()[flag] is False
    r = client.post(url, data={"csrf_token": csrf_of(client), "on": "1", "reason": "检修"})
    assert r.status_code == 303 and api.get(f"/api/v1/alarms/{alarms.own_alarm}").json()[flag] is True
    page = client.get(f"/alarms/{alarms.own_alarm}").text
    assert 'name="on" value="0"' in page and "检修" in page
    r = client.post(url, data={"csrf_token": csrf_of(client), "on": "0"})
    assert r.status_code == 303 and api.get(f"/api/v1/alarms/{alarms.own_alarm}").json()[flag] is False
    assert client.post(url, data={"csrf_token": "wrong", "on": "1", "reason": "x"}).status_code == 403


def test_a_note_is_added_and_an_empty_one_is_shown_beside_the_field(alarms: Alarms) -> None:
    client = browser(alarms.live, "dingri_duty")
    bad = client.post(f"/alarms/{alarms.own_alarm}/note", data={"csrf_token": csrf_of(client), "text": " "})
    assert bad.status_code == 422 and 'data-field="text"' in bad.text
    r = client.post(f"/alarms/{alarms.own_alarm}/note", data={"csrf_token": csrf_of(client), "text": "现场核实中"})
    assert r.status_code == 303 and "现场核实中" in client.get(f"/alarms/{alarms.own_alarm}").text


def test_promote_form_makes_an_incident_and_opens_it(alarms: Alarms) -> None:
    client = browser(alarms.live, "dingri_duty")
    bad = client.post(
        f"/alarms/{alarms.own_alarm}/promote", data={"csrf_token": csrf_of(client), "incident_type": "nope"}
    )
    assert bad.status_code == 422 and 'data-field="incident_type"' in bad.text
    page = client.get(f"/alarms/{alarms.own_alarm}").text
    assert 'id="promote-form"' in page and 'value="geological_hazard" selected' in page  # landslide site
    r = client.post(
        f"/alarms/{alarms.own_alarm}/promote",
        data={"csrf_token": csrf_of(client), "incident_type": "geological_hazard", "title": "定日县滑坡监测报警"},
    )
    assert r.status_code == 303 and r.headers["location"].startswith("/incidents/")
    incident = client.get(r.headers["location"])
    assert incident.status_code == 200 and "定日县滑坡监测报警" in incident.text
    after = client.get(f"/alarms/{alarms.own_alarm}").text
    assert r.headers["location"] in after and 'id="promote-form"' not in after
    again = client.post(
        f"/alarms/{alarms.own_alarm}/promote",
        data={"csrf_token": csrf_of(client), "incident_type": "geological_hazard"},
    )
    assert again.status_code == 409


# -- a warning's page and the officials -------------------------------------------------------------------


def _own_warning(alarms: Alarms, headline: str) -> int:
    commander = alarms.live.client("xigaze_commander")
    r = commander.post(
        "/api/v1/warnings",
        json={"colour": "yellow", "type": "rainstorm", "headline": headline, "area": {"divisions": ["540223"]}},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_foreign_warning_page_and_its_actions_are_not_found(alarms: Alarms) -> None:
    client = browser(alarms.live, "xigaze_commander")
    dingri = browser(alarms.live, "dingri_duty")
    page = dingri.get(f"/warnings/{alarms.foreign_warning}")
    assert page.status_code == 404 and FOREIGN_WARNING not in page.text
    readable = dingri.get(f"/warnings/{alarms.foreign_warning}/cap")
    assert readable.status_code == 404 and FOREIGN_WARNING not in readable.text
    assert dingri.get("/warnings/99999999999").status_code in (404, 422)
    lazi = alarms.live.client("lazi_mon", "Correct-horse-9!")
    receipts = lazi.get(f"/api/v1/warnings/{alarms.foreign_warning}/deliveries").json()  # the call sent at issue
    own_admin = alarms.live.client("dingri_mon", "Correct-horse-9!")
    token_user = browser_as(alarms.live, "dingri_mon", "Correct-horse-9!")
    for action in ("update", "cancel", "calls/send", "calls/1/acknowledge"):
        r = token_user.post(
            f"/warnings/{alarms.foreign_warning}/{action}",
            data={"csrf_token": csrf_of(token_user), "colour": "red", "headline": "x", "reason": "x"},
        )
        assert r.status_code == 404 and FOREIGN_WARNING not in r.text, action
    assert own_admin.get(f"/api/v1/warnings/{alarms.foreign_warning}").status_code == 404
    after = lazi.get(f"/api/v1/warnings/{alarms.foreign_warning}").json()
    assert after["status"] == "active" and after["version"] == 1
    assert lazi.get(f"/api/v1/warnings/{alarms.foreign_warning}/deliveries").json() == receipts
    assert client.get(f"/warnings/{alarms.foreign_warning}").status_code == 200  # the prefecture reads it


def test_the_cap_message_reads_as_a_page_beside_its_xml(alarms: Alarms) -> None:
    """The CAP link of a warning opens the message in words (coded values by meaning, times on the reader's
    clock, the warned division by name); the XML is one link further and parses as CAP 1.2."""
    warning = _own_warning(alarms, "定日县暴雨黄色预警-可读报文")
    client = browser(alarms.live, "xigaze_commander")
    detail = client.get(f"/warnings/{warning}")
    assert f'href="/warnings/{warning}/cap"' in detail.text
    page = client.get(f"/warnings/{warning}/cap")
    assert page.status_code == 200, page.text
    text = re.sub(r"<[^>]+>", " ", page.text)
    for shown in ("报文标识", "发送时间", "正式", "首发", "公众", "严重程度", "预警颜色", "黄色", "定日县", "暴雨"):
        assert shown in text, shown
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", text)  # times as the pages show them, no ISO
    assert f'href="/api/v1/warnings/{warning}/cap"' in page.text
    xml = client.get(f"/api/v1/warnings/{warning}/cap")
    assert xml.headers["content-type"].startswith("application/cap+xml")
    english = client.get(f"/warnings/{warning}/cap", cookies={"yingji_lang": "en"})
    assert "Severity" in english.text and "Actual" in english.text


def browser_as(live: LiveServer, user: str, password: str) -> httpx.Client:
    client = httpx.Client(base_url=live.url, follow_redirects=False, timeout=30)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert csrf
    r = client.post("/login", data={"username": user, "password": password, "csrf_token": csrf.group(1), "next": "/"})
    assert r.status_code == 303, r.text
    return client


def test_warning_page_updates_and_cancels_with_errors_beside_the_fields(alarms: Alarms) -> None:
    warning = _own_warning(alarms, "定日县暴雨黄色预警-页面变更")
    client = browser(alarms.live, "xigaze_commander")
    page = client.get(f"/warnings/{warning}")
    assert page.status_code == 200 and 'id="cancel-form"' in page.text and 'id="update-form"' in page.text
    bad = client.post(
        f"/warnings/{warning}/update", data={"csrf_token": csrf_of(client), "colour": "red", "headline": " "}
    )
    assert bad.status_code == 422 and 'data-field="headline"' in bad.text
    bad = client.post(
        f"/warnings/{warning}/update",
        data={"csrf_token": csrf_of(client), "colour": "red", "headline": "x", "expires_hours": "many"},
    )
    assert bad.status_code == 422 and 'data-field="expires_hours"' in bad.text
    r = client.post(
        f"/warnings/{warning}/update",
        data={"csrf_token": csrf_of(client), "colour": "orange", "headline": "定日县暴雨橙色预警-页面变更"},
    )
    assert r.status_code == 303
    api = alarms.live.client("xigaze_commander")
    first = api.get(f"/api/v1/warnings/{warning}").json()
    assert first["msg_type"] == "Update" and first["colour"] == "orange" and len(first["references"]) == 1
    bad = client.post(f"/warnings/{warning}/cancel", data={"csrf_token": csrf_of(client), "reason": ""})
    assert bad.status_code == 422 and 'data-field="reason"' in bad.text
    r = client.post(f"/warnings/{warning}/cancel", data={"csrf_token": csrf_of(client), "reason": "降雨结束"})
    assert r.status_code == 303
    cancelled = api.get(f"/api/v1/warnings/{warning}").json()
    assert cancelled["status"] == "cancelled" and cancelled["msg_type"] == "Cancel"
    assert first["identifier"] in cancelled["references"][-1]
    after = client.get(f"/warnings/{warning}").text
    assert 'data-status="cancelled"' in after and 'id="cancel-form"' not in after
    assert client.post(f"/warnings/{warning}/cancel", data={"csrf_token": "wrong", "reason": "x"}).status_code == 403


def test_call_status_shows_receipts_and_the_answer(alarms: Alarms) -> None:
    commander = alarms.live.client("xigaze_commander")
    r = commander.post(
        "/api/v1/warnings/officials",
        json={
            "name": "定日县页面测试责任人",
            "division_code": "540223",
            "contact": "0892-8800000; smtp:dingri@example.org",
        },
    )
    assert r.status_code == 201, r.text
    official = r.json()["id"]
    warning = _own_warning(alarms, "定日县暴雨黄色预警-叫应")
    client = browser(alarms.live, "xigaze_commander")
    page = client.get(f"/warnings/{warning}").text
    assert f'data-official="{official}"' in page and "定日县页面测试责任人" in page and FOREIGN_OFFICIAL not in page
    assert client.post(f"/warnings/{warning}/calls/send", data={"csrf_token": csrf_of(client)}).status_code == 303
    page = client.get(f"/warnings/{warning}").text
    assert re.search(r'receipt-failed" data-channel="smtp"', page)  # no SMTP server configured: a failed receipt
    # the API answers the same board: each channel of the official with its newest receipt
    call = next(c for c in commander.get(f"/api/v1/warnings/{warning}/calls").json()["calls"]
                if c["official_id"] == official)  # fmt: skip
    by_channel = {r["channel"]: r for r in call["receipts"]}
    assert by_channel["smtp"]["target"] == "dingri@example.org" and by_channel["smtp"]["delivered"] is False
    assert by_channel["smtp"]["at"] is not None and by_channel["smtp"]["detail"]
    r = client.post(f"/warnings/{warning}/calls/{official}/acknowledge", data={"csrf_token": csrf_of(client)})
    assert r.status_code == 303
    row = re.search(rf'<tr data-official="{official}" class="call-(\w+)"', client.get(f"/warnings/{warning}").text)
    assert row and row.group(1) == "acknowledged"
    again = client.post(f"/warnings/{warning}/calls/{official}/acknowledge", data={"csrf_token": csrf_of(client)})
    assert again.status_code == 409


def test_officials_page_lists_own_officials_and_checks_the_form(alarms: Alarms) -> None:
    client = browser_as(alarms.live, "dingri_mon", "Correct-horse-9!")
    page = client.get("/warnings/officials")
    assert page.status_code == 200 and FOREIGN_OFFICIAL not in page.text
    bad = client.post(
        "/warnings/officials", data={"csrf_token": csrf_of(client), "name": "", "division_code": "540223"}
    )
    assert bad.status_code == 422 and 'data-field="name"' in bad.text
    bad = client.post(
        "/warnings/officials",
        data={
            "csrf_token": csrf_of(client),
            "name": "甲",
            "division_code": "540223",
            "contact": "webhook:http://169.254.169.254/latest",
        },
    )
    assert bad.status_code == 422 and 'data-field="contact"' in bad.text
    foreign = client.post(
        "/warnings/officials", data={"csrf_token": csrf_of(client), "name": "乙", "division_code": "540225"}
    )
    assert foreign.status_code == 404 and FOREIGN_OFFICIAL not in foreign.text
    r = client.post(
        "/warnings/officials",
        data={
            "csrf_token": csrf_of(client),
            "name": "定日县应急局值班长",
            "division_code": "540223",
            "contact": "13900000000",
        },
    )
    assert r.status_code == 303 and "定日县应急局值班长" in client.get("/warnings/officials").text


def test_an_official_is_edited_and_removed_from_the_page_and_another_countys_is_not_found(alarms: Alarms) -> None:
    lazi = alarms.live.client("lazi_mon", "Correct-horse-9!")
    foreign = next(o["id"] for o in lazi.get("/api/v1/warnings/officials").json() if o["name"] == FOREIGN_OFFICIAL)
    client = browser_as(alarms.live, "dingri_mon", "Correct-horse-9!")
    form = {"csrf_token": csrf_of(client), "name": "改名", "division_code": "540223", "contact": ""}
    for url in (f"/warnings/officials/{foreign}", f"/warnings/officials/{foreign}/remove", "/warnings/officials/0"):
        r = client.post(url, data=form)
        assert r.status_code == 404 and FOREIGN_OFFICIAL not in r.text, url
    assert any(o["name"] == FOREIGN_OFFICIAL for o in lazi.get("/api/v1/warnings/officials").json())
    made = client.post(
        "/warnings/officials",
        data={"csrf_token": csrf_of(client), "name": "定日县待改责任人", "division_code": "540223", "contact": ""},
    )
    assert made.status_code == 303
    api = alarms.live.client("dingri_mon", "Correct-horse-9!")
    mine = next(o["id"] for o in api.get("/api/v1/warnings/officials").json() if o["name"] == "定日县待改责任人")
    bad = client.post(f"/warnings/officials/{mine}", data={**form, "name": ""})
    assert bad.status_code == 422 and f'data-field="edit-{mine}-name"' in bad.text
    loop = client.post(f"/warnings/officials/{mine}", data={**form, "superior_id": str(mine)})
    assert loop.status_code == 422 and f'data-field="edit-{mine}-superior_id"' in loop.text
    assert client.post(f"/warnings/officials/{mine}", data=form).status_code == 303
    assert "改名" in client.get("/warnings/officials").text
    assert client.post(f"/warnings/officials/{mine}/remove", data={"csrf_token": csrf_of(client)}).status_code == 303
    assert mine not in {o["id"] for o in api.get("/api/v1/warnings/officials").json()}
