"""上报 from the pages, walked in real headless Chromium as a county duty officer would: the 上报 action on
the incident list opens the form; a division picked by name or a click on the map places the incident;
errors come back on the form (never raw JSON), keeping what was typed; a duty-desk item becomes an
incident in one action."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, shot, sign_in  # noqa: E402, F401

INCIDENT_URL = re.compile(r".*/incidents/(\d+)$")


def _open_form(page: Page, web: WebData) -> None:  # noqa: F811
    sign_in(page, web)
    page.click("header nav a[href='/incidents']")
    page.get_by_role("link", name=re.compile("上报")).click()
    page.wait_for_url(web.live.url + "/incidents/new")


def _incident_id(page: Page) -> int:  # noqa: F811
    match = INCIDENT_URL.match(page.url)
    assert match, page.url
    return int(match.group(1))


def test_the_report_form_from_the_list_creates_the_incident_and_opens_it(page: Page, web: WebData) -> None:  # noqa: F811
    _open_form(page, web)
    page.fill("input[name=title]", "曲当乡山体滑坡")
    page.select_option("select[name=incident_type]", label="地质灾害")
    page.select_option("select[name=division]", label="定日县")
    page.fill("input[name=occurred_at]", "2026-12-01T09:30")
    page.fill("input[name=deaths]", "2")
    page.fill("input[name=missing]", "1")
    page.fill("input[name=direct_loss_wan]", "35.5")
    page.fill("input[name=reporter]", "扎西 13800000000")
    page.fill("textarea[name=description]", "国道旁山体滑坡，掩埋车辆一辆")
    shot(page, "report-form")
    page.click("#report-submit")
    page.wait_for_url(INCIDENT_URL)
    expect(page.locator("h1")).to_contain_text("曲当乡山体滑坡")
    expect(page.locator("#timeline")).to_contain_text("扎西 13800000000")
    body = web.live.client("dingri_duty").get(f"/api/v1/incidents/{_incident_id(page)}").json()
    assert body["division_codes"] == ["540223000000"]
    assert body["figures"]["deaths"] == 2 and body["figures"]["direct_loss_cny"] == 355_000
    assert body["occurred_at"].startswith("2026-12-01T01:30")  # 09:30 Beijing time


def test_errors_come_back_on_the_form_keeping_what_was_typed(page: Page, web: WebData) -> None:  # noqa: F811
    _open_form(page, web)
    page.fill("input[name=title]", "")
    page.fill("input[name=deaths]", "1.5")
    page.fill("input[name=reporter]", "值班室")
    page.click("#report-submit")
    expect(page.locator("#report-errors")).to_be_visible()
    expect(page.locator(".field-error[data-field=title]")).to_have_text("此项必填")
    assert "application/json" not in (page.evaluate("document.contentType") or "")
    expect(page.locator("input[name=reporter]")).to_have_value("值班室")
    page.fill("input[name=title]", "强降雨致道路积水")
    page.click("#report-submit")
    expect(page.locator(".field-error[data-field=incident_type]")).to_be_visible()
    page.select_option("select[name=incident_type]", label="洪涝")
    page.click("#report-submit")  # no division picked, no point clicked
    expect(page.locator(".field-error[data-field=division]")).to_be_visible()
    page.select_option("select[name=division]", label="定日县")
    page.click("#report-submit")
    expect(page.locator(".field-error[data-field=deaths]")).to_be_visible()  # 1.5 people
    page.fill("input[name=deaths]", "1")
    page.click("#report-submit")
    page.wait_for_url(INCIDENT_URL)


def test_a_click_on_the_map_places_the_incident_in_its_township(page: Page, web: WebData) -> None:  # noqa: F811
    _open_form(page, web)
    page.fill("input[name=title]", "地图点选的火情")
    page.select_option("select[name=incident_type]", label="森林草原火灾")
    page.wait_for_selector("#report-map[data-ready='1'] .leaflet-overlay-pane path")
    page.click("#report-map")  # the middle of the county
    expect(page.locator("#report-point")).to_contain_text("已点选位置")
    assert page.input_value("select[name=division]") == ""
    page.click("#report-submit")
    page.wait_for_url(INCIDENT_URL)
    body = web.live.client("dingri_duty").get(f"/api/v1/incidents/{_incident_id(page)}").json()
    (code,) = body["division_codes"]
    assert code.startswith("540223") and code != "540223000000", code  # a township of the county


def test_the_form_is_a_page_not_json(page: Page, web: WebData) -> None:  # noqa: F811
    sign_in(page, web)
    response = page.goto(web.live.url + "/incidents/new")
    assert response is not None and response.status == 200
    assert response.headers["content-type"].startswith("text/html")
    expect(page.locator("form#report-form input[name=title]")).to_be_visible()
    for name in ("title", "incident_type", "division", "occurred_at"):
        assert page.locator(f"form#report-form [name={name}]").count() == 1


def test_a_duty_desk_item_becomes_an_incident_in_one_action(page: Page, web: WebData) -> None:  # noqa: F811
    sign_in(page, web)
    page.click("header nav a[href='/duty']")
    page.select_option("#receive-form select[name=channel]", label="电话")
    page.fill("#receive-form input[name=caller]", "岗嘎镇村干部")
    page.fill("#receive-form input[name=summary]", "岗嘎镇民房起火一处")
    page.click("#receive-form button[type=submit]")
    row = page.locator("#duty-items tr", has_text="岗嘎镇民房起火一处")
    expect(row).to_contain_text("岗嘎镇村干部")
    row.locator("select[name=incident_type]").select_option(label="火灾")
    row.get_by_role("button", name="上报为事件").click()
    page.wait_for_url(INCIDENT_URL)
    expect(page.locator("h1")).to_contain_text("岗嘎镇民房起火一处")
    expect(page.locator("#timeline")).to_contain_text("岗嘎镇村干部")
    page.click("header nav a[href='/duty']")
    expect(page.locator("#duty-items")).not_to_contain_text("岗嘎镇民房起火一处")
