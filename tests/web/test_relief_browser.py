"""The reserves page and a dispatch plan page in real headless Chromium (Debian's /usr/bin/chromium via
Playwright): the depots layer is offered on the map, the reserves tables are there, the plan's flows are
drawn as lines; screenshots go to test-artifacts/reserves.png and relief-plan.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.web.conftest import WebData

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.browser

if not CHROMIUM.exists():
    pytest.skip("Chromium is not installed (make test installs Debian's chromium)", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, shot, sign_in  # noqa: E402, F401
from tests.web.test_relief_pages import commander, load_reserves  # noqa: E402

OWN = "540223000000"


def test_the_reserves_page_shows_depots_shelters_teams_and_gaps(page: Page, web: WebData) -> None:  # noqa: F811
    load_reserves(web.live)
    sign_in(page, web)
    page.goto(f"{web.live.url}/reserves")
    expect(page.locator("#reserves-depots tbody tr").first).to_be_visible()
    assert page.locator("#reserves-depots tbody tr").count() >= 3  # own county, city, province, centre
    expect(page.locator("#reserves-shelters")).to_be_visible()
    expect(page.locator("#reserves-gaps")).to_be_visible()
    shot(page, "reserves")
    page.goto(f"{web.live.url}/")
    expect(page.locator("body")).to_contain_text("物资储备库")  # the depots layer is offered


def test_a_plan_page_draws_its_flows(page: Page, web: WebData) -> None:  # noqa: F811
    load_reserves(web.live)
    user = commander(web.live, "dingri_browser_cmd", OWN)
    client = web.live.client(user)
    d = client.get(f"/api/v1/divisions/{OWN}").json()
    created = client.post(
        "/api/v1/relief/plans",
        json={
            "division_code": OWN,
            "month": 1,
            "displaced": [
                {"place": "定日安置点甲", "lon": d["lon"] + 0.1, "lat": d["lat"], "displaced": 800},
                {"place": "定日安置点乙", "lon": d["lon"] - 0.1, "lat": d["lat"] + 0.1, "displaced": 400},
            ],
        },
    )
    assert created.status_code == 201, created.text
    plan = created.json()
    groups = {(s["depot_id"], s["place"]) for s in plan["shipments"]}
    assert groups
    sign_in(page, web, user)
    page.goto(f"{web.live.url}/relief/plans/{plan['id']}")
    page.wait_for_function("() => document.getElementById('plan-map').dataset.flowsDrawn !== undefined")
    drawn = page.evaluate("document.getElementById('plan-map').dataset.flowsDrawn")
    assert int(drawn) == len(groups)
    page.locator("#plan-map .leaflet-overlay-pane canvas").first.wait_for()
    expect(page.locator("#plan-shipments tbody tr")).to_have_count(len(groups))
    expect(page.locator("#plan-shelters tbody tr").first).to_be_visible()
    shot(page, "relief-plan")
    page.click("#commit-form button[type=submit]")
    expect(page.locator("#commit-result")).to_be_visible()
