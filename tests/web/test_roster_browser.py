"""The duty roster (值班表) and handover (交接班) walked in real headless Chromium: the duty officer plans a
shift from the page, hands it over with a note and the matters then open, and an officer of the next shift
acknowledges it (接班确认); the one who handed over cannot."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, shot, sign_in  # noqa: E402, F401

LOCAL = ZoneInfo("Asia/Shanghai")
NEXT = "dingri_roster_next"


def local_input(when: dt.datetime) -> str:
    return when.astimezone(LOCAL).strftime("%Y-%m-%dT%H:%M")


def next_officer(web: WebData) -> str:
    r = web.live.client("admin").post(
        "/api/v1/users",
        json={
            "username": NEXT,
            "password": DEMO_PASSWORD,
            "role": "duty_officer",
            "division_code": "540223000000",
            "display_name": "定日县接班值班员",
        },
    )
    assert r.status_code in (201, 409), r.text
    return NEXT


def plan(page: Page, leader: str, start: dt.datetime, end: dt.datetime, officers: str = "") -> None:  # noqa: F811
    page.fill("#plan-form input[name=leader]", leader)
    page.fill("#plan-form input[name=officers]", officers)
    page.fill("#plan-form input[name=starts_at]", local_input(start))
    page.fill("#plan-form input[name=ends_at]", local_input(end))
    page.click("#plan-form button[type=submit]")


def test_a_shift_is_planned_handed_over_with_its_open_matters_and_taken_over(page: Page, web: WebData) -> None:  # noqa: F811
    api = web.live.client("dingri_duty")
    r = api.post(
        "/api/v1/duty/items",
        json={"division_code": "540223000000", "channel": "phone", "summary": "长所乡来电：道路塌方待核实"},
    )
    assert r.status_code == 201, r.text
    now = dt.datetime.now(dt.UTC)
    sign_in(page, web)
    page.goto(web.live.url + "/duty")
    page.click("#roster-link")
    expect(page.locator("h1")).to_have_text("值班表与交接班")
    expect(page.locator("#open-matters")).to_contain_text("长所乡来电：道路塌方待核实")
    plan(page, "次仁副局长", now - dt.timedelta(hours=2), now + dt.timedelta(hours=10), "扎西、卓玛")
    row = page.locator("#roster tr", has_text="次仁副局长")
    expect(row.locator(".state")).to_have_text("在班")
    expect(row).to_contain_text("扎西、卓玛")
    row.locator("textarea[name=note]").fill("夜间注意长所乡降雨，塌方点待复核")
    row.get_by_role("button", name="交班").click()
    row = page.locator("#roster tr", has_text="次仁副局长")
    expect(row.locator(".state")).to_have_text("已交班待接班")
    expect(row.locator(".handed-items")).to_contain_text("接报信息：长所乡来电：道路塌方待核实")
    expect(row).to_contain_text("定日县值班员 于")
    expect(row.get_by_role("button", name="确认接班")).to_have_count(0)  # not by who handed over
    shot(page, "duty-roster-handed-over")

    sign_in(page, web, next_officer(web))
    page.goto(web.live.url + "/duty/roster")
    row = page.locator("#roster tr", has_text="次仁副局长")
    row.get_by_role("button", name="确认接班").click()
    row = page.locator("#roster tr", has_text="次仁副局长")
    expect(row.locator(".state")).to_have_text("已接班")
    expect(row.locator(".acknowledged")).to_contain_text("定日县接班值班员 于")
    expect(row.get_by_role("button")).to_have_count(0)
    shift_id = row.get_attribute("data-shift")
    handed = api.get(f"/api/v1/duty/shifts/{shift_id}/handover").json()
    assert handed["acknowledged_by"] == NEXT


def test_a_shift_ending_before_it_starts_is_refused_next_to_the_field(page: Page, web: WebData) -> None:  # noqa: F811
    now = dt.datetime.now(dt.UTC)
    sign_in(page, web)
    page.goto(web.live.url + "/duty/roster")
    plan(page, "倒序班次领导", now + dt.timedelta(hours=5), now + dt.timedelta(hours=1))
    expect(page.locator(".field-error[data-field=ends_at]")).to_have_text("结束时间须晚于开始时间")
    expect(page.locator("#roster")).not_to_contain_text("倒序班次领导")


def test_a_shift_of_next_week_is_on_next_weeks_page_and_cannot_be_handed_over_yet(page: Page, web: WebData) -> None:  # noqa: F811
    now = dt.datetime.now(LOCAL)
    monday = (now - dt.timedelta(days=now.weekday())).replace(hour=8, minute=0, second=0, microsecond=0)
    start = monday + dt.timedelta(days=7)
    sign_in(page, web)
    page.goto(web.live.url + "/duty/roster")
    plan(page, "下周带班领导", start, start + dt.timedelta(hours=24))
    # the page shows the week of the planned shift
    expect(page.locator("#week-span")).to_contain_text(start.date().isoformat())
    row = page.locator("#roster tr", has_text="下周带班领导")
    expect(row.locator(".state")).to_have_text("未开始")
    expect(row.locator("textarea[name=note]")).to_have_count(0)
    page.click("#previous-week")
    expect(page.locator("#roster")).not_to_contain_text("下周带班领导")
