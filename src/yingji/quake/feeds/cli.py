"""``yingji quake feeds``: the worker that polls earthquake catalogue feeds and assesses new events."""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import typer

from yingji.errors import InvalidInput


def parse_feed_option(text: str) -> Any:
    """``name=url`` or ``name=url|format`` (format geojson, the default, or quakeml)."""
    from yingji.quake.feeds.service import Feed

    name, sep, rest = text.partition("=")
    url, _, fmt = rest.partition("|")
    fmt = fmt or ("quakeml" if url.endswith((".xml", ".quakeml")) else "geojson")
    if not sep or not name or not url.startswith(("http://", "https://")) or fmt not in ("geojson", "quakeml"):
        raise InvalidInput(f"feed {text!r}: give name=http(s)://…[|geojson|quakeml]")
    return Feed(name=name.strip()[:40], url=url.strip(), format=fmt)  # type: ignore[arg-type]


def feeds(
    ctx: typer.Context,
    feed: list[str] = typer.Option(
        ..., "--feed", envvar="YINGJI_QUAKE_FEEDS", help="A feed: name=URL[|geojson|quakeml] (repeat for more)."
    ),
    min_magnitude: float = typer.Option(4.5, "--min-magnitude", help="Assess earthquakes of at least this magnitude."),
    max_distance_km: float = typer.Option(
        200.0, "--max-distance-km", help="… with a county seat of the jurisdiction within this distance."
    ),
    jurisdiction: str | None = typer.Option(None, help="Division code of the jurisdiction (default: every county)."),
    interval: float = typer.Option(5.0, help="Seconds between polls (public feeds may ask for longer)."),
    step: float = typer.Option(0.01, help="Grid step of the assessments (degrees)."),
    once: bool = typer.Option(False, "--once", help="Poll every feed once, print what was done and stop."),
) -> None:
    """Poll catalogue feeds (USGS GeoJSON, QuakeML 1.2): assess new earthquakes, open or update their
    incident, notify the duty desks; revisions are re-assessed, duplicates across feeds merged."""
    from yingji import events
    from yingji.auth.scope import system_scope
    from yingji.cli_common import settings_from
    from yingji.db import make_engine, session_factory
    from yingji.quake.feeds.service import Trigger, poll

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not 0.2 <= interval <= 3600:
        raise InvalidInput("interval must be within 0.2–3600 s")
    feed_list = [parse_feed_option(f) for item in feed for f in item.split()]
    trigger = Trigger(min_magnitude, max_distance_km, jurisdiction, step)
    settings = settings_from(ctx)
    from yingji import dblease

    lease = dblease.hold(settings.database_url)  # `yingji db restore` refuses while this worker runs
    engine = make_engine(settings.database_url)
    factory = session_factory(engine)
    if settings.redis_url:  # on the deployment's namespaced channel
        events.attach(factory, events.bus_for(settings))
    scope = system_scope(actor="quake-feeds")
    try:
        while True:
            started = time.monotonic()
            results = [
                poll(factory=factory, scope=scope, feed=f, trigger=trigger, clock=lambda: datetime.now(UTC))
                for f in feed_list
            ]
            if once:
                typer.echo(json.dumps([r.__dict__ for r in results], ensure_ascii=False))
                return
            time.sleep(max(0.0, interval - (time.monotonic() - started)))
    finally:
        engine.dispose()
        lease.release()
