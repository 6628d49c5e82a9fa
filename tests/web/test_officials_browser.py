"""Responsible officials (责任人) registered from the page in real headless Chromium: the division picked by
name, the contact typed on a Chinese keyboard (邮件：邮箱；电话), and the page free of channel syntax words."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, sign_in  # noqa: E402, F401


def test_an_official_is_registered_by_division_name_with_a_chinese_contact(page: Page, web: WebData) -> None:  # noqa: F811
    sign_in(page, web, "xigaze_commander")
    page.goto(web.live.url + "/warnings/officials")
    expect(page.locator("p.muted").first).not_to_contain_text("webhook")
    page.fill("#official-form input[name=name]", "定日县应急管理局局长")
    page.select_option("#official-form select[name=division_code]", label="　定日县")
    page.fill("#official-form input[name=contact]", "邮件：duty@dingri.example.cn；0892-8262110")
    page.click("#official-form button[type=submit]")
    row = page.locator("#official-rows tr", has_text="定日县应急管理局局长")
    expect(row).to_contain_text("定日县")
    officials = web.live.client("xigaze_commander").get("/api/v1/warnings/officials").json()
    mine = next(o for o in officials if o["name"] == "定日县应急管理局局长")
    assert mine["division_code"] == "540223000000"
