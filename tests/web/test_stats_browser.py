"""The statistics page walked in real headless Chromium: the duty officer narrows it to a type and a period
of calendar weeks and downloads the same figures as an Excel workbook."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from openpyxl import load_workbook  # noqa: E402
from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, shot, sign_in  # noqa: E402, F401


def test_the_statistics_are_filtered_by_week_and_type_and_exported(page: Page, web: WebData) -> None:  # noqa: F811
    r = web.live.client("dingri_duty").post(
        "/api/v1/incidents",
        json={
            "title": "统计页暴雪",
            "incident_type": "snow_ice",
            "lon": 87.1,
            "lat": 28.6,
            "divisions": ["540223"],
            "occurred_at": "2026-11-08T21:00:00+08:00",
            "reported_at": "2026-11-08T21:10:00+08:00",
        },
    )  # a Sunday
    assert r.status_code == 201, r.text
    sign_in(page, web)
    page.goto(web.live.url + "/stats")
    page.fill("#stats-filters input[name=from]", "2026-11-02")
    page.fill("#stats-filters input[name=to]", "2026-11-15")
    page.select_option("#stats-filters select[name=type]", label="低温雨雪冰冻")
    page.get_by_role("button", name="统计").click()
    expect(page.locator("#stats-period")).to_contain_text("2026-11-02（周一）至 2026-11-15（周日）")
    rows = page.locator("#stats-weeks tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.nth(0).locator(".total")).to_have_text("1")  # the Sunday evening stays in its week
    expect(rows.nth(1).locator(".total")).to_have_text("0")
    shot(page, "stats-weeks")
    with page.expect_download() as download:
        page.click("#stats-export")
    path = download.value.path()
    assert download.value.suggested_filename == "突发事件周统计_2026-11-02_2026-11-15.xlsx"
    sheet = load_workbook(io.BytesIO(Path(path).read_bytes()))["按周统计"]
    assert [sheet.cell(row=r, column=sheet.max_column).value for r in (4, 5)] == [1, 0]
