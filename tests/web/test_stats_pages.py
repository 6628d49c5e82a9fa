"""The statistics page in calendar weeks over real HTTP: a Sunday-evening incident counts in its own week,
the filters narrow, the xlsx export holds the page's figures, another county's division is not found."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from tests.web.conftest import WebData
from tests.web.test_pages import browser


def report(web: WebData, user: str, county: str, kind: str, reported_at: str, title: str) -> None:
    lon, lat = (87.1, 28.6) if county == "540223" else (87.6, 29.1)
    r = web.live.client(user).post(
        "/api/v1/incidents",
        json={
            "title": title,
            "incident_type": kind,
            "lon": lon,
            "lat": lat,
            "divisions": [county],
            "occurred_at": reported_at,
            "reported_at": reported_at,
        },
    )
    assert r.status_code == 201, r.text


def week_rows(body: str) -> list[str]:
    start = body.index('id="stats-weeks"')
    return body[start : body.index("</table>", start)].split("<tr>")[2:]


def test_a_sunday_evening_incident_counts_in_its_own_calendar_week(web: WebData) -> None:
    report(web, "dingri_duty", "540223", "drought", "2026-11-29T22:30:00+08:00", "周日晚旱情")  # Sunday, local
    body = (
        browser(web.live, "dingri_duty")
        .get("/stats", params={"from": "2026-11-23", "to": "2026-12-06", "type": "drought"})
        .text
    )
    rows = week_rows(body)
    assert len(rows) == 2
    assert rows[0].startswith("<td>11-23～11-29</td>") and '<td class="total">1</td>' in rows[0]
    assert rows[1].startswith("<td>11-30～12-06</td>") and '<td class="total">0</td>' in rows[1]


def test_the_export_is_a_workbook_of_the_filtered_weeks(web: WebData) -> None:
    report(web, "dingri_duty", "540223", "forest_grassland_fire", "2026-11-25T10:00:00+08:00", "导出测试火情")
    report(web, "lazi_duty", "540225", "forest_grassland_fire", "2026-11-25T11:00:00+08:00", "拉孜火情")
    client = browser(web.live, "xigaze_duty")
    params = {"from": "2026-11-23", "to": "2026-11-29", "type": "forest_grassland_fire", "division": "540223000000"}
    page = client.get("/stats", params=params).text
    assert 'id="stats-export"' in page
    r = client.get("/stats/export.xlsx", params=params)
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in r.headers["content-disposition"]
    book = load_workbook(io.BytesIO(r.content))
    sheet = book["按周统计"]
    assert "定日县" in str(sheet.cell(row=1, column=3).value)
    header = [c.value for c in sheet[3]]
    assert header[:2] == ["周起始日", "周截止日"] and header[-1] == "合计" and "森林草原火灾" in header
    assert sheet.cell(row=4, column=1).value.date().isoformat() == "2026-11-23"
    assert sheet.cell(row=4, column=len(header)).value == 1  # the Lazi fire is not in 定日
    assert sheet.max_row == 4
    assert set(book.sheetnames) == {"按周统计", "按状态统计", "响应用时"}


def test_another_countys_division_is_not_found_on_the_page_or_in_the_export(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    assert client.get("/stats", params={"division": "540225000000"}).status_code == 404
    r = client.get("/stats/export.xlsx", params={"division": "540225000000"})
    assert r.status_code == 404 and "拉孜" not in r.text
    assert browser(web.live).get("/stats/export.xlsx").status_code == 303  # signed out: to the login page
