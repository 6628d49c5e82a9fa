"""灾情数据 on the incident page, in real headless Chromium: figures are entered and corrected with their
source, and the page shows the new grade and recommended response level at once; a wrong entry comes back
on the form with what was typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.web.conftest import WebData, make_incident

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, shot, sign_in  # noqa: E402, F401


def fire(web: WebData, title: str) -> int:
    """A fire in 定日县 with one death (一般, Ⅳ级)."""
    return make_incident(web.live, "dingri_duty", title, "540223", 87.1, 28.6, incident_type="fire")


def test_corrected_figures_regrade_the_incident_and_keep_their_source(page: Page, web: WebData) -> None:  # noqa: F811
    incident = fire(web, "协格尔镇民房火灾")
    sign_in(page, web)
    page.goto(f"{web.live.url}/incidents/{incident}")
    expect(page.locator("#incident-grade")).to_have_text("一般")
    expect(page.locator("#incident-recommended")).to_have_text("Ⅳ级")
    page.click("#figures-edit summary")
    expect(page.locator("#figures-form input[name=deaths]")).to_have_value("1")
    page.fill("#figures-form input[name=deaths]", "12")
    page.fill("#figures-form input[name=direct_loss_cny]", "120")
    page.select_option("#figures-form select[name=source_kind]", label="续报")
    page.fill("#figures-form input[name=source_note]", "县消防救援大队电话报告")
    page.click("#figures-form button[type=submit]")
    expect(page.locator("#incident-grade")).to_have_text("重大")
    expect(page.locator("#incident-recommended")).to_have_text("Ⅱ级")
    expect(page.locator("#figures tr[data-figure=deaths] td")).to_have_text("12")
    expect(page.locator("#figures tr[data-figure=direct_loss_cny] td")).to_have_text("120.00 万元")
    page.click("#figure-history summary")
    history = page.locator("#figure-history")
    expect(history).to_contain_text("续报 · 县消防救援大队电话报告")
    expect(history).to_contain_text("死亡（人）：1 → 12")
    shot(page, "incident-figures")
    body = web.live.client("dingri_duty").get(f"/api/v1/incidents/{incident}").json()
    assert body["figures"]["deaths"] == 12 and body["figures"]["direct_loss_cny"] == 1_200_000


def test_a_wrong_figure_comes_back_on_the_form(page: Page, web: WebData) -> None:  # noqa: F811
    incident = fire(web, "岗嘎镇仓库火灾")
    sign_in(page, web)
    page.goto(f"{web.live.url}/incidents/{incident}")
    page.click("#figures-edit summary")
    page.fill("#figures-form input[name=injured]", "三人")
    page.fill("#figures-form input[name=deaths]", "4")
    page.click("#figures-form button[type=submit]")
    expect(page.locator("#figures-edit")).to_have_attribute("open", "")
    expect(page.locator(".field-error[data-field=injured]")).to_have_text("请输入数字")
    expect(page.locator("#figures-form input[name=injured]")).to_have_value("三人")
    expect(page.locator("#figures-form input[name=deaths]")).to_have_value("4")
    expect(page.locator("#incident-grade")).to_have_text("一般")  # nothing was saved
