"""Server time per main page, and the map's responsiveness with 10,000+ features, in a real browser.

Data: the data set of ``bench/api_read.py`` (100,000 incidents with timelines over every demo county, in
PostgreSQL, schema ``bench_command`` of ``yingji_bench``; loaded here unless ``--reuse``). A uvicorn server
on loopback serves the pages; a county duty officer and the prefecture's duty officer sign in through
the login form. Each main page is fetched ``--repeats`` times; the server's own time comes from the
``Server-Timing`` header (goal ≤ 300 ms per page). Then headless Chromium opens the map of the
prefecture user (every open incident of 18 counties) and measures, in the page, the time to draw the
incident layer with grid clustering and the time of a zoom redraw — against drawing every feature as its
own marker (no clustering), measured in the same page: the ratio is the clustering's gain.

Then eight tabs of one browser, signed in as the county duty officer, click through the top bar thirty
times (one tab after another, as in the stall the live streams caused when each tab held its own): the
slowest navigation is printed against its goal (≤ 2 s), with the way the tabs share their live stream.

    .venv/bin/python bench/pages.py [--reuse] [--incidents 100000] [--repeats 20]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import sys
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import api_read

GOAL_MS = 300.0
PAGES = (
    "/",
    "/incidents",
    "/incidents?status=responding",
    "/incidents/{id}",
    "/duty",
    "/stats",
    "/map/layers/incidents",
)


def sign_in(base: str, username: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=60)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf, "no CSRF token on the login page"
    r = client.post("/login", data={"username": username, "password": api_read.PASSWORD, "csrf_token": csrf.group(1)})
    assert r.status_code == 303, r.text[:300]
    return client


def server_ms(response: httpx.Response) -> float:
    match = re.search(r"dur=([0-9.]+)", response.headers.get("server-timing", ""))
    return float(match.group(1)) if match else float("nan")


def measure_pages(base: str, username: str, incident_id: int, repeats: int) -> list[tuple[str, float, float, int]]:
    client = sign_in(base, username)
    rows = []
    for path in PAGES:
        url = path.replace("{id}", str(incident_id))
        client.get(url)  # warm
        times, sizes = [], 0
        for _ in range(repeats):
            r = client.get(url)
            assert r.status_code == 200, (url, r.status_code)
            times.append(server_ms(r))
            sizes = len(r.content)
        rows.append((url, statistics.median(times), max(times), sizes))
    return rows


MAP_PROBE = """async () => {
  const Y = window.YINGJI, map = Y.map;
  const spec = Y.layerSpecs.find(s => s.id === 'incidents');
  let t = performance.now();
  const layer = await Y.loadLayer(spec);
  const drawMs = performance.now() - t;
  const features = layer.points.length;
  const zoomOnce = async (z) => { const t0 = performance.now(); map.setZoom(z, {animate: false});
    await new Promise(r => setTimeout(r, 0)); return performance.now() - t0; };
  const z0 = map.getZoom();
  const zooms = [];
  for (let i = 0; i < 4; i++) { zooms.push(await zoomOnce(z0 + 1)); zooms.push(await zoomOnce(z0)); }
  // Baseline: every feature as its own marker, no clustering.
  t = performance.now();
  const plain = L.layerGroup(layer.points.map(p => L.circleMarker([p.lat, p.lng], {radius: 6}))).addTo(map);
  const plainDrawMs = performance.now() - t;
  const plainZooms = [];
  for (let i = 0; i < 4; i++) { plainZooms.push(await zoomOnce(z0 + 1)); plainZooms.push(await zoomOnce(z0)); }
  map.removeLayer(plain);
  const median = a => a.slice().sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const clusters = layer.group.getLayers().length;
  return {features, clusters, drawMs, zoomMs: median(zooms), plainDrawMs, plainZoomMs: median(plainZooms)};
}"""


def measure_map(base: str, username: str) -> dict[str, float] | None:
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        print("map: skipped, no Chromium (apt-get install chromium)")
        return None
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1400, "height": 860})
        page.goto(base + "/login")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", api_read.PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(base + "/")
        drawn = "() => document.getElementById('map').dataset.count_incidents !== undefined"
        page.wait_for_function(drawn, timeout=120_000)
        result: dict[str, float] = page.evaluate(MAP_PROBE)
        browser.close()
    return result


NAV_GOAL_S = 2.0
NAV_PATHS = ("/incidents", "/duty", "/stats", "/")
NAV_CLICKS = 30
NAV_TABS = 8


def measure_navigation(base: str, username: str) -> tuple[list[float], str] | None:
    """Seconds of each of ``NAV_CLICKS`` top-bar navigations over ``NAV_TABS`` open tabs, and how the tabs
    share the live stream (``live.js``: shared-worker, leader-tab or per-tab)."""
    chromium = shutil.which("chromium") or "/usr/bin/chromium"
    if not Path(chromium).exists():
        print("navigation: skipped, no Chromium")
        return None
    import time

    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        context = browser.new_context(viewport={"width": 1200, "height": 800})
        first = context.new_page()
        first.goto(base + "/login")
        first.fill("input[name=username]", username)
        first.fill("input[name=password]", api_read.PASSWORD)
        first.click("button[type=submit]")
        first.wait_for_url(base + "/")
        tabs = [first]
        for i in range(1, NAV_TABS):
            tab = context.new_page()
            tab.goto(base + NAV_PATHS[i % len(NAV_PATHS)])
            tabs.append(tab)
        seconds: list[float] = []
        slowest_path = [""]
        for n in range(NAV_CLICKS):
            tab, target = tabs[n % NAV_TABS], NAV_PATHS[n % len(NAV_PATHS)]
            # A person clicks in the tab they are looking at: bring it to the front first. Clicked while
            # hidden, the map page's link took ~2 s before its navigation even started (Playwright's click
            # waits on frames a background tab throttles), which no person meets.
            tab.bring_to_front()
            t0 = time.perf_counter()
            tab.click(f"header nav a[href='{target}']")
            tab.wait_for_url(base + target, timeout=120_000)
            tab.wait_for_load_state("load", timeout=120_000)
            seconds.append(time.perf_counter() - t0)
            slowest_path[0] = target if seconds[-1] >= max(seconds) else slowest_path[0]
        modes = {tab.evaluate("window.YINGJI_LIVE ? YINGJI_LIVE.mode() : 'none'") for tab in tabs}
        browser.close()
    return seconds, ",".join(sorted(modes)) + f"; slowest to {slowest_path[0]}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=api_read.PG)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--port", type=int, default=8775)
    parser.add_argument("--reuse", action="store_true", help="keep the data set api_read.py left")
    args = parser.parse_args()
    url = api_read.schema_url(args.pg)
    if not args.reuse:
        api_read.reset_schema(args.pg)
    users = api_read.prepare(url)
    ids = api_read.load_incidents(url, args.incidents, [county for county, _ in users]) if not args.reuse else {}
    server = api_read.start_server(url, args.port, 1)
    base = f"http://127.0.0.1:{args.port}"
    try:
        county, county_user = users[0]
        first_id = (
            ids[county][0]
            if ids.get(county)
            else int(sign_in(base, county_user).get("/api/v1/incidents?limit=1").json()["items"][0]["id"])
        )
        print(
            f"{args.incidents:,} incidents over {len(users)} counties; uvicorn 1 worker; "
            f"server time from Server-Timing, {args.repeats} requests per page (goal ≤ {GOAL_MS:.0f} ms)"
        )
        for who in (county_user, "xigaze_duty"):
            print(f"\n{who}:")
            print(f"{'page':<34} {'median ms':>10} {'max ms':>8} {'bytes':>9} {'median/goal':>12}")
            for path, med, worst, size in measure_pages(base, who, first_id, args.repeats):
                print(f"{path:<34} {med:>10.1f} {worst:>8.1f} {size:>9,} {med / GOAL_MS:>11.2f}×")
        result = measure_map(base, "xigaze_duty")
        if result:
            print(
                f"\nmap in Chromium, xigaze_duty: {result['features']:,} incident features → "
                f"{result['clusters']:,} clustered markers on screen"
            )
            print(
                f"  draw: clustered {result['drawMs']:.0f} ms (fetch included) vs one marker each "
                f"{result['plainDrawMs']:.0f} ms"
            )
            print(
                f"  zoom redraw (median of 8): clustered {result['zoomMs']:.1f} ms vs one marker each "
                f"{result['plainZoomMs']:.1f} ms — ratio {result['plainZoomMs'] / max(result['zoomMs'], 0.1):.1f}×"
            )
        nav = measure_navigation(base, county_user)
        if nav:
            seconds, mode = nav
            worst = max(seconds)
            print(
                f"\nnavigation in Chromium, {county_user}, {NAV_TABS} tabs open (live: {mode}), {NAV_CLICKS} clicks: "
                f"median {statistics.median(seconds):.2f} s, slowest {worst:.2f} s "
                f"(goal ≤ {NAV_GOAL_S:.0f} s: {worst / NAV_GOAL_S:.2f}× the goal)"
            )
    finally:
        api_read.stop_server(server)


if __name__ == "__main__":
    main()
