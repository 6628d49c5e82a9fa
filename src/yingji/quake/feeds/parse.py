"""Earthquake catalogue feed documents → origins: the USGS GeoJSON summary format and QuakeML 1.2 (the
forms CENC and other agencies publish, or can be converted to).

Pure: bytes in, :class:`FeedOrigin` rows out. A document that cannot be trusted is refused whole with a
:class:`FeedRefused` naming the reason (too large, truncated, not the format, wrong types); a single bad
event inside a good document is skipped and reported in ``skipped``. QuakeML is parsed with lxml with
entity resolution, network access and DTD loading off and the huge-tree guard on, after a size bound.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

MAX_DOCUMENT_BYTES = 5_000_000  # a day of global M2.5+ is ~1 MB as GeoJSON; refuse beyond this bound
MAX_EVENTS = 20_000
FeedFormat = Literal["geojson", "quakeml"]
QUAKEML_NS = "http://quakeml.org/xmlns/bed/1.2"

# Magnitude types as the assessment takes them: surface-wave → Ms, moment (and, for want of better, any
# other type) → Mw. USGS names: ms, ms_20, ms_vx; mww, mwc, mwb, mwr, mw, mi; others mb, ml, md …
_MS_TYPES = {"ms", "ms_20", "ms_vx", "msbb", "m_s"}


class FeedRefused(ValueError):
    """The whole document is refused; ``reason`` says why (logged by the worker)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class FeedOrigin:
    source: str  # the feed's name (configuration), e.g. "usgs"
    event_id: str  # the feed's own event id
    origin_time: datetime
    lon: float
    lat: float
    depth_km: float
    magnitude: float
    magnitude_type: Literal["Ms", "Mw"]
    reported_type: str  # the type as the feed wrote it (e.g. "mww")
    updated: datetime | None = None
    place: str = ""

    @property
    def key(self) -> str:
        return f"{self.source}:{self.event_id}"


@dataclass
class ParsedFeed:
    origins: list[FeedOrigin]
    skipped: list[str] = field(default_factory=list)  # "<event id>: <reason>"


def assessment_type(reported: str) -> Literal["Ms", "Mw"]:
    return "Ms" if reported.strip().lower() in _MS_TYPES else "Mw"


def _check_size(document: bytes) -> None:
    if len(document) > MAX_DOCUMENT_BYTES:
        raise FeedRefused(f"document of {len(document):,} bytes is larger than {MAX_DOCUMENT_BYTES:,}")
    if not document.strip():
        raise FeedRefused("empty document")


def _number(value: Any, name: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{name} is not a number ({type(value).__name__})")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{name} {str(value)[:40]!r} is not a number") from None
    if not (math.isfinite(number) and low <= number <= high):
        raise ValueError(f"{name} {value!r} outside {low}..{high}")
    return number


def _origin(
    source: str, event_id: Any, time: datetime, lon: Any, lat: Any, depth: Any, mag: Any, mag_type: Any, **extra: Any
) -> FeedOrigin:
    if not isinstance(event_id, str) or not event_id or len(event_id) > 200:
        raise ValueError("event id is not a short text")
    reported = mag_type if isinstance(mag_type, str) and mag_type else "mw"
    return FeedOrigin(
        source=source,
        event_id=event_id,
        origin_time=time,
        lon=_number(lon, "longitude", -180.0, 180.0),
        lat=_number(lat, "latitude", -90.0, 90.0),
        depth_km=_number(depth if depth is not None else 10.0, "depth", -10.0, 800.0),
        magnitude=_number(mag, "magnitude", -2.0, 10.0),
        magnitude_type=assessment_type(reported),
        reported_type=reported[:20],
        **extra,
    )


def _epoch_ms(value: Any, name: str) -> datetime:
    millis = _number(value, name, 0.0, 4.1e12)
    return datetime.fromtimestamp(millis / 1000.0, tz=UTC)


def parse_geojson(document: bytes, source: str) -> ParsedFeed:
    """The USGS GeoJSON summary format: a FeatureCollection of Point features whose properties carry
    ``mag``, ``magType``, ``time`` and ``updated`` (ms since 1970) and coordinates (lon, lat, depth km)."""
    _check_size(document)
    try:
        data = json.loads(document)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FeedRefused(f"not JSON (truncated or malformed): {exc}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise FeedRefused("not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise FeedRefused("'features' is not a list")
    if len(features) > MAX_EVENTS:
        raise FeedRefused(f"{len(features):,} events, more than {MAX_EVENTS:,}")
    parsed = ParsedFeed([])
    for index, feature in enumerate(features):
        try:
            if not isinstance(feature, dict):
                raise ValueError("feature is not an object")
            props = feature.get("properties")
            geometry = feature.get("geometry")
            if not isinstance(props, dict) or not isinstance(geometry, dict):
                raise ValueError("feature without properties or geometry")
            coords = geometry.get("coordinates")
            if geometry.get("type") != "Point" or not isinstance(coords, list) or len(coords) < 2:
                raise ValueError("geometry is not a Point")
            parsed.origins.append(
                _origin(
                    source,
                    feature.get("id"),
                    _epoch_ms(props.get("time"), "time"),
                    coords[0],
                    coords[1],
                    coords[2] if len(coords) > 2 else None,
                    props.get("mag"),
                    props.get("magType"),
                    updated=_epoch_ms(props["updated"], "updated") if props.get("updated") is not None else None,
                    place=str(props.get("place") or "")[:200],
                )
            )
        except (ValueError, TypeError, OverflowError) as exc:
            parsed.skipped.append(f"{feature.get('id') if isinstance(feature, dict) else index}: {exc}")
    return parsed


def _iso_time(text: str | None, name: str) -> datetime:
    if not text:
        raise ValueError(f"{name} missing")
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def parse_quakeml(document: bytes, source: str) -> ParsedFeed:
    """QuakeML 1.2 (BED): each ``event`` with its preferred origin and preferred magnitude (else the first)."""
    from lxml import etree

    from yingji import untrusted_xml

    _check_size(document)
    try:
        root = untrusted_xml.parse(document, strip=True)
    except etree.XMLSyntaxError as exc:
        raise FeedRefused(f"not well-formed XML (truncated or malformed): {exc}") from None
    if etree.QName(root).localname != "quakeml":
        raise FeedRefused("root element is not quakeml")
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise FeedRefused("a DOCTYPE is not allowed in a feed")
    ns = {"q": QUAKEML_NS}
    events = root.findall(".//q:eventParameters/q:event", ns)
    if not events and root.find("q:eventParameters", ns) is None:
        raise FeedRefused(f"no eventParameters in the QuakeML 1.2 namespace ({QUAKEML_NS})")
    if len(events) > MAX_EVENTS:
        raise FeedRefused(f"{len(events):,} events, more than {MAX_EVENTS:,}")
    parsed = ParsedFeed([])
    for event in events:
        event_id = event.get("publicID") or ""
        try:
            origin = _preferred(event, "origin", ns)
            magnitude = _preferred(event, "magnitude", ns)
            depth_m = origin.findtext("q:depth/q:value", namespaces=ns)
            parsed.origins.append(
                _origin(
                    source,
                    event_id,
                    _iso_time(origin.findtext("q:time/q:value", namespaces=ns), "origin time"),
                    origin.findtext("q:longitude/q:value", namespaces=ns),
                    origin.findtext("q:latitude/q:value", namespaces=ns),
                    None if depth_m is None else _number(depth_m, "depth", -1e4, 8e5) / 1000.0,
                    magnitude.findtext("q:mag/q:value", namespaces=ns),
                    magnitude.findtext("q:type", namespaces=ns),
                    updated=_updated(event, ns),
                    place=(event.findtext("q:description/q:text", namespaces=ns) or "")[:200],
                )
            )
        except (ValueError, TypeError, OverflowError) as exc:
            parsed.skipped.append(f"{event_id or '?'}: {exc}")
    return parsed


def _preferred(event: Any, kind: str, ns: dict[str, str]) -> Any:
    wanted = event.findtext(f"q:preferred{kind.capitalize()}ID", namespaces=ns)
    rows = event.findall(f"q:{kind}", ns)
    for row in rows:
        if wanted and row.get("publicID") == wanted.strip():
            return row
    if not rows:
        raise ValueError(f"no {kind}")
    return rows[0]


def _updated(event: Any, ns: dict[str, str]) -> datetime | None:
    text = event.findtext("q:creationInfo/q:creationTime", namespaces=ns)
    return _iso_time(text, "creation time") if text else None


def parse_document(document: bytes, source: str, fmt: FeedFormat) -> ParsedFeed:
    if fmt == "geojson":
        return parse_geojson(document, source)
    if fmt == "quakeml":
        return parse_quakeml(document, source)
    raise FeedRefused(f"unknown feed format {fmt!r}")


# --------------------------------------------------------------------------------------------------
# One event reported twice, and a revision of one report
# --------------------------------------------------------------------------------------------------

SAME_EVENT_SECONDS = 60.0  # two feeds' origins of one earthquake: within a minute,
SAME_EVENT_KM = 100.0  # … 100 km
SAME_EVENT_MAGNITUDE = 1.0  # … and one magnitude unit (agencies' types and scales differ)
REVISION_MAGNITUDE = 0.05  # a revision re-assesses when the magnitude moves this much,
REVISION_KM = 2.0  # … or the epicentre this far,
REVISION_DEPTH_KM = 5.0  # … or the depth this far.


def distance_km(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    """Great-circle distance on the mean-radius sphere (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def same_event(a: FeedOrigin, b: FeedOrigin) -> bool:
    """Whether two origins (from two feeds) describe one earthquake: time, place and size windows."""
    return (
        abs((a.origin_time - b.origin_time).total_seconds()) <= SAME_EVENT_SECONDS
        and distance_km(a.lon, a.lat, b.lon, b.lat) <= SAME_EVENT_KM
        and abs(a.magnitude - b.magnitude) <= SAME_EVENT_MAGNITUDE
    )


def is_revision(old: FeedOrigin, new: FeedOrigin) -> bool:
    """Whether ``new`` (the same feed's same event) changes what the assessment depends on."""
    return (
        abs(new.magnitude - old.magnitude) >= REVISION_MAGNITUDE
        or new.magnitude_type != old.magnitude_type
        or distance_km(old.lon, old.lat, new.lon, new.lat) >= REVISION_KM
        or abs(new.depth_km - old.depth_km) >= REVISION_DEPTH_KM
    )
