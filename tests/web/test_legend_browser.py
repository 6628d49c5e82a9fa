"""The map's legends in real headless Chromium: each layer's legend shows under its switch while the layer
is on and hides when it is off, and no colour of the alarm legend is one of the incident grades' colours."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, shot, sign_in  # noqa: E402, F401

SWATCHES = """(id) => [...document.querySelectorAll(`[data-legend-for="${id}"] i`)]
    .map(i => getComputedStyle(i).backgroundColor)"""


def test_each_layer_has_its_legend_while_it_is_on(page: Page, web: WebData) -> None:  # noqa: F811
    sign_in(page, web, "xigaze_commander")
    incidents = page.locator("[data-legend-for=incidents]")
    expect(incidents).to_be_visible()
    expect(incidents).to_contain_text("特别重大")
    alarms = page.locator("[data-legend-for=alarms]")
    expect(alarms).to_contain_text("高优先级报警")
    grade_colours = set(page.evaluate(SWATCHES, "incidents"))
    alarm_colours = set(page.evaluate(SWATCHES, "alarms"))
    assert len(alarm_colours) == 3 and not alarm_colours & grade_colours
    depots = page.locator("[data-legend-for=depots]")
    expect(depots).to_be_hidden()  # the depots layer starts off
    page.check("input[data-layer=depots]")
    expect(depots).to_be_visible()
    expect(depots).to_contain_text("县级")
    page.uncheck("input[data-layer=incidents]")
    expect(incidents).to_be_hidden()
    shot(page, "map-legends")
