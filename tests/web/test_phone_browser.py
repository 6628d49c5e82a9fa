"""The pages a township or field user needs, at phone width (390 × 844) in real headless Chromium: the
header stays a strip, no page scrolls sideways (a wide table scrolls inside itself), no table cell is
squeezed to a character per line, and the forms fit the screen."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page  # noqa: E402
from tests.web.test_browser import chromium, shot  # noqa: E402, F401

PHONE = {"width": 390, "height": 844}
MEASURE = """() => {
    const doc = document.documentElement;
    const header = document.querySelector('header.topbar').getBoundingClientRect().height;
    const squeezed = [];
    document.querySelectorAll('table.list td, table.list th').forEach(cell => {
        const text = cell.innerText.trim();
        if (text.length >= 4 && cell.offsetParent !== null && cell.getBoundingClientRect().width < 56)
            squeezed.push(text.slice(0, 20));
    });
    const wide = [];
    document.querySelectorAll('input, select, textarea, button').forEach(el => {
        const r = el.getBoundingClientRect();
        if (el.offsetParent !== null && r.right > doc.clientWidth + 1 && !el.closest('table'))
            wide.push(el.name || el.id || el.tagName);
    });
    return {scroll: doc.scrollWidth, width: doc.clientWidth, header, squeezed, wide};
}"""


@pytest.fixture
def phone(chromium: Browser, web: WebData) -> Any:  # noqa: F811
    context = chromium.new_context(
        viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True, device_scale_factor=2
    )
    yield context.new_page()
    context.close()


def sign_in_on(page: Page, web: WebData, user: str) -> None:
    page.goto(web.live.url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(web.live.url + "/")


def check(page: Page, web: WebData, path: str) -> dict[str, Any]:
    response = page.goto(web.live.url + path)
    assert response is not None and response.status == 200, path
    page.wait_for_load_state("load")
    found: dict[str, Any] = page.evaluate(MEASURE)
    problems = {}
    if found["scroll"] > found["width"] + 1:
        problems["scrolls sideways"] = (found["scroll"], found["width"])
    if found["header"] > 0.15 * PHONE["height"]:
        problems["header height"] = found["header"]
    if found["squeezed"]:
        problems["squeezed cells"] = found["squeezed"]
    if found["wide"]:
        problems["fields past the edge"] = found["wide"]
    return problems


def test_the_field_users_pages_fit_a_phone(phone: Page, web: WebData) -> None:
    api = web.live.client("dingri_duty")
    api.post(f"/api/v1/incidents/{web.own_incident}/tasks", json={"title": "现场核查塌方点并回传照片"})
    api.post(
        "/api/v1/duty/items",
        json={"division_code": "540223000000", "channel": "phone", "summary": "协格尔镇来电：村道有落石，需派人查看"},
    )
    sign_in_on(phone, web, "dingri_duty")
    found = {}
    for path in ("/incidents", "/incidents/new", f"/incidents/{web.own_incident}", "/duty", "/duty/roster", "/stats"):
        if problems := check(phone, web, path):
            found[path] = problems
    shot(phone, "phone-duty")
    boss = web.live.client("xigaze_commander")
    warning = boss.post(
        "/api/v1/warnings",
        json={
            "colour": "blue",
            "type": "rainstorm",
            "headline": "暴雨蓝色预警（手机版式测试）",
            "instruction": "注意防范",
            "area": {"description": "定日县", "divisions": ["540223000000"]},
        },
    )
    assert warning.status_code == 201, warning.text
    sign_in_on(phone, web, "xigaze_commander")
    for path in ("/warnings", f"/warnings/{warning.json()['id']}"):
        if problems := check(phone, web, path):
            found[path] = problems
    shot(phone, "phone-warning")
    assert found == {}, found
