"""The map's base (issue #13 point 7) in real Chromium: the configured tile server — offline, a local stub
that records every tile asked for — in each grid the setting names (web Mercator with GCJ-02's shift,
CGCS2000 longitude-latitude), with the provider's subdomains, key and credit; the Leaflet credit without
its flag; division names as labels by zoom on the offline base; the gaps layer marking gaps only."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from tests.conftest import DEMO_PASSWORD, LiveServer, _fresh_database, test_settings
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, sign_in  # noqa: E402, F401

# a 1×1 transparent PNG
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002"
    "00000500017a5eab3f0000000049454e44ae426082"
)


class _Tiles(BaseHTTPRequestHandler):
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        _Tiles.asked.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(PNG)))
        self.end_headers()
        self.wfile.write(PNG)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture(scope="module")
def tiles() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Tiles)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def _served(request: pytest.FixtureRequest, tmp: Path, **tile: object) -> Iterator[LiveServer]:
    for url in _fresh_database("sqlite", request, tmp):
        with LiveServer(test_settings(url, **tile)) as server:
            yield server


@pytest.fixture(scope="module")
def gcj(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiles: str) -> Iterator[LiveServer]:
    yield from _served(
        request,
        tmp_path_factory.mktemp("gcj"),
        tile_url=tiles + "/gcj/{s}/{z}/{x}/{y}.png?key={key}",
        tile_crs="GCJ-02",
        tile_subdomains="1234",
        tile_key="demo-key-123",
        tile_attribution="© 测试底图 <b>",
    )


@pytest.fixture(scope="module")
def cgcs(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, tiles: str) -> Iterator[LiveServer]:
    yield from _served(
        request,
        tmp_path_factory.mktemp("cgcs"),
        tile_url=tiles + "/c/{z}/{x}/{y}.png",
        tile_crs="CGCS2000",
        tile_zoom_offset=1,
    )


def _map_page(chromium: Browser, server: LiveServer) -> Page:  # noqa: F811
    context = chromium.new_context(viewport={"width": 1200, "height": 800}, locale="zh-CN")
    page = context.new_page()  # noqa: F811
    page.goto(server.url + "/login")
    page.fill("input[name=username]", "dingri_duty")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")
    page.wait_for_function("() => document.querySelectorAll('.leaflet-tile-loaded').length > 0")
    return page


def test_gcj02_tiles_with_subdomains_key_and_credit(chromium: Browser, gcj: LiveServer, tiles: str) -> None:  # noqa: F811
    import numpy as np

    from yingji.geo.coords import wgs84_to_gcj02

    _Tiles.asked.clear()
    page = _map_page(chromium, gcj)  # noqa: F811
    asked = [p for p in _Tiles.asked if p.startswith("/gcj/")]
    assert asked and all("key=demo-key-123" in p for p in asked)
    assert {p.split("/")[2] for p in asked} <= set("1234")
    assert page.evaluate("() => YINGJI.map.options.crs.code") == "GCJ-02"
    # the platform's WGS 84 data is moved onto the tiles by the same offset the geo module uses
    places = [(87.1, 28.6), (116.39, 39.91), (121.47, 31.23)]
    for lon, lat in places:
        js = page.evaluate(f"() => YINGJI.toGcj({lon}, {lat})")
        py = wgs84_to_gcj02(np.array([lon]), np.array([lat]))
        assert abs(js[0] - py[0][0]) < 1e-9 and abs(js[1] - py[1][0]) < 1e-9
        back = page.evaluate(f"() => YINGJI.fromGcj(...YINGJI.toGcj({lon}, {lat}))")
        assert abs(back[0] - lon) < 1e-7 and abs(back[1] - lat) < 1e-7
    # the credit: the configured text (as text, not markup) and Leaflet's name, without its flag
    credit = page.locator(".leaflet-control-attribution")
    expect(credit).to_contain_text("© 测试底图 <b>")
    expect(credit).to_contain_text("Leaflet")
    assert credit.locator("svg, img, b").count() == 0
    page.context.close()


def test_cgcs2000_longitude_latitude_tiles_with_a_zoom_offset(chromium: Browser, cgcs: LiveServer) -> None:  # noqa: F811
    _Tiles.asked.clear()
    page = _map_page(chromium, cgcs)  # noqa: F811
    assert page.evaluate("() => YINGJI.map.options.crs === L.CRS.EPSG4326")
    zoom = page.evaluate("() => YINGJI.map.getZoom()")
    asked = [p for p in _Tiles.asked if p.startswith("/c/")]
    assert asked and {int(p.split("/")[2]) for p in asked} == {round(zoom) + 1}
    page.context.close()


def test_division_names_label_the_offline_base_by_zoom(page: Page, web: WebData) -> None:  # noqa: F811
    sign_in(page, web)
    page.wait_for_function("() => Number(document.getElementById('map').dataset.labels || 0) > 0")
    labels = page.locator(".division-label")
    expect(labels.first).to_be_visible()
    townships = web.live.client("dingri_duty").get("/api/v1/divisions/boundaries?level=township").json()["features"]
    names = {f["properties"]["name"] for f in townships}
    assert set(labels.all_inner_texts()) == names
    # zoomed out: the county's own name instead of its townships'
    page.evaluate("() => YINGJI.map.setZoom(YINGJI.map.getZoom() - 2, { animate: false })")
    expect(page.locator(".division-label")).to_have_count(1)
    expect(page.locator(".division-label")).to_have_text("定日县")
    # in again: the townships' names
    page.evaluate("() => YINGJI.map.setZoom(YINGJI.map.getZoom() + 2, { animate: false })")
    expect(page.locator(".division-label")).to_have_count(len(names))
    # no tile server configured: the Leaflet credit alone, without the flag
    credit = page.locator(".leaflet-control-attribution")
    expect(credit).to_have_text("Leaflet")
    assert credit.locator("svg, img").count() == 0


def test_the_gaps_layer_marks_the_places_with_gaps_only(page: Page, web: WebData) -> None:  # noqa: F811
    from yingji.web.relief_pages import GAP_KIND_COLOURS

    sign_in(page, web, "xigaze_commander")
    layer = page.evaluate("() => fetch('/map/layers/gaps').then(r => r.json())")
    features = layer["features"]
    assert features and all(f["geometry"]["type"] == "Point" for f in features)
    assert {f["properties"]["colour"] for f in features} <= set(GAP_KIND_COLOURS.values())
    assert all(f["properties"]["gap"] for f in features)
    box = page.locator("input[data-layer=gaps]")
    box.check()
    page.wait_for_function("() => document.getElementById('map').dataset.count_gaps !== undefined")
    # no area is painted: the only filled shapes of the overlay are the base boundaries and the markers
    painted = page.evaluate(
        "() => { let n = 0; YINGJI.map.eachLayer(l => { if (l.feature && l.feature.id && "
        "String(l.feature.id).startsWith('gap/') && l.getBounds) n++; }); return n; }"
    )
    assert painted == 0
    legend = page.locator("[data-legend=gaps]")
    if legend.count():
        expect(legend).to_contain_text("避难场所面积不足的乡镇")
