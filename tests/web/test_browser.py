"""The dashboard in real headless Chromium (Debian's /usr/bin/chromium driven by Playwright; never a
browser download). Screenshots of each main page go to test-artifacts/ on every run."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import FOREIGN_SECRET, OWN_SECRET, WebData, make_incident

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (make test installs Debian's chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect, sync_playwright  # noqa: E402


@pytest.fixture(scope="module")
def chromium() -> Iterator[Browser]:
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(chromium: Browser, web: WebData) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    page = context.new_page()
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith((web.live.url, "data:")) else None)
    yield page
    context.close()
    assert not external, f"the page asked for outside resources: {external}"


def sign_in(page: Page, web: WebData, user: str = "dingri_duty") -> None:
    page.goto(web.live.url + "/login")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(web.live.url + "/")


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_sign_in_and_the_map_shows_only_the_own_jurisdiction(page: Page, web: WebData) -> None:
    sign_in(page, web)
    expect(page.locator("#jurisdiction-name")).to_have_text("定日县")
    page.wait_for_function("() => document.getElementById('map').dataset.count_incidents !== undefined")
    shot(page, "map")
    layer = page.evaluate("fetch('/map/layers/incidents').then(r => r.json())")
    ids = {point[0] for point in layer["points"]}
    assert web.own_incident in ids and web.foreign_incident not in ids
    codes = page.evaluate(
        "fetch('/api/v1/divisions/boundaries?level=township').then(r => r.json())"
        ".then(fc => fc.features.map(f => f.id))"
    )
    assert codes and all(c.startswith("540223") for c in codes)
    page.locator(".leaflet-overlay-pane canvas").first.wait_for()


def test_a_click_on_an_incident_opens_its_card_read_from_the_server(page: Page, web: WebData) -> None:
    sign_in(page, web)
    page.wait_for_function("() => document.getElementById('map').dataset.count_incidents !== undefined")
    page.evaluate("YINGJI.map.setView([28.6, 87.1], 15, {animate: false})")
    x, y = page.evaluate("""(() => {
        const p = YINGJI.map.latLngToContainerPoint([28.6, 87.1]);
        const box = document.getElementById('map').getBoundingClientRect();
        return [box.left + p.x, box.top + p.y]; })()""")
    page.mouse.click(x, y)
    expect(page.locator("#card h3")).to_have_text(OWN_SECRET)
    expect(page.locator("#card a")).to_have_attribute("href", f"/incidents/{web.own_incident}")
    shot(page, "map-card")


def test_a_cluster_takes_the_colour_of_its_most_serious_incident(page: Page, web: WebData) -> None:
    styles = ["#c0392b", "#e67e22", "#f1c40f", "#2980b9", "#7f8c8d"]  # most serious first
    layer = {
        "points": [[1, 87.1, 28.6, 3], [2, 87.1001, 28.6001, 1], [3, 87.1002, 28.6, 4]],
        "styles": styles,
        "card": "/map/layers/incidents/{id}",
    }
    page.route("**/map/layers/incidents", lambda route: route.fulfill(json=layer))
    sign_in(page, web)
    page.wait_for_function("() => document.getElementById('map').dataset.count_incidents === '3'")
    cluster = page.locator(".leaflet-marker-icon.cluster span")
    expect(cluster).to_have_text("3")
    expect(cluster).to_have_css("background-color", "rgb(230, 126, 34)")


def test_incident_list_shows_only_the_own_county_and_opens_an_incident(page: Page, web: WebData) -> None:
    sign_in(page, web)
    page.click("text=突发事件 >> nth=0")
    expect(page.locator("#incident-rows")).to_contain_text(OWN_SECRET)
    expect(page.locator("#incident-rows")).not_to_contain_text(FOREIGN_SECRET)
    shot(page, "incidents")
    page.click(f"text={OWN_SECRET}")
    expect(page.locator("h1")).to_contain_text(OWN_SECRET)
    shot(page, "incident")


def test_adding_a_task_in_the_browser(page: Page, web: WebData) -> None:
    sign_in(page, web)
    page.goto(f"{web.live.url}/incidents/{web.own_incident}")
    page.fill("#task-form input[name=title]", "转移受威胁群众")
    page.fill("#task-form input[name=team]", "定日县应急管理局")
    page.click("#task-form button[type=submit]")
    expect(page.locator("#tasks")).to_contain_text("转移受威胁群众")
    page.click("#task-form button[type=submit]")  # empty title: the error shows next to the field
    expect(page.locator('.field-error[data-field="title"]')).to_be_visible()


def test_a_new_incident_arrives_live_without_a_reload(page: Page, web: WebData) -> None:
    sign_in(page, web)
    page.goto(web.live.url + "/incidents")
    page.wait_for_timeout(1500)  # the event stream connects
    make_incident(web.live, "lazi_duty", "拉孜县另一起事件-不应出现", "540225", 87.6, 29.1)
    make_incident(web.live, "dingri_duty", "定日县新接报事件", "540223", 87.2, 28.6)
    expect(page.locator("#toasts .toast").first).to_be_visible(timeout=15_000)
    expect(page.locator("#incident-rows")).to_contain_text("定日县新接报事件", timeout=15_000)
    expect(page.locator("#incident-rows")).not_to_contain_text("拉孜县另一起事件")
    shot(page, "live-update")
    page.click("#mute")
    assert page.evaluate("localStorage.getItem('yingji-muted')") == "1"


def test_switching_language_to_english(page: Page, web: WebData) -> None:
    sign_in(page, web)
    page.click("#lang-switch")
    expect(page.locator("header nav")).to_contain_text("Incidents")
    page.goto(web.live.url + "/duty")
    expect(page.locator("h1")).to_have_text("On duty today")
    shot(page, "duty-en")
    page.goto(web.live.url + "/stats")
    shot(page, "stats-en")


def test_a_layer_switched_off_loads_when_switched_on(page: Page, web: WebData) -> None:
    sign_in(page, web)
    page.wait_for_function("() => document.getElementById('map').dataset.count_incidents !== undefined")
    hidden = page.locator("input[data-layer]:not([checked])").first
    layer_id = hidden.get_attribute("data-layer")
    assert layer_id and page.evaluate(f"document.getElementById('map').dataset.count_{layer_id}") is None
    hidden.check()
    page.wait_for_function(f"() => document.getElementById('map').dataset.count_{layer_id} !== undefined")
