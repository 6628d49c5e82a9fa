"""The alarm console in real headless Chromium: an alarm raised by readings posted to the API appears
without a reload, and is acknowledged from the console. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
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

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402

SITE = "定日县浏览器测试监测点"


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser, live: LiveServer) -> Iterator[Page]:
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
    r = admin.post("/api/v1/monitoring/sites", json={
        "code": "BR-1", "name": SITE, "kind": "enterprise_installation", "division_code": "540223",
        "lon": 87.2, "lat": 28.6, "sensors": [{"code": "BR-1-LEL", "quantity": "LEL", "unit": "%LEL"}],
        "rules_yaml": "rules:\n  - {use: gas-combustible-lel, sensors: 'BR-1-*', prefix: 'br1-'}\n"})
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
    readings = [{"sensor_id": "BR-1-LEL", "ts": f"2026-07-01T08:0{i}:00+08:00", "value": v}
                for i, v in enumerate([5.0, 12.0, 31.0])]
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
