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


def test_an_official_is_edited_and_removed_and_the_next_call_round_follows(page: Page, web: WebData) -> None:  # noqa: F811
    """A county official registered after the warning went out is called by 再次叫应; renamed and moved from
    the row's edit form; removed, they drop out of the list (the call board keeps the past call)."""
    boss = web.live.client("xigaze_commander")
    warning = boss.post(
        "/api/v1/warnings",
        json={
            "colour": "yellow",
            "type": "rainstorm",
            "headline": "定日县暴雨黄色预警-责任人变更",
            "area": {"description": "定日县", "divisions": ["540223000000"]},
        },
    )
    assert warning.status_code == 201, warning.text
    warning_id = warning.json()["id"]
    sign_in(page, web, "xigaze_commander")
    page.goto(web.live.url + "/warnings/officials")
    page.fill("#official-form input[name=name]", "定日县新任值班长")
    page.select_option("#official-form select[name=division_code]", label="　定日县")
    page.fill("#official-form input[name=contact]", "0892-8260000")
    page.click("#official-form button[type=submit]")
    row = page.locator("#official-rows tbody > tr", has=page.locator("td:first-child", has_text="定日县新任值班长"))
    expect(row).to_be_visible()
    official = int(row.get_attribute("data-official") or 0)
    # 再次叫应 on the warning's page reaches the official registered after the issue
    page.goto(f"{web.live.url}/warnings/{warning_id}")
    expect(page.locator(f'tr[data-official="{official}"]')).to_have_count(0)
    page.click("#send-calls-form button[type=submit]")
    expect(page.locator(f'tr[data-official="{official}"]')).to_contain_text("定日县新任值班长")
    # edit: a new name, moved to the neighbouring county
    page.goto(web.live.url + "/warnings/officials")
    row = page.locator(f'#official-rows tr[data-official="{official}"]')
    row.locator("summary").click()
    edit = row.locator(".official-edit-form")
    edit.locator("input[name=name]").fill("拉孜县值班长")
    edit.locator("select[name=division_code]").select_option(label="　拉孜县")
    edit.locator("button[type=submit]").click()
    row = page.locator(f'#official-rows tr[data-official="{official}"]')
    expect(row.locator("td").nth(0)).to_have_text("拉孜县值班长")
    expect(row.locator("td").nth(1)).to_have_text("拉孜县")
    # remove: gone from the list, kept on the warning's call board
    row.locator("summary").click()
    row.locator(".official-remove-form button[type=submit]").click()
    expect(page.locator(f'#official-rows tr[data-official="{official}"]')).to_have_count(0)
    page.goto(f"{web.live.url}/warnings/{warning_id}")
    expect(page.locator(f'tr[data-official="{official}"]')).to_contain_text("拉孜县值班长")


def test_the_cap_message_is_read_from_the_warning_page(page: Page, web: WebData) -> None:  # noqa: F811
    """The warning's identifier opens its CAP message in words (not a file download); the XML is a link on it."""
    boss = web.live.client("xigaze_commander")
    made = boss.post(
        "/api/v1/warnings",
        json={
            "colour": "orange",
            "type": "rainstorm",
            "headline": "定日县暴雨橙色预警-报文",
            "area": {"divisions": ["540223"]},
        },
    )
    assert made.status_code == 201, made.text
    sign_in(page, web, "xigaze_commander")
    page.goto(f"{web.live.url}/warnings/{made.json()['id']}")
    page.click("#cap-page")
    page.wait_for_url(f"{web.live.url}/warnings/{made.json()['id']}/cap")
    message = page.locator("#cap-message")
    for shown in ("严重程度", "严重", "橙色", "定日县", "首发"):
        expect(message).to_contain_text(shown)
    expect(page.locator("#cap-xml")).to_have_attribute("href", f"/api/v1/warnings/{made.json()['id']}/cap")
