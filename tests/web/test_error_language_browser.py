"""A refusal from a service shows on the page in the reader's language (issue #13 point 5): the message its
raise site names from the catalogue, else the message of its kind of error, never the English detail the
API and the CLI carry. Walked in real Chromium as a person meets them: an earthquake assessed far outside
the county, and an alarm promoted from a page someone else already acted on."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, sign_in  # noqa: E402, F401

ENGLISH = re.compile(r"[A-Za-z]{2,}")


def _make_commander(web: WebData, user: str) -> None:
    from tests.conftest import DEMO_PASSWORD

    r = web.live.client("admin").post(
        "/api/v1/users",
        json={
            "username": user,
            "password": DEMO_PASSWORD,
            "role": "commander",
            "division_code": "540223000000",
            "display_name": "定日县值班指挥",
        },
    )
    assert r.status_code in (201, 409), r.text


def test_a_quake_outside_the_county_is_refused_in_chinese(page: Page, web: WebData) -> None:  # noqa: F811
    user = "dingri_err_cmd"
    _make_commander(web, user)
    sign_in(page, web, user)
    page.goto(web.live.url + "/quake")
    form = page.locator("#quake-form")
    form.locator("input[name=lon]").fill("116.40")  # Beijing: far from 定日县
    form.locator("input[name=lat]").fill("39.90")
    form.locator("input[name=magnitude]").fill("6.0")
    form.locator("button[type=submit]").click()
    error = page.locator(".field-error").first
    expect(error).to_be_visible()
    assert error.inner_text() == "震中不在本辖区，且本辖区不在Ⅵ度及以上影响范围内"
    # the same refusal in English shows the service's own words
    page.context.add_cookies([{"name": "yingji_lang", "value": "en", "url": web.live.url}])
    form.locator("input[name=lon]").fill("116.40")
    form.locator("input[name=lat]").fill("39.90")
    form.locator("input[name=magnitude]").fill("6.0")
    form.locator("button[type=submit]").click()
    expect(page.locator(".field-error").first).to_contain_text("jurisdiction")


def test_an_action_on_a_stale_page_is_refused_in_chinese(page: Page, web: WebData) -> None:  # noqa: F811
    from tests.web.test_monitoring_browser import gauge

    machine = gauge(web.live)
    readings = [
        {"sensor_id": "BR-1-LEL", "ts": f"2026-08-09T08:0{i}:00+08:00", "value": v}
        for i, v in enumerate([5.0, 12.0, 31.0])
    ]
    assert machine.post("/api/v1/readings", content=json.dumps(readings)).json()["alarms_raised"] == 1
    api = web.live.client("dingri_duty")
    alarm = api.get("/api/v1/alarms", params={"limit": 1}).json()["items"][0]["id"]
    user = "dingri_err_cmd"
    _make_commander(web, user)
    sign_in(page, web, user)
    page.goto(f"{web.live.url}/alarms/{alarm}")
    expect(page.locator("#promote-form")).to_be_visible()
    # meanwhile someone else promotes it through the API
    other = web.live.client(user)
    r = other.post(f"/api/v1/alarms/{alarm}/promote", json={"incident_type": "hazardous_chemicals"})
    assert r.status_code == 200, r.text
    page.locator("#promote-form button[type=submit]").click()
    error = page.locator(".field-error").first
    expect(error).to_be_visible()
    text = error.inner_text()
    assert text == "记录的当前状态不允许此操作，请刷新后重试", text
    words = page.evaluate("""() => {
        document.querySelectorAll('[translate=no]').forEach(el => { el.textContent = ''; });
        return document.querySelector('main').innerText; }""")
    assert not ENGLISH.search(words), words
