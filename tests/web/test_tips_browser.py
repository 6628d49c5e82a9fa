"""The public tip pages in real headless Chromium, as a member of the public uses them: on a phone, with
JavaScript switched off, no account — report with a photo, keep the code, look the tip up with it, write to
the staff; and the enforcement board's draw and publish forms as an officer uses them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Browser  # noqa: E402
from tests.web.test_browser import chromium, page  # noqa: E402, F401  (fixtures)


@pytest.fixture
def phone_without_js(chromium: Browser) -> Any:  # noqa: F811
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                   has_touch=True, java_script_enabled=False)  # fmt: skip
    yield context.new_page()
    context.close()


def test_a_phone_without_javascript_reports_a_tip_and_follows_it_by_the_code(
    phone_without_js: Any, web: WebData, tmp_path: Path
) -> None:
    tab = phone_without_js
    photo = tmp_path / "scene.jpg"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(photo, format="JPEG")
    response = tab.goto(web.live.url + "/tip")
    assert response is not None and response.status == 200
    for selector in ("select[name=category]", "textarea[name=text]", "button[type=submit]"):
        box = tab.locator(selector).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, selector  # fits the phone
    tab.select_option("select[name=category]", "work_safety")
    tab.select_option("select[name=division]", "540223000000")
    tab.fill("textarea[name=text]", "夜间违规动火作业 <img src=x>")
    tab.set_input_files("input[name=photos]", str(photo))
    tab.click("#tip-form button[type=submit]")
    code = tab.locator("#tracking-code").inner_text().strip()
    assert len(code.replace("-", "")) == 20

    tab.click("text=查询办理进度")
    tab.fill("input[name=code]", code)
    tab.click("#status-form button[type=submit]")
    assert tab.locator("#tip-state").inner_text() == "已收到"
    tab.fill("textarea[name=text]", "补充：每晚十点后作业")
    tab.click("form[action$='/tip/message'] button[type=submit]")
    assert "补充：每晚十点后作业" in tab.locator("#tip-messages").inner_text()
    assert tab.locator("#tip-state").inner_text() == "已收到"

    admin = web.live.client("admin")
    newest = max(admin.get("/api/v1/tips", params={"limit": 1000}).json()["items"], key=lambda t: t["id"])
    assert newest["text"] == "夜间违规动火作业 <img src=x>" and len(newest["photos"]) == 1
    assert newest["division_code"] == "540223000000"


def test_an_officer_draws_a_plan_and_publishes_the_draw_in_chromium(page: Any, web: WebData) -> None:  # noqa: F811
    """The enforcement board's forms in the browser: draw a plan, then publish the draw from its page."""
    from tests.api.cases_hazards import new_credit_code
    from tests.web.test_browser import sign_in

    admin = web.live.client("admin")
    division = "540223000000"
    enterprise = {"name": "浏览器测试厂", "credit_code": new_credit_code(), "division_code": division,
                  "supervision_category": "工贸"}  # fmt: skip
    made = admin.post("/api/v1/enterprises", json=enterprise)
    assert made.status_code == 201, made.text
    for n in range(2):
        officer = {"name": f"浏览器执法{n}", "certificate_no": f"BR{n}{made.json()['id']}", "division_code": division}
        r = admin.post("/api/v1/enforcement/inspectors", json=officer)
        assert r.status_code == 201, r.text
    plan = admin.post("/api/v1/enforcement/plans", json={
        "division_code": division, "year": 2031, "title": "浏览器计划", "category_counts": {"工贸": 1},
        "random_share_pct": 100, "include_major_hazards": False})  # fmt: skip
    assert plan.status_code == 201, plan.text
    sign_in(page, web, "admin")
    page.goto(web.live.url + "/enforcement")
    page.click(f"form[data-plan='{plan.json()['id']}'] button[type=submit]")
    page.wait_for_url("**/enforcement/draws/*")
    assert "已抽取" in page.locator("h1").first.inner_text()
    page.click("#publish-form button[type=submit]")
    page.wait_for_function("() => !document.querySelector('#publish-form')")
    assert "已公开" in page.locator("h1").first.inner_text()


def test_a_duty_officer_opens_a_tip_from_the_inbox_in_chromium(page: Any, web: WebData) -> None:  # noqa: F811
    from tests.web.test_browser import sign_in

    public = web.live.client()
    r = public.post("/api/v1/tips", json={"category": "fire_hazard", "text": "商场消防通道堵塞 <img src=x>",
                                          "division": "540223000000", "anonymous": True})  # fmt: skip
    assert r.status_code == 201, r.text
    sign_in(page, web, "dingri_duty")
    page.goto(web.live.url + "/tips")
    page.click("#tips-inbox a >> text=商场消防通道堵塞")
    page.wait_for_url("**/tips/*")
    assert page.locator("#tip-text").inner_text() == "商场消防通道堵塞 <img src=x>"
