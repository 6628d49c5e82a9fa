"""From a feed document appearing on a (local) catalogue server to the assessment on the duty desk page.

Setup: an SQLite database with the demo region, the platform served by uvicorn on loopback, a local HTTP
server standing in for the USGS feed, and the feed worker (``yingji.quake.feeds.service.poll``, every
``--interval`` s, the default assessment grid 0.01°) — worker and server share the event bus (Redis when
reachable, so the path is the production one; else the in-process bus). The Dingri county duty officer
signs in through the login form and listens to the live event stream (``/api/v1/events``, what the page's
script listens to). The clock starts when the Dingri 2025 document is written to the feed server and
stops when (1) the duty item's event reaches the officer's stream (the page shows it without reload) and
(2) the duty desk page holds the assessment summary. Goal ≤ 10 s.

    .venv/bin/python bench/quake_feed.py [--interval 5] [--repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

GOAL_S = 10.0
ROOT = Path(__file__).resolve().parents[1]
DOCUMENT = ROOT / "tests" / "quake" / "data" / "feeds" / "usgs_dingri.geojson"


def redis_url() -> str | None:
    try:
        import redis

        client = redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_timeout=1)
        client.ping()
        return "redis://127.0.0.1:6379/0"
    except Exception:
        return None


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--interval", type=float, default=5.0, help="seconds between polls (the worker's default)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from yingji import events
    from yingji.auth.scope import system_scope
    from yingji.config import Settings
    from yingji.db import make_engine, session_factory, transaction
    from yingji.dbcli import upgrade_database
    from yingji.demo import DEMO_PASSWORD, load_demo
    from yingji.quake.feeds.service import Feed, Trigger, poll

    sys.path.insert(0, str(ROOT))
    from tests.conftest import LiveServer
    from tests.quake.conftest import FileServer

    tmp = Path(tempfile.mkdtemp(prefix="quake-feed-bench-"))
    url = f"sqlite:///{tmp / 'bench.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        load_demo(session=session, scope=system_scope("bench"), domain_data=False)
    bus_url = redis_url()
    settings = Settings(database_url=url, env="test", login_attempts_per_minute=1000, redis_url=bus_url)  # type: ignore[call-arg]

    feed_server = FileServer()
    files = feed_server.files
    feed = Feed("usgs", f"{feed_server.url}/summary.geojson", "geojson")

    results: list[tuple[float, float]] = []
    with LiveServer(settings) as live:
        factory = session_factory(engine)
        events.attach(factory, events.bus_for(settings) if bus_url else live.app.state.events)  # the server's channel
        stop = threading.Event()

        def worker() -> None:
            import logging

            logging.getLogger("yingji.quake.feeds").setLevel(logging.ERROR)  # the 404s before each run
            while not stop.is_set():
                started = time.monotonic()
                poll(
                    factory=factory,
                    scope=system_scope("quake-feeds"),
                    feed=feed,
                    trigger=Trigger(step_deg=0.01),
                    clock=lambda: dt.datetime.now(dt.UTC),
                )
                stop.wait(max(0.0, args.interval - (time.monotonic() - started)))

        threading.Thread(target=worker, daemon=True).start()
        client = httpx.Client(base_url=live.url, timeout=60)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
        assert csrf
        client.post("/login", data={"username": "dingri_duty", "password": DEMO_PASSWORD, "csrf_token": csrf.group(1)})
        base = json.loads(DOCUMENT.read_bytes())
        for run in range(args.repeats):
            data = json.loads(json.dumps(base))
            feature = data["features"][0]
            feature["id"] = f"usbench{run}"
            feature["properties"]["time"] += run * 86_400_000  # a new earthquake each run (a day apart)
            seen = threading.Event()

            def listen(seen: threading.Event = seen) -> None:
                with client.stream("GET", "/api/v1/events", timeout=60) as stream:
                    for line in stream.iter_lines():
                        if line.startswith("data:") and json.loads(line[5:]).get("entity") == "duty_item":
                            seen.set()
                            return

            listener = threading.Thread(target=listen, daemon=True)
            listener.start()
            time.sleep(0.5)  # the stream is open before the clock starts
            started = time.perf_counter()
            files["/summary.geojson"] = json.dumps(data).encode()
            if not seen.wait(60):
                print("no duty_item event within 60 s")
                return 1
            live_s = time.perf_counter() - started
            page = client.get("/duty").text
            assert f"usgs:usbench{run}" in page, "the duty desk page does not show the assessment"
            page_s = time.perf_counter() - started
            results.append((live_s, page_s))
            print(
                f"run {run + 1}: event on the duty officer's stream {live_s:.2f} s, "
                f"duty page with the summary {page_s:.2f} s"
            )
            files.pop("/summary.geojson")
        stop.set()
    feed_server.close()
    median = statistics.median(r[1] for r in results)
    print(f"bus: {'redis' if bus_url else 'in-process'}; poll interval {args.interval:g} s; grid 0.01°")
    print(
        f"feed document -> assessment on the duty desk page: median {median:.2f} s, "
        f"max {max(r[1] for r in results):.2f} s; "
        f"goal {GOAL_S:.0f} s, ratio {median / GOAL_S:.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
