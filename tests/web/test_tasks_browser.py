"""Tasks and reporting deadlines acted on from the incident page, in real headless Chromium: a task is
signed for (签收), taken in hand (处置中) and finished (完成) with feedback; a report the incident owes is
marked 已报送."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, shot, sign_in  # noqa: E402, F401
from tests.web.test_figures_browser import fire  # noqa: E402


def test_a_task_is_signed_for_taken_in_hand_and_finished_from_the_page(page: Page, web: WebData) -> None:  # noqa: F811
    incident = fire(web, "任务办理测试火灾")
    sign_in(page, web)
    page.goto(f"{web.live.url}/incidents/{incident}")
    page.fill("#task-form input[name=title]", "疏散周边群众")
    page.fill("#task-form input[name=team]", "县消防救援大队")
    page.click("#task-form button[type=submit]")
    row = page.locator("#tasks tr", has_text="疏散周边群众")
    expect(row.locator(".task-status")).to_have_text("待签收")
    row.get_by_role("button", name="签收").click()
    expect(row.locator(".task-status")).to_have_text("已签收")
    row.get_by_role("button", name="处置中").click()
    expect(row.locator(".task-status")).to_have_text("处置中")
    row.locator("input[name=feedback]").fill("已疏散 120 人")
    row.get_by_role("button", name="完成").click()
    expect(row.locator(".task-status")).to_have_text("已完成")
    expect(row).to_contain_text("已疏散 120 人")
    expect(row.get_by_role("button")).to_have_count(0)
    expect(page.locator("#timeline")).to_contain_text("疏散周边群众")
    shot(page, "incident-tasks")


def test_a_due_report_is_marked_reported_from_the_page(page: Page, web: WebData) -> None:  # noqa: F811
    incident = fire(web, "报送时限测试火灾")
    sign_in(page, web)
    page.goto(f"{web.live.url}/incidents/{incident}")
    rows = page.locator("#due-reports tr.due-pending, #due-reports tr.due-overdue")
    count = rows.count()
    assert count >= 1
    first = rows.first
    key = first.get_attribute("data-key")
    due = first.locator("td").nth(2).inner_text()  # e.g. 2026-12-01 09:00, local time
    first.locator("input[name=made_at]").fill(due.replace(" ", "T")[:-2] + "00")  # made on the hour, in time
    first.get_by_role("button", name="已报送").click()
    done = page.locator(f"#due-reports tr[data-key='{key}']")
    expect(done).to_have_class("due-done")
    expect(done).to_contain_text("已按时报送")
    expect(done.get_by_role("button")).to_have_count(0)
    body = web.live.client("dingri_duty").get(f"/api/v1/incidents/{incident}/deadlines").json()
    assert next(d for d in body if d["key"] == key)["done_at"] is not None
    late = page.locator("#due-reports tr.due-overdue").first  # reported now, after its due time
    if late.count():
        late_key = late.get_attribute("data-key")
        late.get_by_role("button", name="已报送").click()
        expect(page.locator(f"#due-reports tr[data-key='{late_key}']")).to_have_class("due-late")
