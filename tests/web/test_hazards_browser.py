"""Work-safety pages in real headless Chromium: an enterprise safety officer reports a hazard from a phone
and sees it on the enterprise page; the county's 动态清零 board lists the open major hazards; screenshots go
to test-artifacts/hazard-report.png and hazards-board.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import WebData

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed (make test installs Debian's chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, shot, sign_in  # noqa: E402, F401
from tests.web.test_hazards_pages import OWN_NAME, places  # noqa: E402, F401


def test_an_enterprise_officer_reports_a_hazard_from_a_phone(
    chromium: Browser,  # noqa: F811
    web: WebData,
    places: dict[str, Any],  # noqa: F811
) -> None:
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", is_mobile=True)
    phone = context.new_page()
    try:
        sign_in(phone, web, "dingri_jia")
        phone.goto(f"{web.live.url}/hazards/report")
        expect(phone.locator("#hr-enterprise option")).to_have_count(1)
        phone.fill("#hr-title", "储罐区可燃气体报警器无显示")
        phone.fill("#hr-description", "2号罐区报警器失电")
        shot(phone, "hazard-report")
        phone.click("#hazard-report-form button[type=submit]")
        phone.wait_for_url(f"{web.live.url}/enterprises/{places['own']['id']}")
        expect(phone.locator("#enterprise-name")).to_have_text(OWN_NAME)
        expect(phone.locator("#enterprise-hazards tbody")).to_contain_text("储罐区可燃气体报警器无显示")
    finally:
        context.close()


def test_the_board_lists_open_major_hazards_of_the_county(page: Page, web: WebData, places: dict[str, Any]) -> None:  # noqa: F811
    sign_in(page, web)
    page.goto(f"{web.live.url}/hazards/board")
    expect(page.locator("#hazards-board tbody tr").first).to_be_visible()
    total = sum(int(cell) for cell in page.locator("#hazards-board tbody tr td:nth-child(2)").all_inner_texts())
    assert total >= 1
    expect(page.locator("body")).not_to_contain_text("拉孜")
    shot(page, "hazards-board")
