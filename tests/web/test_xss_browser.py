"""Stored XSS, end to end, in real headless Chromium (issue 12, finding 1).

Rows are made in (nearly) every table by running every API route's jurisdiction case (tests/api/cases_*.py:
each new route must have one, so new domains bring their rows) and the domains' demo data; then every text
column of every table is overwritten with script-bearing values (tests/web/xss_fill.py: enumerated from the
models' metadata, so later tables are covered by default). A fresh server on that database then serves
every HTML page the app has — enumerated from its routes, path parameters filled with existing ids — to the
national administrator, with every map layer switched on and every feature's tooltip, popup and card
opened. Nothing may run: no ``top.xss`` marker, no request to the canary path, no CSP violation (each
would mean markup from data was parsed), no script error. And the payloads must have been shown — as
text — in the places the attack of the finding used (site, shelter, depot and team names, headlines)."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from starlette.routing import Mount
from tests.conftest import DEMO_PASSWORD, LiveServer, test_settings
from tests.web.xss_fill import CANARY, Filled, fill

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.browser

if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (make test installs Debian's chromium)", allow_module_level=True)

from playwright.sync_api import Browser, Page  # noqa: E402
from tests.web.test_browser import chromium  # noqa: E402, F401

# Path parameters of pages -> the table whose ids fill them. Other ``<thing>_id`` parameters find their
# table by name (``<thing>s`` or ``…_<thing>s``, when exactly one table fits); a parameter that finds none
# fails the test until it is named here (so a new page cannot escape the visit).
PATH_TABLES = {
    "warning_id": "public_warnings",
    "plan_id": "relief_plans",
    "assessment_id": "assessments",
}
PATH_VALUES = {"code": "en"}  # /lang/{code}
QUERY_VARIANTS = {
    "fragment": ("rows", "count"),  # live fragments fetched by the pages' scripts
    "week": ("2026-06-29",),  # the roster's week of the jurisdiction cases' shifts (T0 = 2026-07-01)
}
IDS_PER_PAGE = 2  # from each end of the table
POINTS_PER_LAYER = 3  # every row of a table carries the same payloads, so a few points show its columns
# Tables no API route or demo loader writes yet (each with the reason); any other empty table fails the test.
EMPTY_OK: dict[str, str] = {
    "tip_photos": "made only by a multipart tip with photos (tests/tips); its text columns are a content hash, "
    "a path made from it and a media type from a closed list, no page shows them",
    "enterprise_members": "links a user to an enterprise: two ids, no text column to poison",
    "hazard_close_days": "a roll-up of closed hazards (codes from the divisions' and categories' lists, and "
    "counts): filled when a hazard closes, no free text",
    "warning_deliveries": "made only when a warning goes out over a configured channel (SMTP, webhook, SMS "
    "gateway), which this test does not run; tests/web/test_monitoring_browser.py shows receipts",
    "login_throttle": "failed sign-in counts (auth.service.DatabaseThrottleStore): keys made of a username, an "
    "address or a device id and numbers; a success deletes its keys, and no page shows them",
    "stock_holds": "made only when a committed plan ships straight from a depot; the cases' plans ship by "
    "transfer orders (their text — holder, note — is not shown on any page today)",
}
# Columns the finding's attack went through: their payloads must have been shown (as text).
MUST_SHOW = {
    "monitored_sites.name", "shelters.name", "depots.name", "rescue_teams.name", "public_warnings.headline",
    "incidents.title", "divisions.name",
}  # fmt: skip

JSON_PAYLOAD = f'<img src={CANARY}json/a onerror=top.xss=0>"><svg onload=top.xss=0>'
WATCH = """
window.__violations = [];
window.__pending = 0;
document.addEventListener('securitypolicyviolation', e =>
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')));
(() => {
  const f = window.fetch;
  window.fetch = function () { window.__pending++; return f.apply(this, arguments).finally(() => window.__pending--); };
  for (const m of ['json', 'text']) {
    const o = Response.prototype[m];
    Response.prototype[m] = function () {
      window.__pending++;
      return o.apply(this, arguments).finally(() => window.__pending--);
    };
  }
})();
"""
SETTLED = "() => document.readyState === 'complete' && window.__pending === 0"
# Every feature of every Leaflet map: open its tooltip and popup, hover and click it (cards); return the
# texts shown.
OPEN_ALL = """() => {
  const Y = window.YINGJI || {}, shown = [];
  const card = document.getElementById('card');
  for (const map of (Y.maps || [])) {
    const layers = [];
    map.eachLayer(l => layers.push(l));
    for (const l of layers) {
      if (l.getTooltip && l.getTooltip()) { l.openTooltip(); }
      if (l.getPopup && l.getPopup()) { l.openPopup(); }
      if (l.fire && !(l.options && l.options.icon)) { l.fire('mouseover'); l.fire('click'); }
      if (card && !card.hidden) shown.push(card.textContent);
    }
    document.querySelectorAll('.leaflet-tooltip, .leaflet-popup, .leaflet-marker-icon').forEach(
      el => shown.push(el.textContent));
  }
  return shown;
}"""
POINTS = """(limit) => {
  const Y = window.YINGJI || {}, out = [];
  for (const id in (Y.pointLayers || {})) {
    (Y.pointLayers[id].points || []).slice(0, limit).forEach(p => out.push([p.lat, p.lng]));
  }
  return out;
}"""


@dataclass
class Visit:
    hits: list[str] = field(default_factory=list)
    shown: set[int] = field(default_factory=set)
    pages: list[str] = field(default_factory=list)


def _jurisdiction_cases(live: LiveServer) -> list[str]:
    """Runs every API route's jurisdiction case against ``live`` (they make rows through the real API);
    returns the cases that failed (their checks assume a database of their own; only their rows count)."""
    from tests.api.cases_foundation import FOREIGN, OWN, PASSWORD, Ctx
    from tests.api.test_jurisdiction import CASES

    national = live.client("admin")
    for name, division in (("dingri_admin", OWN), ("lazi_admin", FOREIGN)):
        r = national.post(
            "/api/v1/users", json={"username": name, "password": PASSWORD, "role": "admin", "division_code": division}
        )
        assert r.status_code in (201, 409), r.text
    ctx = Ctx(
        live=live,
        own=live.client("dingri_duty"),
        own_admin=live.client("dingri_admin", PASSWORD),
        foreign_admin=live.client("lazi_admin", PASSWORD),
    )
    failed = []
    for route, case in sorted(CASES.items()):
        if route[1] == "/api/v1/events":
            continue  # a stream: makes no rows
        try:
            case(ctx)
        except AssertionError:
            failed.append(" ".join(route))
    return failed


def _demo_rows(live: LiveServer) -> None:
    from yingji.auth.scope import system_scope
    from yingji.db import transaction
    from yingji.demo import _load_domain_demos

    with transaction(live.app.state.session_factory) as session:
        _load_domain_demos(session=session, scope=system_scope("xss-test"))


def _more_rows(live: LiveServer) -> None:
    """Rows of the tables no jurisdiction case writes: a response action, a report made, a contact, a
    committed plan's stock holds, the scheduler's notifications."""
    import datetime as dt

    from tests.api.cases_foundation import OWN, PASSWORD, Ctx
    from tests.api.cases_relief import plan

    from yingji.auth.scope import system_scope
    from yingji.db import transaction, utcnow
    from yingji.incidents import service as incident_service

    admin = live.client("admin")
    d = admin.get(f"/api/v1/divisions/{OWN}").json()
    r = admin.post("/api/v1/incidents", json={
        "title": "xss", "incident_type": "earthquake", "lon": d["lon"], "lat": d["lat"], "divisions": [OWN],
        "occurred_at": "2026-11-28T08:00:00+08:00", "figures": {"deaths": 12}})  # fmt: skip
    assert r.status_code == 201, r.text
    incident = r.json()
    admin.post(
        f"/api/v1/incidents/{incident['id']}/response",
        json={"version": incident["version"], "action": "recommend", "level": 2, "reason": "x"},
    )
    due = admin.get(f"/api/v1/incidents/{incident['id']}/deadlines").json()
    if due:
        admin.post(f"/api/v1/incidents/{incident['id']}/deadlines", json={"key": due[0]["key"]})
    org = admin.post("/api/v1/organisations", json={"name": "xss", "division_code": OWN}).json()
    admin.post(f"/api/v1/organisations/{org['id']}/contacts", json={"name": "xss", "email": "x@example.org"})
    ctx = Ctx(
        live=live,
        own=live.client("dingri_duty"),
        own_admin=live.client("dingri_admin", PASSWORD),
        foreign_admin=live.client("lazi_admin", PASSWORD),
    )
    ctx.own_admin.post(f"/api/v1/relief/plans/{plan(ctx, 'own')['id']}/commit")
    # Strings inside JSON columns are not filled by xss_fill; a place name of a plan's demands is one a user
    # types, shown on the plan page and its map: store a payload there through the API.
    r = ctx.own_admin.post(
        "/api/v1/relief/plans",
        json={
            "division_code": OWN,
            "demands": [
                {"place": JSON_PAYLOAD, "lon": d["lon"] + 0.01, "lat": d["lat"], "item": "quilt", "quantity": 5}
            ],
        },
    )
    assert r.status_code == 201, r.text
    with transaction(live.app.state.session_factory) as session:
        incident_service.flag_overdue(
            session=session, scope=system_scope("xss-test"), now=utcnow() + dt.timedelta(days=30)
        )
        # The earthquake feeds poll outside services (none reachable here): one feed row, as a poll stores it.
        from yingji.quake.feeds.models import FeedEarthquake

        now = utcnow()
        session.add(
            FeedEarthquake(
                origin_time=now,
                lon=d["lon"],
                lat=d["lat"],
                depth_km=10.0,
                magnitude=6.8,
                magnitude_type="Mw",
                place="xss",
                reports={},
                versions=[],
                status="assessed",
                note="xss",
                first_seen_at=now,
                updated_at=now,
            )
        )


@pytest.fixture(scope="module")
def poisoned(live: LiveServer) -> Iterator[tuple[LiveServer, Filled]]:
    """A fresh server on the live server's database after every text column was filled (no process
    cache keeps a name from before)."""
    _demo_rows(live)
    _jurisdiction_cases(live)
    _more_rows(live)
    filled = fill(live.app.state.engine)
    with LiveServer(test_settings(live.settings.database_url)) as server:
        yield server, filled


def _table_of(param: str) -> str | None:
    from yingji.db import Base

    if param in PATH_TABLES:
        return PATH_TABLES[param]
    if not param.endswith("_id"):
        return None
    thing = param.removesuffix("_id")
    fits = [t for t in Base.metadata.tables if t in (thing + "s", thing + "es") or t.endswith(f"_{thing}s")]
    return fits[0] if len(fits) == 1 else None


def schema_pages(server: LiveServer) -> list[str]:
    """FastAPI's own OpenAPI pages (plain routes): no stored data in them; the browser test leaves them out
    (Swagger UI would load from a CDN, which the CSP refuses), the headers test checks them."""
    from fastapi.routing import APIRoute

    from yingji.app import all_routes

    return [
        r.path
        for r in all_routes(server.app)
        if not isinstance(getattr(r, "route", r), APIRoute | Mount) and "GET" in (getattr(r, "methods", None) or ())
    ]


def page_urls(server: LiveServer) -> list[str]:
    """Every GET route of the app that may answer HTML (pages, fragments, printable reports), with its path
    parameters filled from existing rows."""
    from fastapi.responses import HTMLResponse
    from fastapi.routing import APIRoute

    from yingji.app import all_routes

    urls: list[str] = []
    with server.app.state.engine.connect() as conn:
        for r in all_routes(server.app):
            route = getattr(r, "route", r)
            if not isinstance(route, APIRoute) or "GET" not in route.methods:
                continue
            response_class = getattr(route.response_class, "value", route.response_class)
            if r.path.startswith("/api/") and response_class is not HTMLResponse and route.include_in_schema:
                continue  # JSON (pages out of the schema, like the API reference, are visited)
            if r.path.endswith(".xlsx"):
                continue  # a download, not a page: its text cells are checked in tests/web/test_stats_pages.py
            params = re.findall(r"\{(\w+)\}", r.path)
            tables = {p: _table_of(p) for p in params if p not in PATH_VALUES}
            unknown = [p for p, table in tables.items() if table is None]
            assert not unknown, f"{r.path}: name the table of {unknown} in PATH_TABLES to visit this page"
            variants = [r.path]
            for p in params:
                if p in PATH_VALUES:
                    values = [PATH_VALUES[p]]
                else:
                    table = sa.table(str(tables[p]), sa.column("id"))
                    ends = [
                        conn.execute(sa.select(table.c.id).order_by(order).limit(IDS_PER_PAGE)).scalars().all()
                        for order in (table.c.id, table.c.id.desc())
                    ]
                    values = sorted({str(i) for end in ends for i in end})  # the oldest rows and the newest
                    assert values, f"{r.path}: no row in {tables[p]} to show"
                variants = [v.replace("{" + p + "}", value) for v in variants for value in values]
            queries = [q.name for q in route.dependant.query_params if q.name in QUERY_VARIANTS]
            urls.extend(variants)
            urls.extend(f"{v}?{q}={value}" for v in variants for q in queries for value in QUERY_VARIANTS[q])
    return urls


def _sign_in(page: Page, server: LiveServer) -> None:
    page.goto(server.url + "/login")
    page.fill("input[name=username]", "admin")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(server.url + "/")


def _markers(texts: list[str]) -> set[int]:
    return {int(n) for text in texts for n in re.findall(r"top\.xss=(\d+)", text)}


def _check(page: Page, url: str, visit: Visit) -> None:
    ran = page.evaluate("() => [window.xss, window.__violations]")
    if ran[0] is not None:
        visit.hits.append(f"{url}: a payload ran (column #{ran[0]})")
    visit.hits.extend(f"{url}: CSP violation {v}" for v in ran[1])


def _open_everything(page: Page, url: str, visit: Visit) -> None:
    page.wait_for_function(SETTLED)
    for box in page.locator("input[data-layer]").all():
        if not box.is_checked():
            box.check()
    page.wait_for_function(SETTLED)
    visit.shown |= _markers(page.evaluate(OPEN_ALL))
    for lat, lng in page.evaluate(POINTS, POINTS_PER_LAYER):
        page.evaluate("([lat, lng]) => { YINGJI.map.setView([lat, lng], 17, {animate: false}); }", [lat, lng])
        visit.shown |= _markers(page.evaluate(OPEN_ALL))
        page.wait_for_function(SETTLED)
    visit.shown |= _markers(page.evaluate(OPEN_ALL))
    visit.shown |= _markers([page.evaluate("() => document.body ? document.body.innerText : ''")])
    _check(page, url, visit)


def test_no_stored_script_runs_on_any_page_or_map_layer(
    chromium: Browser,  # noqa: F811 (the imported fixture)
    poisoned: tuple[LiveServer, Filled],
) -> None:
    server, filled = poisoned
    empty = sorted(set(filled.empty_tables) - set(EMPTY_OK))
    assert not empty, f"tables without a row to poison (add a jurisdiction case or demo row, or EMPTY_OK): {empty}"
    context = chromium.new_context(viewport={"width": 1400, "height": 860}, locale="zh-CN")
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(120_000)  # the coverage report computes travel times for every depot
    visit = Visit()
    page.on("request", lambda r: visit.hits.append(f"canary request {r.url}") if CANARY in r.url else None)
    page.on("pageerror", lambda e: visit.hits.append(f"{page.url}: script error {e}"))
    page.on(
        "console",
        lambda m: (
            visit.hits.append(f"{page.url}: {m.text}")
            if m.type == "error" and "Content Security Policy" in m.text
            else None
        ),
    )
    try:
        _sign_in(page, server)
        explored: set[str] = set()
        for path in page_urls(server):
            response = page.goto(server.url + path)
            assert response is not None
            if "text/html" not in (response.headers.get("content-type") or ""):
                continue
            assert response.status < 500, f"{path} answered {response.status}"
            visit.pages.append(path)
            if page.url in explored:  # a redirect to a page already explored (/lang/en → /): check, don't redo
                page.wait_for_function(SETTLED)
                _check(page, path, visit)
                continue
            explored.add(page.url)
            _open_everything(page, path, visit)
    finally:
        context.close()
    shown = {filled.columns[n] for n in visit.shown if n in filled.columns}
    print(
        f"{len(visit.pages)} pages visited; payloads of {len(shown)} of {len(filled.columns)} columns shown as "
        f"text; skipped: {filled.skipped}; not shown: {sorted(set(filled.columns.values()) - shown)}"
    )
    assert len(visit.pages) >= 10, visit.pages
    assert not visit.hits, "\n".join(visit.hits[:40])
    assert shown >= MUST_SHOW, f"payloads never shown (the test would prove nothing): {MUST_SHOW - shown}"


def test_every_page_and_report_carries_the_csp_and_security_headers(poisoned: tuple[LiveServer, Filled]) -> None:
    server, _ = poisoned
    client = httpx.Client(base_url=server.url, timeout=60)
    login = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert csrf
    assert (
        client.post(
            "/login", data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": csrf.group(1)}
        ).status_code
        == 303
    )
    checked, failed = 0, []
    for path in ["/login", "/no-such-page", "/api/v1/auth/me", *schema_pages(server), *page_urls(server)]:
        r = client.get(path)
        if r.status_code >= 500:
            failed.append(f"{path}: {r.status_code}")
        _headers_ok(path, r.headers)
        checked += "text/html" in r.headers.get("content-type", "")
    assert not failed, failed
    assert checked >= 10
    static = client.get("/static/app.js")
    assert static.headers["x-content-type-options"] == "nosniff" and "no-store" not in static.headers.get(
        "cache-control", ""
    )


def _headers_ok(path: str, headers: Any) -> None:
    csp = headers.get("content-security-policy", "")
    directives = dict([*d.strip().split(" ", 1), ""][:2] for d in csp.split(";") if d.strip())
    assert directives.get("frame-ancestors") == "'none'", (path, csp)
    assert directives.get("object-src") == "'none'", (path, csp)
    assert "unsafe-inline" not in directives.get("script-src", "'none'"), (path, csp)
    assert "unsafe-eval" not in csp, (path, csp)
    assert directives.get("script-src") in ("'self'", "'none'"), (path, csp)
    assert directives.get("base-uri") in ("'self'", "'none'"), (path, csp)
    assert directives.get("form-action") in ("'self'", "'none'"), (path, csp)
    assert directives.get("default-src") in ("'self'", "'none'"), (path, csp)
    if directives.get("script-src") == "'self'":  # a page: no inline style either
        assert directives.get("style-src") == "'self'", (path, csp)
    assert headers.get("x-content-type-options") == "nosniff", path
    assert headers.get("referrer-policy") in ("same-origin", "no-referrer", "strict-origin"), path
    assert headers.get("x-frame-options") == "DENY", path
    assert headers.get("cache-control") == "no-store", path
