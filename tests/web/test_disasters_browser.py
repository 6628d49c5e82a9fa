"""Disaster statistics pages in real headless Chromium: a township officer enters an initial report on a
phone, the county accepts it from the review queue, and the board shows it as reported with its totals;
no CSP violation on the way. Screenshots go to test-artifacts/disaster-entry.png and disaster-board.png."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import WebData

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed (make test installs Debian's chromium)", allow_module_level=True)

from playwright.sync_api import Browser, BrowserContext, Page, expect  # noqa: E402
from tests.web.test_browser import chromium, shot, sign_in  # noqa: E402, F401

T1, T2 = "540223001000", "540223002000"
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "is_mobile": True}


def _event_and_page(
    browser: Browser, web: WebData, user: str, name: str, division: str, **options: Any
) -> tuple[dict[str, Any], BrowserContext, Page, list[str]]:
    """An event declared by ``user`` and a fresh page whose CSP violations are collected."""
    body = {"name": name, "kind": "flood", "division_code": division, "started_at": "2026-07-01T02:00:00Z"}
    event = web.live.client(user).post("/api/v1/disasters/events", json=body).json()
    context = browser.new_context(locale="zh-CN", **options)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    return event, context, page, violations


def test_a_township_report_from_a_phone_is_reviewed_and_counted(chromium: Browser, web: WebData) -> None:  # noqa: F811
    api = web.live.client("dingri_duty")
    event, context, phone, violations = _event_and_page(
        chromium, web, "dingri_duty", "定日县暴雨洪涝", "540223000000", **PHONE
    )
    try:
        sign_in(phone, web)
        phone.goto(f"{web.live.url}/disasters/{event['id']}/report")
        phone.select_option("select[name=township_code]", T1)
        phone.fill("input[name=f_affected]", "350")
        phone.fill("input[name=f_deaths]", "1")
        shot(phone, "disaster-entry")
        phone.click("#disaster-entry button[type=submit]")
        phone.wait_for_url(f"{web.live.url}/disasters/{event['id']}")
        expect(phone.locator(f'#disaster-progress tr[data-code="{T1}"]')).to_contain_text("已报待审")
        phone.click("#to-review")
        report_id = api.get(f"/api/v1/disasters/events/{event['id']}/reports").json()[0]["id"]
        phone.click(f"#report-{report_id} button[value=accept]")
        expect(phone.locator("#queue-empty")).to_be_visible()
        phone.goto(f"{web.live.url}/disasters/{event['id']}")
        expect(phone.locator(f'#disaster-progress tr[data-code="{T1}"]')).to_contain_text("已审核")
        expect(phone.locator('#disaster-totals tr[data-code="540223000000"]')).to_contain_text("350")
        expect(phone.locator("body")).not_to_contain_text("拉孜")
        shot(phone, "disaster-board")
        assert violations == []
    finally:
        context.close()


def test_a_county_ticks_waiting_reports_on_a_phone_and_accepts_them_at_once(
    chromium: Browser,  # noqa: F811
    web: WebData,
) -> None:
    """The review queue's "accept selected": two waiting reports ticked, one button; both counted, the queue
    empty. Nothing ticked: the reviewer is told to select, nothing changes."""
    api = web.live.client("dingri_duty")
    event, context, phone, violations = _event_and_page(
        chromium, web, "dingri_duty", "定日县泥石流", "540223000000", **PHONE
    )
    try:
        for township, affected in ((T1, 40), (T2, 60)):
            body = {"township_code": township, "report_type": "initial", "figures": {"affected": affected}}
            assert api.post(f"/api/v1/disasters/events/{event['id']}/reports", json=body).status_code == 201
        sign_in(phone, web)
        phone.goto(f"{web.live.url}/disasters/{event['id']}/review")
        phone.click("#accept-selected button[type=submit]")  # nothing ticked
        expect(phone.locator("body")).to_contain_text("请勾选要审核通过的报告")
        expect(phone.locator("article.review-item")).to_have_count(2)
        for box in phone.locator("article.review-item input[type=checkbox]").all():
            box.check()
        shot(phone, "disaster-accept-selected")
        phone.click("#accept-selected button[type=submit]")
        expect(phone.locator("#queue-empty")).to_be_visible()
        expect(phone.locator("#accept-outcome")).to_have_text("已审核通过 2 份报告。")
        shot(phone, "disaster-accepted")
        phone.goto(f"{web.live.url}/disasters/{event['id']}")
        expect(phone.locator('#disaster-totals tr[data-code="540223000000"]')).to_contain_text("100")
        assert violations == []
    finally:
        context.close()


def test_a_county_records_its_day_stabilised_on_the_event_page(chromium: Browser, web: WebData) -> None:  # noqa: F811
    event, context, page, violations = _event_and_page(
        chromium, web, "xigaze_commander", "日喀则暴雨<i>x</i>", "540200000000", viewport={"width": 1200, "height": 900}
    )
    try:
        sign_in(page, web)
        page.goto(f"{web.live.url}/disasters/{event['id']}")
        expect(page.locator("h1")).to_have_text("日喀则暴雨<i>x</i>")  # escaped, shown as text
        row = page.locator('#stabilised-counties tr[data-code="540223000000"]')
        expect(row).to_contain_text("未记录")
        expect(page.locator("#stabilised-form select[name=county_code] option")).to_have_count(1)
        page.fill("#stabilised-form input[name=on]", "2026-07-03")
        page.click("#stabilised-form button[type=submit]")
        page.wait_for_url(f"{web.live.url}/disasters/{event['id']}")
        expect(row).to_contain_text("2026-07-03")
        expect(row).to_contain_text("2026-07-08 00:00")  # Fri → Mon, Tue: due at Tuesday's end
        expect(page.locator("body")).not_to_contain_text("拉孜")
        shot(page, "disaster-stabilised")
        assert violations == []
    finally:
        context.close()
