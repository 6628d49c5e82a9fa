"""The alarm console and the warnings pages in real headless Chromium: an alarm raised by readings posted
to the API appears without a reload and is acknowledged from the console; the unacknowledged count rises
live and an alarm is promoted to an incident from its page; a warning issued from the form shows its
call-and-acknowledge status (a receipt per channel, the answer recorded) and is cancelled. Screenshots
go to test-artifacts/."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.conftest import DEMO_PASSWORD, LiveServer

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (make test installs Debian's chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402
from tests.web.test_browser import chromium  # noqa: E402, F401

SITE = "定日县浏览器测试监测点"


@pytest.fixture
def page(chromium: Browser, live: LiveServer) -> Iterator[Page]:  # noqa: F811 (the imported fixture)
    context = chromium.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    page = context.new_page()
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith((live.url, "data:")) else None)
    yield page
    context.close()
    assert not external, f"the page asked for outside resources: {external}"


def gauge(live: LiveServer) -> httpx.Client:
    """A 定日 site with one sensor and a machine token to post its readings."""
    admin = live.client("admin")
    r = admin.post(
        "/api/v1/monitoring/sites",
        json={
            "code": "BR-1",
            "name": SITE,
            "kind": "enterprise_installation",
            "division_code": "540223",
            "lon": 87.2,
            "lat": 28.6,
            "sensors": [{"code": "BR-1-LEL", "quantity": "LEL", "unit": "%LEL"}],
            "rules_yaml": "rules:\n  - {use: gas-combustible-lel, sensors: 'BR-1-*', prefix: 'br1-'}\n",
        },
    )
    assert r.status_code in (201, 409), r.text
    duty = live.client("dingri_duty")
    token = duty.post("/api/v1/tokens", json={"name": "browser-gauge"}).json()["token"]
    return httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_an_alarm_appears_live_and_is_acknowledged(page: Page, live: LiveServer) -> None:
    machine = gauge(live)
    page.goto(live.url + "/login")
    page.fill("input[name=username]", "dingri_duty")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live.url + "/")
    page.goto(live.url + "/alarms")
    expect(page.locator("#alarm-rows")).not_to_contain_text(SITE)
    page.wait_for_timeout(1500)  # the event stream connects
    readings = [
        {"sensor_id": "BR-1-LEL", "ts": f"2026-07-01T08:0{i}:00+08:00", "value": v}
        for i, v in enumerate([5.0, 12.0, 31.0])
    ]
    result = machine.post("/api/v1/readings", content=json.dumps(readings)).json()
    assert result["alarms_raised"] == 1, result
    row = page.locator("#alarm-rows tr", has_text=SITE)
    expect(row).to_be_visible(timeout=15_000)
    expect(page.locator("#toasts .toast").first).to_be_visible(timeout=15_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "alarm-console.png"), full_page=True)
    row.locator("button.ack").click()
    page.wait_for_url(live.url + "/alarms")
    expect(page.locator("#alarm-rows tr", has_text=SITE)).to_contain_text("已确认")
    page.screenshot(path=str(ARTIFACTS / "alarm-acknowledged.png"), full_page=True)


def login(page: Page, live: LiveServer, user: str) -> None:
    page.goto(live.url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(live.url + "/")


def test_the_unacknowledged_count_rises_live_and_the_alarm_is_promoted(page: Page, live: LiveServer) -> None:
    admin = live.client("admin")
    r = admin.post(
        "/api/v1/monitoring/sites",
        json={
            "code": "BR-2",
            "name": "定日县浏览器测试尾矿库",
            "kind": "tailings_dam",
            "division_code": "540223",
            "lon": 87.3,
            "lat": 28.7,
            "sensors": [{"code": "BR-2-LVL", "quantity": "water_level", "unit": "m"}],
            "rules_yaml": "rules:\n  - {id: br2-level, kind: limit, high: 5.0, priority: high}\n",
        },
    )
    assert r.status_code == 201, r.text
    token = live.client("dingri_duty").post("/api/v1/tokens", json={"name": "browser-dam"}).json()["token"]
    machine = httpx.Client(base_url=live.url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    login(page, live, "dingri_duty")
    page.goto(live.url + "/alarms")
    count = page.locator("#unack-count")
    before = int(count.get_attribute("data-count") or "0")
    page.wait_for_timeout(1500)  # the event stream connects
    readings = [
        {"sensor_id": "BR-2-LVL", "ts": f"2026-07-02T08:0{i}:00+08:00", "value": v} for i, v in enumerate([3.0, 6.5])
    ]
    assert machine.post("/api/v1/readings", content=json.dumps(readings)).json()["alarms_raised"] == 1
    expect(page.locator("#unack-count")).to_have_attribute("data-count", str(before + 1), timeout=15_000)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "alarm-count-live.png"), full_page=True)
    page.locator("#alarm-rows tr", has_text="定日县浏览器测试尾矿库").locator("a").first.click()
    page.wait_for_url(re.compile(r".*/alarms/\d+$"))
    expect(page.locator("#promote-form select[name=incident_type]")).to_have_value("non_coal_mine")
    page.fill("#promote-form input[name=title]", "定日县尾矿库水位超限")
    page.locator("#promote-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/incidents/\d+$"))
    expect(page.locator("h1")).to_contain_text("定日县尾矿库水位超限")
    page.screenshot(path=str(ARTIFACTS / "alarm-promoted.png"), full_page=True)


def test_a_warning_shows_its_call_status_and_is_cancelled(page: Page, live: LiveServer) -> None:
    commander = live.client("xigaze_commander")
    r = commander.post(
        "/api/v1/warnings/officials",
        json={
            "name": "定日县浏览器测试责任人",
            "division_code": "540223",
            "contact": "0892-1234567; smtp:duty@example.org",
        },
    )
    assert r.status_code == 201, r.text
    official = r.json()["id"]
    login(page, live, "xigaze_commander")
    page.goto(live.url + "/warnings")
    page.select_option("#issue-form select[name=colour]", "orange")
    page.fill("#issue-form input[name=headline]", "浏览器测试暴雨橙色预警")
    page.fill("#issue-form input[name=instruction]", "转移低洼地带人员")
    page.locator("#issue-form button[type=submit]").click()
    page.wait_for_url(live.url + "/warnings")
    page.locator("#warning-rows a", has_text="浏览器测试暴雨橙色预警").click()
    page.wait_for_url(re.compile(r".*/warnings/\d+$"))
    row = page.locator(f'#call-rows tr[data-official="{official}"]')
    expect(row).to_have_class(re.compile("call-pending"))
    # issuing sent the call at once; no SMTP server here, so the receipt says it failed, and a retry too
    expect(row.locator('.receipt[data-channel="smtp"]')).to_have_class(re.compile("receipt-failed"))
    page.locator("#send-calls-form button").click()
    page.wait_for_url(re.compile(r".*/warnings/\d+$"))
    row = page.locator(f'#call-rows tr[data-official="{official}"]')
    expect(row.locator('.receipt[data-channel="smtp"]')).to_have_class(re.compile("receipt-failed"))  # no SMTP here
    row.locator("button.ack").click()
    page.wait_for_url(re.compile(r".*/warnings/\d+$"))
    expect(page.locator(f'#call-rows tr[data-official="{official}"]')).to_have_class(re.compile("call-acknowledged"))
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "warning-calls.png"), full_page=True)
    page.fill("#cancel-form input[name=reason]", "降雨结束")
    page.locator("#cancel-form button[type=submit]").click()
    page.wait_for_url(re.compile(r".*/warnings/\d+$"))
    expect(page.locator("#warning-status")).to_have_text("已解除")
    expect(page.locator("#warning-msg-type")).to_have_attribute("data-msg-type", "Cancel")
    expect(page.locator("#warning-msg-type")).to_contain_text("解除")
    expect(page.locator("#cancel-form")).to_have_count(0)
    page.screenshot(path=str(ARTIFACTS / "warning-cancelled.png"), full_page=True)
