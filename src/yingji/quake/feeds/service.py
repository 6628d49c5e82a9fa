"""Automatic assessment from catalogue feeds: fetch a feed, and for each earthquake above the magnitude
threshold inside or near the jurisdiction, assess it, store it, create or update its earthquake incident
and put it before the duty desk of each division concerned. A revised origin is assessed again and both
versions are kept; one earthquake reported by two feeds is one row (time/distance/magnitude windows).

Service functions take the session and scope explicitly and never commit; :func:`poll` runs one
transaction per earthquake so one failure loses nothing else.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from yingji.auth.scope import Scope
from yingji.errors import InvalidInput, NotFound
from yingji.geo.models import Division
from yingji.quake.feeds import parse
from yingji.quake.feeds.models import FeedEarthquake
from yingji.quake.feeds.parse import FeedOrigin, FeedRefused

log = logging.getLogger("yingji.quake.feeds")

MAX_FETCH_BYTES = parse.MAX_DOCUMENT_BYTES
MAX_DUTY_DIVISIONS = 20


@dataclass(frozen=True)
class Feed:
    name: str  # short name, the prefix of the event keys ("usgs")
    url: str
    format: parse.FeedFormat


@dataclass(frozen=True)
class Trigger:
    """When a feed earthquake is assessed: magnitude at least ``min_magnitude`` (on the feed's own type)
    and a county seat of the jurisdiction (``jurisdiction`` code prefix; None: every county loaded)
    within ``max_distance_km`` of the epicentre."""

    min_magnitude: float = 4.5
    max_distance_km: float = 200.0
    jurisdiction: str | None = None
    step_deg: float = 0.01


def fetch(url: str, *, timeout_s: float = 10.0, max_bytes: int = MAX_FETCH_BYTES) -> bytes:
    """The feed document, refused (FeedRefused) beyond ``max_bytes`` before reading it all."""
    import httpx

    try:
        with httpx.stream("GET", url, timeout=timeout_s, follow_redirects=False) as response:
            if response.status_code != 200:
                raise FeedRefused(f"HTTP {response.status_code} from {url}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FeedRefused(f"document of {int(declared):,} bytes is larger than {max_bytes:,}")
            chunks: list[bytes] = []
            size = 0
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FeedRefused(f"document larger than {max_bytes:,} bytes")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise FeedRefused(f"cannot fetch {url}: {type(exc).__name__}") from None
    return b"".join(chunks)


def counties_near(
    session: Session, lon: float, lat: float, max_km: float, jurisdiction: str | None
) -> list[tuple[str, float]]:
    """Counties (code, distance km of the seat) of the jurisdiction within ``max_km``, nearest first."""
    dlat = max_km / 111.0
    dlon = max_km / (111.0 * max(math.cos(math.radians(min(abs(lat) + dlat, 89.0))), 0.01))
    stmt = select(Division.code, Division.lon, Division.lat).where(
        Division.level == "county",
        Division.lon.between(lon - dlon, lon + dlon),
        Division.lat.between(lat - dlat, lat + dlat),
    )
    if jurisdiction:
        stmt = stmt.where(Division.code.startswith(jurisdiction.rstrip("0") or jurisdiction))
    rows = []
    for code, clon, clat in session.execute(stmt):
        if clon is None or clat is None:
            continue
        km = parse.distance_km(lon, lat, float(clon), float(clat))
        if km <= max_km:
            rows.append((str(code), km))
    rows.sort(key=lambda r: r[1])
    return rows


def _origin_dict(origin: FeedOrigin) -> dict[str, Any]:
    return {
        "key": origin.key,
        "origin_time": origin.origin_time.isoformat(),
        "lon": origin.lon,
        "lat": origin.lat,
        "depth_km": origin.depth_km,
        "magnitude": origin.magnitude,
        "magnitude_type": origin.magnitude_type,
        "reported_type": origin.reported_type,
        "updated": origin.updated.isoformat() if origin.updated else None,
    }


def _origin_of(source_key: str, row: dict[str, Any]) -> FeedOrigin:
    source, _, event_id = source_key.partition(":")
    return FeedOrigin(
        source=source,
        event_id=event_id,
        origin_time=dt.datetime.fromisoformat(row["origin_time"]),
        lon=float(row["lon"]),
        lat=float(row["lat"]),
        depth_km=float(row["depth_km"]),
        magnitude=float(row["magnitude"]),
        magnitude_type=row["magnitude_type"],
        reported_type=row.get("reported_type", ""),
    )


def find_earthquake(session: Session, origin: FeedOrigin) -> FeedEarthquake | None:
    """The stored earthquake this origin belongs to: the same feed event, else one matching in time,
    distance and magnitude (the same earthquake from another feed)."""
    window = dt.timedelta(seconds=parse.SAME_EVENT_SECONDS)
    rows = session.scalars(
        select(FeedEarthquake).where(
            FeedEarthquake.origin_time.between(origin.origin_time - window * 10, origin.origin_time + window * 10)
        )
    ).all()
    for row in rows:
        if origin.key in row.reports:
            return row
    for row in rows:
        if any(parse.same_event(_origin_of(k, v), origin) for k, v in row.reports.items()):
            return row
    return None


def _summary(origin: FeedOrigin, data: dict[str, Any], revised: bool) -> str:
    deaths = data["fatalities"]
    low, high = deaths.get("range_80", [0, 0])
    head = "地震速报修订" if revised else "地震自动触发评估"
    return (
        f"{head}：{origin.origin_time:%Y-%m-%d %H:%M} UTC {origin.place or ''} "
        f"{origin.magnitude_type}{origin.magnitude:.1f}，震源深度 {origin.depth_km:.0f} km，"
        f"最高烈度 {data['max_intensity_degree']} 度，预估死亡 {deaths['expected']:.0f} 人"
        f"（80% 区间 {low:.0f}–{high:.0f}），预警 {deaths['alert']}（来源 {origin.key}）"
    )[:2000]


def _assess(
    *,
    session: Session,
    scope: Scope,
    origin: FeedOrigin,
    trigger: Trigger,
    now: dt.datetime,
    row: FeedEarthquake | None,
) -> Any:
    from yingji.quake import service as quake_service
    from yingji.quake.assess import EarthquakeInput

    inp = EarthquakeInput(
        lon=origin.lon,
        lat=origin.lat,
        depth_km=max(origin.depth_km, 0.0),
        magnitude=origin.magnitude,
        magnitude_type=origin.magnitude_type,
        origin_time=origin.origin_time,
        at=max(now, origin.origin_time),
        step_deg=trigger.step_deg,
    )
    inputs = {**_origin_dict(origin), "via": "feed", "step_deg": trigger.step_deg}
    incident_id = row.incident_id if row is not None else None
    try:
        with session.begin_nested():
            return quake_service.run_input(
                session=session,
                scope=scope,
                inp=inp,
                inputs=inputs,
                now=now,
                incident_id=incident_id,
                create_incident=incident_id is None,
            )
    except NotFound:  # no county of the jurisdiction is shaken: store the assessment without an incident
        return quake_service.run_input(session=session, scope=scope, inp=inp, inputs=inputs, now=now)


def _notify_duty_desks(
    *, session: Session, scope: Scope, codes: list[str], origin: FeedOrigin, text: str, now: dt.datetime
) -> int:
    from yingji.incidents import service as incident_service
    from yingji.incidents.schemas import DutyItemIn

    for code in codes[:MAX_DUTY_DIVISIONS]:
        incident_service.receive(
            session=session,
            scope=scope,
            item_in=DutyItemIn(
                division_code=code,
                received_at=now,
                channel="system",
                caller=f"feed {origin.source}"[:200],
                summary=text,
                lon=origin.lon,
                lat=origin.lat,
            ),
            place_checked=True,  # the epicentre: the counties were chosen by their distance from it
        )
    return min(len(codes), MAX_DUTY_DIVISIONS)


def handle_origin(*, session: Session, scope: Scope, origin: FeedOrigin, trigger: Trigger, now: dt.datetime) -> str:
    """Act on one origin from a feed; returns what was done: ``assessed``, ``revised``, ``merged``,
    ``unchanged``, ``below_threshold`` or ``out_of_area``."""
    row = find_earthquake(session, origin)
    revised = False
    if row is not None:
        known = row.reports.get(origin.key)
        if known is None:
            row.reports = {**row.reports, origin.key: _origin_dict(origin)}
            row.updated_at = now
            return "merged"
        if not parse.is_revision(_origin_of(origin.key, known), origin):
            return "unchanged"
        revised = True
    if origin.magnitude < trigger.min_magnitude:
        return "below_threshold"
    near = counties_near(session, origin.lon, origin.lat, trigger.max_distance_km, trigger.jurisdiction)
    if not near:
        return "out_of_area"
    assessment = _assess(session=session, scope=scope, origin=origin, trigger=trigger, now=now, row=row)
    data = assessment.results
    version = {**_origin_dict(origin), "assessment_id": assessment.id, "assessed_at": now.isoformat()}
    if row is None:
        row = FeedEarthquake(
            reports={}, versions=[], status="assessed", note="", first_seen_at=now, place=origin.place[:200]
        )
        session.add(row)
    row.origin_time, row.lon, row.lat, row.depth_km = origin.origin_time, origin.lon, origin.lat, origin.depth_km
    row.magnitude, row.magnitude_type = origin.magnitude, origin.magnitude_type
    row.reports = {**row.reports, origin.key: _origin_dict(origin)}
    row.versions = [*row.versions, version]
    row.assessment_id, row.incident_id = assessment.id, assessment.incident_id or row.incident_id
    row.updated_at = now
    affected = [c for c in assessment.division_codes if c.endswith("000000") and c != "000000000000"]
    codes = list(dict.fromkeys([*affected, *(c for c, _ in near)]))
    if trigger.jurisdiction:
        codes = [c for c in codes if c.startswith(trigger.jurisdiction.rstrip("0") or trigger.jurisdiction)]
    _notify_duty_desks(
        session=session, scope=scope, codes=codes, origin=origin, text=_summary(origin, data, revised), now=now
    )
    session.flush()
    return "revised" if revised else "assessed"


@dataclass
class PollResult:
    feed: str
    refused: str | None
    actions: dict[str, int]
    skipped: list[str]


def poll(
    *,
    factory: sessionmaker[Session],
    scope: Scope,
    feed: Feed,
    trigger: Trigger,
    clock: Callable[[], dt.datetime],
    fetcher: Callable[[str], bytes] = fetch,
) -> PollResult:
    """Fetch one feed and act on each origin, one transaction per origin. A refused document is logged
    with its reason and changes nothing."""
    from yingji.db import transaction

    try:
        parsed = parse.parse_document(fetcher(feed.url), feed.name, feed.format)
    except FeedRefused as exc:
        log.warning("feed %s refused: %s", feed.name, exc.reason)
        return PollResult(feed.name, exc.reason, {}, [])
    for reason in parsed.skipped:
        log.warning("feed %s: event skipped: %s", feed.name, reason)
    actions: dict[str, int] = {}
    for origin in sorted(parsed.origins, key=lambda o: -o.magnitude):
        try:
            with transaction(factory) as session:
                action = handle_origin(session=session, scope=scope, origin=origin, trigger=trigger, now=clock())
        except (InvalidInput, NotFound) as exc:
            log.warning("feed %s: %s not assessed: %s", feed.name, origin.key, exc)
            action = "failed"
        if action in ("assessed", "revised", "merged"):
            log.info("feed %s: %s %s", feed.name, origin.key, action)
        actions[action] = actions.get(action, 0) + 1
    return PollResult(feed.name, None, actions, parsed.skipped)
