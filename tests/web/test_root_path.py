"""Served under a sub-path (YINGJI_ROOT_PATH=/yingji, as behind a shared portal's reverse proxy): every link,
form, script, redirect, map request and the live stream of the pages carry the prefix, through real HTTP
and in real Chromium."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import httpx
import pytest
from tests.conftest import DEMO_PASSWORD, LiveServer, _fresh_database, test_settings

import yingji.app  # noqa: F401  (the app sets the top bar's links, web.layers.NAV)
from yingji.web.layers import NAV

ROOT = "/yingji"
STATIC = Path(__file__).resolve().parents[2] / "src" / "yingji" / "web" / "static"
PAGES = ["/", *sorted({item.path for item in NAV}), "/incidents/new", "/login"]


@pytest.fixture(scope="module")
def rooted(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    for url in _fresh_database("sqlite", request, tmp_path_factory.mktemp("rooted")):
        with LiveServer(test_settings(url, root_path=ROOT)) as server:
            yield server


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []  # (tag, attribute, value)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in ("href", "src", "action") and value:
                self.found.append((tag, name, value))


def _signed_in(server: LiveServer, username: str = "dingri_duty") -> httpx.Client:
    client = httpx.Client(base_url=server.url, timeout=30)
    page = client.get(f"{ROOT}/login")
    assert page.status_code == 200
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    answer = client.post(f"{ROOT}/login", data={"username": username, "password": DEMO_PASSWORD,
                                                 "csrf_token": csrf.group(1), "next": f"{ROOT}/incidents"})  # fmt: skip
    assert answer.status_code == 303 and answer.headers["location"] == f"{ROOT}/incidents"
    return client


def test_a_visitor_is_sent_to_the_login_page_under_the_prefix(rooted: LiveServer) -> None:
    with httpx.Client(base_url=rooted.url, timeout=30) as client:
        answer = client.get(f"{ROOT}/incidents")
        assert answer.status_code == 303
        assert answer.headers["location"] == f"{ROOT}/login?next={ROOT}/incidents"
        # a next outside the deployment is not followed: the map under the prefix instead
        page = client.get(f"{ROOT}/login", params={"next": "/elsewhere"})
        assert f'value="{ROOT}/"' in page.text


def test_a_new_assessment_or_plan_made_on_a_form_opens_under_the_prefix(rooted: LiveServer) -> None:
    client = _signed_in(rooted, "xigaze_commander")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"{ROOT}/quake").text)
    assert csrf is not None
    quake = {"lon": "87.45", "lat": "28.5", "depth_km": "10", "magnitude": "5.5", "magnitude_type": "Ms"}
    made = client.post(f"{ROOT}/quake", data={**quake, "csrf_token": csrf.group(1)})
    assert made.status_code == 303 and re.fullmatch(rf"{ROOT}/quake/\d+", made.headers["location"])
    assert client.get(made.headers["location"]).status_code == 200
    assessment = made.headers["location"].rsplit("/", 1)[1]
    plan = client.post(f"{ROOT}/relief/plans", data={"csrf_token": csrf.group(1), "assessment_id": assessment})
    assert plan.status_code == 303 and re.fullmatch(rf"{ROOT}/relief/plans/\d+", plan.headers["location"])
    assert client.get(plan.headers["location"]).status_code == 200


def test_every_link_form_and_script_of_every_page_carries_the_prefix_and_answers(rooted: LiveServer) -> None:
    client = _signed_in(rooted)
    followed: set[str] = set()
    for path in PAGES:
        answer = client.get(ROOT + path)
        assert answer.status_code == 200, (path, answer.status_code)
        parser = _Links()
        parser.feed(answer.text)
        local = [(tag, attr, v) for tag, attr, v in parser.found if v.startswith("/") and not v.startswith("//")]
        assert local, path
        wrong = [item for item in local if not (item[2] == ROOT or item[2].startswith(ROOT + "/"))]
        assert not wrong, f"{path}: links without the prefix {wrong}"
        for _tag, attr, value in local:
            if attr != "action" and value not in followed and "/logout" not in value:
                followed.add(value)
                assert client.get(value).status_code < 400, value
    assert any("/static/" in v for v in followed) and any("/incidents" in v for v in followed)


def test_the_pages_scripts_request_the_platform_only_through_the_prefix() -> None:
    """Every request a script makes to a path of the platform goes through YINGJI.url (YINGJI.fetchFragment
    applies it too) or the live hubs' own prefix: no literal absolute path handed to fetch, EventSource or
    SharedWorker."""
    literal = re.compile(r"""(?:fetch|EventSource|SharedWorker)\(\s*["']/""")
    offenders = [
        f"{path.name}:{number}"
        for path in sorted(STATIC.glob("*.js"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if path.name != "api-docs.js" and literal.search(line)
    ]
    assert not offenders, offenders


@pytest.mark.browser
def test_in_chromium_the_map_the_live_stream_and_the_navigation_work_under_the_prefix(rooted: LiveServer) -> None:
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright
    from tests.web.test_browser import CHROMIUM

    from yingji.web.stream import open_streams

    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed")
    base = rooted.url + ROOT
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_context(locale="zh-CN").new_page()
            failed: list[str] = []
            page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
            page.on("pageerror", lambda e: failed.append(str(e)))
            page.goto(base + "/login")
            page.fill("input[name=username]", "dingri_duty")
            page.fill("input[name=password]", DEMO_PASSWORD)
            with page.expect_response(lambda r: "/api/v1/divisions/boundaries" in r.url) as boundaries:
                page.click("button[type=submit]")
                page.wait_for_url(base + "/")
            assert boundaries.value.url.startswith(base + "/api/v1/") and boundaries.value.status == 200
            assert page.evaluate("YINGJI.root") == ROOT
            assert page.evaluate("YINGJI_LIVE.mode()") == "shared-worker"
            streams = open_streams(rooted.app)
            deadline = time.monotonic() + 20
            while streams.now < 1 and time.monotonic() < deadline:  # the worker's stream reached the server
                time.sleep(0.05)
            assert streams.now == 1
            page.click("header nav a[href='/yingji/incidents']")
            page.wait_for_url(base + "/incidents")
            with page.expect_response(lambda r: "/api/v1/divisions/boundaries" in r.url) as township:
                page.goto(base + "/incidents/new")  # the 上报 form's map
            assert township.value.url.startswith(base + "/api/v1/") and township.value.status == 200
            assert not failed, failed
        finally:
            browser.close()
