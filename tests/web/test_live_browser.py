"""Live updates in real headless Chromium: all tabs of a browser share one event stream, so eight open tabs
never use up the browser's six connections per server (which froze a click for a minute), and an event
still reaches every tab. The stream count is read on the server (``web.stream.open_streams``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.web.conftest import WebData, make_incident

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")

from playwright.sync_api import Browser, BrowserContext, Page  # noqa: E402
from tests.web.test_browser import CHROMIUM, chromium, sign_in  # noqa: E402, F401

from yingji.web.stream import OpenStreams, open_streams  # noqa: E402

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

NAV = ["/incidents", "/duty", "/stats", "/"]
LISTEN = "window.__got = []; YINGJI.onEvent(function (e) { window.__got.push(e); });"


def _got(incident_id: int) -> str:
    # A function, not an expression: Playwright evals a string once and keeps a function, but re-evals an
    # expression on every poll, which the pages' CSP (no 'unsafe-eval') refuses after the first try.
    return f"() => window.__got.some(function (e) {{ return e.entity === 'incident' && e.id === '{incident_id}'; }})"


@pytest.fixture
def context(chromium: Browser) -> Iterator[BrowserContext]:  # noqa: F811
    context = chromium.new_context(viewport={"width": 1200, "height": 800}, locale="zh-CN")
    yield context
    context.close()


def _wait_streams(streams: OpenStreams, want: int, opened_at_least: int = 0) -> None:
    """Poll the server's count (it notices a closed stream within about a second)."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if streams.now == want and streams.opened_total >= opened_at_least:
            return
        time.sleep(0.05)
    raise AssertionError(f"the server holds {streams.now} streams, expected {want}")


def _open_tabs(context: BrowserContext, web: WebData, n: int) -> list[Page]:
    first = context.new_page()
    sign_in(first, web)
    tabs = [first]
    for i in range(1, n):
        tab = context.new_page()
        tab.goto(web.live.url + NAV[i % len(NAV)])
        tabs.append(tab)
    return tabs


def test_eight_tabs_share_one_stream_navigate_freely_and_all_get_an_event(
    context: BrowserContext, web: WebData
) -> None:
    streams = open_streams(web.live.app)
    tabs = _open_tabs(context, web, 8)
    assert {tab.evaluate("YINGJI_LIVE.mode()") for tab in tabs} == {"shared-worker"}
    _wait_streams(streams, 1)
    streams.peak = streams.now
    for n in range(30):  # a person clicking through the top bar in one tab after another
        tab = tabs[n % len(tabs)]
        target = NAV[n % len(NAV)]
        tab.click(f"header nav a[href='{target}']")
        tab.wait_for_url(web.live.url + target)
        tab.wait_for_load_state("load")
    assert streams.peak <= 1, f"the browser opened {streams.peak} event streams at once"
    for tab in tabs:
        tab.evaluate(LISTEN)
    _wait_streams(streams, 1)
    made = make_incident(web.live, "dingri_duty", "八个标签页都应收到", "540223", 87.2, 28.6)
    for tab in tabs:
        tab.wait_for_function(_got(made))
    assert streams.peak <= 1
    for tab in tabs:
        tab.close()
    _wait_streams(streams, 0)  # the last tab left: the stream is closed


def test_without_shared_workers_a_leader_tab_holds_the_one_stream_and_relays(
    context: BrowserContext, web: WebData
) -> None:
    context.add_init_script("delete window.SharedWorker;")
    streams = open_streams(web.live.app)
    tabs = _open_tabs(context, web, 3)
    assert {tab.evaluate("YINGJI_LIVE.mode()") for tab in tabs} == {"leader-tab"}
    _wait_streams(streams, 1)
    streams.peak = streams.now
    for tab in tabs:
        tab.evaluate(LISTEN)
    made = make_incident(web.live, "dingri_duty", "领头标签页转发", "540223", 87.2, 28.6)
    for tab in tabs:
        tab.wait_for_function(_got(made))
    opened = streams.opened_total
    tabs[0].close()  # the first tab led; another takes over (the server may see the old stream end late)
    _wait_streams(streams, 1, opened_at_least=opened + 1)
    streams.peak = streams.now
    again = make_incident(web.live, "dingri_duty", "接替的标签页转发", "540223", 87.2, 28.6)
    for tab in tabs[1:]:
        tab.wait_for_function(_got(again))
    assert streams.peak <= 1
