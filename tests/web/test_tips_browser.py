"""The public tip pages in real headless Chromium, as a member of the public uses them: on a phone, with
JavaScript switched off, no account — report with a photo, keep the code, look the tip up with it, write to
the staff."""

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
from tests.web.test_browser import chromium  # noqa: E402, F401


@pytest.fixture
def phone_without_js(chromium: Browser) -> Any:  # noqa: F811
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True,
                                   has_touch=True, java_script_enabled=False)  # fmt: skip
    yield context.new_page()
    context.close()


def test_a_phone_without_javascript_reports_a_tip_and_follows_it_by_the_code(
    phone_without_js: Any, web: WebData, tmp_path: Path
) -> None:
    page = phone_without_js
    photo = tmp_path / "scene.jpg"
    Image.new("RGB", (40, 30), (200, 30, 30)).save(photo, format="JPEG")
    response = page.goto(web.live.url + "/tip")
    assert response is not None and response.status == 200
    for selector in ("select[name=category]", "textarea[name=text]", "button[type=submit]"):
        box = page.locator(selector).first.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390 + 1, selector  # fits the phone
    page.select_option("select[name=category]", "work_safety")
    page.select_option("select[name=division]", "540223000000")
    page.fill("textarea[name=text]", "夜间违规动火作业 <img src=x>")
    page.set_input_files("input[name=photos]", str(photo))
    page.click("#tip-form button[type=submit]")
    code = page.locator("#tracking-code").inner_text().strip()
    assert len(code.replace("-", "")) == 20

    page.click("text=查询办理进度")
    page.fill("input[name=code]", code)
    page.click("#status-form button[type=submit]")
    assert page.locator("#tip-state").inner_text() == "已收到"
    page.fill("textarea[name=text]", "补充：每晚十点后作业")
    page.click("form[action$='/tip/message'] button[type=submit]")
    assert "补充：每晚十点后作业" in page.locator("#tip-messages").inner_text()
    assert page.locator("#tip-state").inner_text() == "已收到"

    admin = web.live.client("admin")
    newest = max(admin.get("/api/v1/tips", params={"limit": 1000}).json()["items"], key=lambda t: t["id"])
    assert newest["text"] == "夜间违规动火作业 <img src=x>" and len(newest["photos"]) == 1
    assert newest["division_code"] == "540223000000"
