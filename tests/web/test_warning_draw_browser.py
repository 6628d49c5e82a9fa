"""The warning area drawn on the map (issue #13 point 8), in real Chromium: the issuer clicks the corners of a
small area inside 定日县 on the warnings page's map, the polygon field fills with the CAP polygon, the issued
warning covers 定日县 (and no neighbour) and its page draws the area; an update redraws it the same way. The
area can also be picked by division name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, sign_in  # noqa: E402, F401


def click_at(page: Page, lat: float, lon: float) -> None:  # noqa: F811
    """A click on the map at a place (the page's own map projects it to a pixel)."""
    x, y = page.evaluate(
        """([lat, lon]) => { const m = YINGJI.maps[0]; const p = m.latLngToContainerPoint([lat, lon]);
            const b = m.getContainer().getBoundingClientRect(); return [b.left + p.x, b.top + p.y]; }""",
        [lat, lon],
    )
    page.mouse.click(x, y)


def test_the_warning_area_is_drawn_on_the_map_and_covers_what_it_encloses(page: Page, web: WebData) -> None:  # noqa: F811
    own = web.live.client("xigaze_commander").get("/api/v1/divisions/540223000000").json()
    lat, lon = own["lat"], own["lon"]
    sign_in(page, web, "xigaze_commander")
    page.goto(web.live.url + "/warnings")
    page.wait_for_function("() => window.YINGJI && YINGJI.maps.length > 0")
    page.evaluate(f"() => YINGJI.maps[0].setView([{lat}, {lon}], 10)")
    page.click("#draw-start")
    corners = [(lat - 0.05, lon - 0.05), (lat - 0.05, lon + 0.05), (lat + 0.05, lon + 0.05), (lat + 0.05, lon - 0.05)]
    for corner in [*corners, (lat, lon)]:
        click_at(page, *corner)
    page.click("#draw-undo")  # the stray fifth corner taken back
    expect(page.locator("#draw-count")).to_have_text("已选 4 个角点")
    page.click("#draw-start")  # finish
    polygon = page.locator("#issue-form input[name=polygon]").input_value()
    pairs = [tuple(map(float, p.split(","))) for p in polygon.split()]
    assert len(pairs) == 4 and all(
        abs(a - la) < 0.01 and abs(b - lo) < 0.01 for (a, b), (la, lo) in zip(pairs, corners, strict=True)
    )
    page.fill("#issue-form input[name=headline]", "定日县暴雨蓝色预警-地图绘制")
    page.click("#issue-form button[type=submit]")
    page.locator("#warning-rows a", has_text="定日县暴雨蓝色预警-地图绘制").click()
    expect(page.locator("#warning-facts")).to_contain_text("定日县")
    expect(page.locator("#warning-facts")).not_to_contain_text("拉孜县")
    warning_id = int(re.sub(r"\D", "", page.url.rsplit("/", 1)[1]))
    stored = web.live.client("xigaze_commander").get(f"/api/v1/warnings/{warning_id}").json()
    assert stored["divisions"] and all(c.startswith("540223") for c in stored["divisions"])
    assert page.locator("#warning-map path.leaflet-interactive").count() >= 1
    # an update: a new area drawn on the warning's own map
    page.wait_for_function("() => YINGJI.maps.length > 0")
    page.click("#draw-start")
    for corner in [(lat - 0.02, lon - 0.02), (lat - 0.02, lon + 0.02), (lat + 0.02, lon)]:
        click_at(page, *corner)
    assert len(page.locator("#update-form input[name=polygon]").input_value().split()) == 3
    page.click("#update-form button[type=submit]")
    expect(page.locator("#warning-msg-type")).to_have_attribute("data-msg-type", "Update")


def test_the_warning_area_is_picked_by_division_name(page: Page, web: WebData) -> None:  # noqa: F811
    sign_in(page, web, "xigaze_commander")
    page.goto(web.live.url + "/warnings")
    page.select_option("#issue-form select[name=area_division]", label="　拉孜县")
    page.fill("#issue-form input[name=headline]", "拉孜县大风蓝色预警-按名选区")
    page.click("#issue-form button[type=submit]")
    page.locator("#warning-rows a", has_text="拉孜县大风蓝色预警-按名选区").click()
    expect(page.locator("#warning-facts")).to_contain_text("拉孜县")
    expect(page.locator("#warning-facts")).not_to_contain_text("定日县")
