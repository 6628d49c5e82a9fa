"""Open record pages update in place when someone else changes the record (real headless Chromium): the
incident page (status, grade, tasks, timeline) and the alarm page; what the user is typing is kept, and
the forms' hidden versions follow, so the next action does not fail. Toasts stay few."""

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
from playwright.sync_api import TimeoutError as PlaywrightTimeout  # noqa: E402
from tests.web.test_browser import chromium, page, sign_in  # noqa: E402, F401
from tests.web.test_figures_browser import fire  # noqa: E402
from tests.web.test_monitoring_browser import gauge  # noqa: E402

NOT_RELOADED = "window.__sameDocument === true"


def _listening(page: Page, web: WebData) -> None:  # noqa: F811
    """Mark the document (a reload would lose the mark) and wait until live events reach it: a duty-log
    entry (no toast, no refresh) is written until the page has seen one."""
    page.evaluate(
        "window.__sameDocument = true; window.__seen = [];"
        "YINGJI.onEvent(function (e) { window.__seen.push(e.entity); });"
    )
    api = web.live.client("dingri_duty")
    for attempt in range(20):
        api.post("/api/v1/duty/log", json={"division_code": "540223000000", "text": f"连通检查 {attempt}"})
        try:
            page.wait_for_function("() => window.__seen.indexOf('duty_log') >= 0", timeout=1000)
            return
        except PlaywrightTimeout:
            continue
    raise AssertionError("live events never reached the page")


def test_the_incident_page_follows_changes_made_elsewhere(page: Page, web: WebData) -> None:  # noqa: F811
    other = web.live.client("dingri_duty")  # someone else, through the API
    incident = other.get(f"/api/v1/incidents/{fire(web, '实时更新测试火灾')}").json()
    sign_in(page, web)
    page.goto(f"{web.live.url}/incidents/{incident['id']}")
    _listening(page, web)
    page.fill("#task-form input[name=title]", "正在输入的任务")  # typing while the page changes
    r = other.post(
        f"/api/v1/incidents/{incident['id']}/figures",
        json={"version": incident["version"], "source": "续报", "figures": {"deaths": 12}},
    )
    assert r.status_code == 200, r.text
    expect(page.locator("#incident-grade")).to_have_text("重大", timeout=15_000)
    expect(page.locator("#incident-recommended")).to_have_text("Ⅱ级")
    expect(page.locator("#figures tr[data-figure=deaths] td")).to_have_text("12")
    r = other.post(f"/api/v1/incidents/{incident['id']}/tasks", json={"title": "别人下达的任务"})
    assert r.status_code == 201, r.text
    expect(page.locator("#tasks")).to_contain_text("别人下达的任务", timeout=15_000)
    expect(page.locator("#timeline")).to_contain_text("别人下达的任务")
    assert page.evaluate(NOT_RELOADED)
    expect(page.locator("#task-form input[name=title]")).to_have_value("正在输入的任务")
    # the status form carries the new version: acting on it now succeeds
    page.select_option("#status-form select[name=status]", "verified")
    page.click("#status-form button[type=submit]")
    page.wait_for_url(re.compile(r".*/incidents/\d+$"))
    expect(page.locator("#incident-status")).to_have_text("已核实")
    expect(page.locator(".field-error")).to_have_count(0)


def test_the_alarm_page_follows_an_acknowledgement_made_elsewhere(page: Page, web: WebData) -> None:  # noqa: F811
    machine = gauge(web.live)
    readings = [
        {"sensor_id": "BR-1-LEL", "ts": f"2026-07-03T08:0{i}:00+08:00", "value": v}
        for i, v in enumerate([5.0, 12.0, 31.0])
    ]
    assert machine.post("/api/v1/readings", content=json.dumps(readings)).json()["alarms_raised"] == 1
    other = web.live.client("dingri_duty")
    alarm = other.get("/api/v1/alarms", params={"limit": 1}).json()["items"][0]
    sign_in(page, web)
    page.goto(f"{web.live.url}/alarms/{alarm['id']}")
    _listening(page, web)
    expect(page.locator("#ack-form")).to_have_count(1)
    assert other.post(f"/api/v1/alarms/{alarm['id']}/acknowledge", json={}).status_code == 200
    expect(page.locator("#alarm-state")).to_contain_text("已确认", timeout=15_000)
    expect(page.locator("#ack-form")).to_have_count(0)
    assert page.evaluate(NOT_RELOADED)
    expect(page.locator("#toasts .toast")).to_have_count(0)  # the page itself changed: no toast for it


def test_toasts_stay_few_and_count_repeats(page: Page, web: WebData) -> None:  # noqa: F811
    sign_in(page, web)
    page.goto(f"{web.live.url}/incidents")
    _listening(page, web)
    other = web.live.client("dingri_duty")
    for i in range(6):
        fire(web, f"提示测试事件{i}")
    item = other.post(
        "/api/v1/duty/items", json={"division_code": "540223000000", "channel": "phone", "summary": "提示测试接报"}
    )
    assert item.status_code == 201
    expect(page.locator("#toasts .toast", has_text="新接报信息")).to_have_count(1, timeout=15_000)
    expect(page.locator("#incident-rows")).to_contain_text("提示测试事件5")
    assert page.locator("#toasts .toast").count() <= 3
