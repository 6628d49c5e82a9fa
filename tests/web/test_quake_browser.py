"""The assessment page in real headless Chromium (Debian's /usr/bin/chromium via Playwright): the zones are
drawn on the map, the tables and bars are there, nothing is fetched from outside; a screenshot goes to
test-artifacts/quake.png."""

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

DINGRI = {
    "lon": 87.45,
    "lat": 28.5,
    "depth_km": 10,
    "magnitude": 6.8,
    "step_deg": 0.02,
    "origin_time": "2025-01-07T01:05:16+00:00",
    "at": "2025-01-07T03:00:00+00:00",
    "strike_deg": 7,
}


def test_an_assessment_page_draws_its_zones_and_tables(page: Page, web: WebData) -> None:  # noqa: F811
    created = web.live.client("dingri_duty").post("/api/v1/quake/assessments", json=DINGRI)
    assert created.status_code == 201, created.text
    assessment = created.json()
    sign_in(page, web)
    page.goto(f"{web.live.url}/quake/{assessment['id']}")
    page.wait_for_function("() => document.getElementById('quake-map').dataset.zonesDrawn !== undefined")
    drawn = page.evaluate("document.getElementById('quake-map').dataset.zonesDrawn")
    assert int(drawn) == len(assessment["results"]["zones"])
    expect(page.locator("#quake-exposure tbody tr")).to_have_count(len(assessment["results"]["zones"]) + 1)
    expect(page.locator("#quake-fatality-bars .loss-bar")).to_have_count(7)
    expect(page.locator("#quake-aftershocks tbody tr")).to_have_count(3)
    page.locator("#quake-map .leaflet-overlay-pane canvas").first.wait_for()
    shot(page, "quake")
    page.goto(f"{web.live.url}/quake")
    expect(page.locator(f"#quake-rows tr[data-id='{assessment['id']}']")).to_have_count(1)
