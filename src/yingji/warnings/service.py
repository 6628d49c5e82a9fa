"""Public warnings in the database: issue, update and cancel (CAP 1.2 from ``cap.py``), the public Atom
feed, import from other issuers, delivery with a receipt per recipient (``channels.py``), and
call-and-acknowledge (叫应, ``callack.py``) with escalation by the scheduler. Services never commit;
every write is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import shapely
from lxml import etree
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.config import Settings
from yingji.db import paginate, utcnow
from yingji.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.monitoring.clock import to_epoch_ms
from yingji.warnings import callack, cap, channels
from yingji.warnings.models import PublicWarning, WarningCall, WarningDelivery, WarningDivision, WarningOfficial
from yingji.warnings.schemas import AreaIn, DeliverIn, OfficialIn, WarningIn, WarningUpdate

READ, ISSUE = "warnings:read", "warnings:issue"


def _ms(moment: dt.datetime) -> int:
    return to_epoch_ms(moment)


def _dt(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def _record(session: Session, scope: Scope, action: str, warning: PublicWarning, after: dict[str, Any]) -> None:
    audit.record(
        session=session,
        scope=scope,
        action=action,
        entity="warning",
        entity_id=warning.id,
        division_code=warning.division_code,
        after=after,
        divisions=sorted({warning.division_code, *warning.division_codes}),
    )


# ------------------------------------------------------------------------------------------ areas


def _area(area: AreaIn, headline: str) -> cap.Area:
    if not (area.polygons or area.circles or area.divisions):
        raise InvalidInput("area: give at least one polygon, circle or division", field="area")
    return cap.Area(
        description=area.description or headline,
        polygons=tuple(cap.parse_polygon(p) for p in area.polygons),
        circles=tuple(cap.parse_circle(c) for c in area.circles),
        divisions=tuple(area.divisions),
    )


def _area_json(area: cap.Area) -> dict[str, Any]:
    return {
        "description": area.description,
        "polygons": [[list(p) for p in ring] for ring in area.polygons],
        "circles": [{"lat": c.lat, "lon": c.lon, "radius_km": c.radius_km} for c in area.circles],
        "divisions": list(area.divisions),
    }


def _area_from_json(data: dict[str, Any]) -> cap.Area:
    return cap.Area(
        description=data.get("description", ""),
        polygons=tuple(tuple((float(p[0]), float(p[1])) for p in ring) for ring in data.get("polygons", [])),
        circles=tuple(cap.Circle(c["lat"], c["lon"], c["radius_km"]) for c in data.get("circles", [])),
        divisions=tuple(data.get("divisions", [])),
    )


def _warned_divisions(session: Session, scope: Scope, area: cap.Area, issuer: str) -> tuple[list[str], list[str]]:
    """The divisions a warning covers: those named (each in the caller's subtree); else, for a drawn area,
    the issuer's sub-divisions the area covers (by boundary, or by position where none exists — those are
    returned as approximate too); else the issuer's own. Returns (divisions, approximate ones)."""
    codes = []
    for raw in area.divisions:
        codes.append(division_service.get_writable(session=session, scope=scope, code=raw).code)
    warned = sorted(set(codes)) or [issuer]
    shapes = []
    for ring in area.polygons:  # CAP points are (lat, lon); the ring is closed by cap.parse_polygon
        shapes.append(division_service.check_area(
            session=session, division_codes=warned, field="area",
            geometry={"type": "Polygon", "coordinates": [[[lon, lat] for lat, lon in ring]]}))  # fmt: skip
    for circle in area.circles:
        division_service.check_position(
            session=session, division_codes=warned, lon=circle.lon, lat=circle.lat, field="area", what="circle centre"
        )
    if codes or not shapes:
        return warned, []
    covered, approximate = division_service.covered_children(
        session=session, code=issuer, geometry=shapely.union_all(shapes)
    )
    return (covered, approximate) if covered else (warned, [])


# ------------------------------------------------------------------------------------------ issue


def _identifier(session: Session, sender: str, sent: int) -> tuple[str, int]:
    """A free identifier and its issue time: the identifier's N (0–9) tells apart warnings of one second,
    so an eleventh warning in a second is issued in the next free second (within a minute)."""
    for second in range(60):
        moment = sent + second * 1000
        for sequence in range(10):
            identifier = cap.make_identifier(sender, moment, sequence)
            if session.scalar(select(PublicWarning.id).where(PublicWarning.identifier == identifier)) is None:
                return identifier, moment
    raise Conflict("six hundred warnings were issued by this sender in the last minute; try again")


def _sender_name(session: Session, division: str, configured: str | None) -> str:
    if configured:
        return configured
    names = division_service.names_of(session=session, codes=[division])
    return names.get(division, division)


def _message(
    warning: PublicWarning, *, sent: int, msg_type: str, identifier: str, sender_name: str
) -> cap.WarningMessage:
    return cap.WarningMessage(
        sender=warning.sender,
        identifier=identifier,
        sent=sent,
        colour=warning.colour,  # type: ignore[arg-type]
        type=warning.type or "",
        headline=warning.headline,
        area=_area_from_json(warning.area),
        description=warning.description or None,
        instruction=warning.instruction or None,
        msg_type=msg_type,  # type: ignore[arg-type]
        references=tuple(warning.references),
        sender_name=sender_name,
        expires=_ms(warning.expires_at) if warning.expires_at else None,
    )


def issue(
    *,
    session: Session,
    scope: Scope,
    warning_in: WarningIn,
    now: int,
    organisation: str = "000",
    sender_name: str | None = None,
    call_config: channels.ChannelConfig | None = None,
) -> PublicWarning:
    """Issue a warning: CAP 1.2 built and validated, the warned divisions' officials called (and, given the
    channel configuration, the call sent over their contact channels at once)."""
    scope.require(ISSUE)
    cap.warning_type(warning_in.type)
    issuer = division_service.get_writable(
        session=session, scope=scope, code=warning_in.division_code or scope.division_code
    )
    area = _area(warning_in.area, warning_in.headline)
    sent = now - now % 1000
    sender = cap.sender_code(issuer.code[:6], organisation)
    identifier, sent = _identifier(session, sender, sent)
    warning = PublicWarning(
        identifier=identifier,
        sender=sender,
        division_code=issuer.code,
        source="issued",
        colour=warning_in.colour,
        type=warning_in.type,
        headline=warning_in.headline,
        description=warning_in.description,
        instruction=warning_in.instruction,
        area=_area_json(area),
        status="active",
        msg_type="Alert",
        version=1,
        references=[],
        sent_at=_dt(sent),
        expires_at=_dt(sent + round(warning_in.expires_hours * 3_600_000)) if warning_in.expires_hours else None,
        cap_xml="",
        created_by=scope.actor,
        updated_at=utcnow(),
    )
    warned, approximate = _warned_divisions(session, scope, area, issuer.code)
    warning.divisions = [WarningDivision(code=c) for c in warned]
    if approximate:  # judged by position where no boundary exists: shown as approximate
        warning.area = {**warning.area, "approximate_divisions": approximate}
    name = _sender_name(session, issuer.code, sender_name)
    warning.cap_xml = cap.build(
        _message(warning, sent=sent, msg_type="Alert", identifier=warning.identifier, sender_name=name)
    ).decode("utf-8")
    session.add(warning)
    session.flush()
    _start_calls(session, warning, sent)
    _record(
        session,
        scope,
        "issue",
        warning,
        {"identifier": warning.identifier, "colour": warning.colour, "type": warning.type},
    )
    if call_config is not None:
        call_officials(session=session, scope=scope, warning_id=warning.id, config=call_config)
    return warning


def _reference(warning: PublicWarning) -> str:
    return f"{warning.sender},{warning.identifier},{cap.cap_time(_ms(warning.sent_at))}"


def _reissue(
    session: Session, scope: Scope, warning: PublicWarning, now: int, msg_type: str, sender_name: str | None
) -> None:
    """A new CAP message (Update or Cancel) for the warning, referencing the one it replaces."""
    sent = max(now - now % 1000, _ms(warning.sent_at) + 1000)
    warning.references = [*warning.references, _reference(warning)]
    warning.identifier, sent = _identifier(session, warning.sender, sent)
    warning.sent_at = _dt(sent)
    warning.msg_type = msg_type
    warning.version += 1
    warning.updated_at = utcnow()
    name = _sender_name(session, warning.division_code, sender_name)
    warning.cap_xml = cap.build(
        _message(warning, sent=sent, msg_type=msg_type, identifier=warning.identifier, sender_name=name)
    ).decode("utf-8")


def _for_change(session: Session, scope: Scope, warning_id: int) -> PublicWarning:
    scope.require(ISSUE)
    warning = get(session=session, scope=scope, warning_id=warning_id)
    scope.require_write(warning.division_code, "warning")
    if warning.source != "issued":
        raise Conflict("a warning imported from another issuer is changed by its issuer only")
    if warning.status != "active":
        raise Conflict("the warning is cancelled")
    return warning


def update(
    *,
    session: Session,
    scope: Scope,
    warning_id: int,
    change: WarningUpdate,
    now: int,
    sender_name: str | None = None,
) -> PublicWarning:
    warning = _for_change(session, scope, warning_id)
    for name in ("colour", "headline", "description", "instruction"):
        value = getattr(change, name)
        if value is not None:
            setattr(warning, name, value)
    if change.area is not None:
        area = _area(change.area, warning.headline)
        warning.area = _area_json(area)
        codes, approximate = _warned_divisions(session, scope, area, warning.division_code)
        warning.divisions = [WarningDivision(code=c) for c in codes]
        if approximate:
            warning.area = {**warning.area, "approximate_divisions": approximate}
    if change.expires_hours is not None:
        warning.expires_at = _dt(now + round(change.expires_hours * 3_600_000))
    _reissue(session, scope, warning, now, "Update", sender_name)
    session.flush()
    _start_calls(session, warning, now)
    _record(session, scope, "update", warning, {"identifier": warning.identifier, "version": warning.version})
    return warning


def cancel(
    *, session: Session, scope: Scope, warning_id: int, now: int, reason: str = "", sender_name: str | None = None
) -> PublicWarning:
    warning = _for_change(session, scope, warning_id)
    if reason:
        warning.description = reason
    _reissue(session, scope, warning, now, "Cancel", sender_name)
    warning.status = "cancelled"
    session.flush()
    _record(session, scope, "cancel", warning, {"identifier": warning.identifier})
    return warning


# ------------------------------------------------------------------------------------------ reading


def _readable(scope: Scope) -> Any:
    return exists().where(WarningDivision.warning_id == PublicWarning.id, scope.where_readable(WarningDivision.code))


def get(*, session: Session, scope: Scope, warning_id: int) -> PublicWarning:
    scope.require(READ)
    warning = session.get(PublicWarning, warning_id)
    if warning is None or not (scope.can_read(warning.division_code) or scope.can_read_any(warning.division_codes)):
        raise NotFound("warning not found")
    return warning


def list_warnings(
    *,
    session: Session,
    scope: Scope,
    status: str | None = None,
    source: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[PublicWarning], int]:
    scope.require(READ)
    stmt = select(PublicWarning).where(scope.where_readable(PublicWarning.division_code) | _readable(scope))
    if status:
        stmt = stmt.where(PublicWarning.status == status)
    if source:
        stmt = stmt.where(PublicWarning.source == source)
    return paginate(session, stmt, PublicWarning.sent_at.desc(), PublicWarning.id.desc(), limit=limit, offset=offset)


def visible_divisions(scope: Scope, warning: PublicWarning) -> list[str]:
    return [c for c in warning.division_codes if scope.can_read(c)]


def public_feed(*, session: Session, now: int, link: str | None = None) -> bytes:
    """The Atom feed of active warnings issued here (public: nothing but the warnings' own CAP)."""
    moment = _dt(now)
    rows = session.scalars(
        select(PublicWarning)
        .where(
            PublicWarning.status == "active",
            PublicWarning.source == "issued",
            (PublicWarning.expires_at.is_(None)) | (PublicWarning.expires_at > moment),
        )
        .order_by(PublicWarning.sent_at.desc())
        .limit(500)
    ).all()
    return cap.atom_feed(
        [r.cap_xml.encode("utf-8") for r in rows],
        feed_id="urn:yingji:warnings",
        title="yingji 预警信息",
        updated=now,
        link=link,
    )


# ------------------------------------------------------------------------------------------ import


def _alerts(xml: bytes) -> list[etree._Element]:
    try:
        root = etree.fromstring(xml, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"xml: not well-formed XML ({exc})", field="xml") from exc
    if root.tag == f"{{{cap.CAP_NS}}}alert":
        return [root]
    found = list(root.iterfind(f".//{{{cap.CAP_NS}}}alert"))
    if not found:
        raise InvalidInput("xml: neither a CAP 1.2 alert nor a feed holding CAP alerts", field="xml")
    return found


def import_cap(*, session: Session, scope: Scope, xml: bytes, now: int) -> dict[str, int]:
    """Take in warnings of other issuers (a CAP alert or an Atom feed of them). An alert already known is
    skipped; a Cancel referencing a known one cancels it. Named geocodes in the caller's reach become the
    warned divisions; else the caller's division."""
    scope.require(ISSUE)
    counts = {"imported": 0, "cancelled": 0, "skipped": 0}
    for element in _alerts(xml)[:500]:
        text = etree.tostring(element, encoding="unicode")
        parsed = cap.parse_element(element)
        errors = cap.validate(text.encode("utf-8"))
        if errors or not parsed.identifier:
            counts["skipped"] += 1
            continue
        if session.scalar(select(PublicWarning.id).where(PublicWarning.identifier == parsed.identifier)):
            counts["skipped"] += 1
            continue
        referenced = [r.split(",")[1] for r in parsed.references if r.count(",") == 2]
        if parsed.msg_type == "Cancel" and referenced:
            known = session.scalars(
                select(PublicWarning).where(
                    PublicWarning.identifier.in_(referenced), PublicWarning.source == "imported"
                )
            ).all()
            for warning in known:
                if scope.covers(warning.division_code) and warning.status == "active":
                    warning.status = "cancelled"
                    session.flush()
                    _record(session, scope, "cancel", warning, {"identifier": parsed.identifier})
                    counts["cancelled"] += 1
            if known:
                continue
        codes = []
        for geocode in parsed.geocodes:
            try:
                division = division_service.get(session=session, scope=scope, code=geocode)
            except (NotFound, InvalidInput):
                continue
            if scope.covers(division.code):
                codes.append(division.code)
        warning = PublicWarning(
            identifier=parsed.identifier[:200],
            sender=parsed.sender[:200],
            division_code=scope.division_code,
            source="imported",
            colour=parsed.colour if parsed.colour in cap.COLOUR_LEVELS else None,
            type=(parsed.type or None) and parsed.type[:40],
            headline=(parsed.headline or parsed.event or "")[:300],
            description="",
            instruction="",
            area={
                "description": "; ".join(parsed.area_descriptions),
                "polygons": [],
                "circles": [],
                "divisions": codes,
                "cap_polygons": list(parsed.polygons),
                "cap_circles": list(parsed.circles),
            },
            status="active" if parsed.msg_type != "Cancel" else "cancelled",
            msg_type=parsed.msg_type[:8],
            version=1,
            references=list(parsed.references),
            sent_at=_dt(parsed.sent or now),
            expires_at=_dt(parsed.expires) if parsed.expires else None,
            cap_xml=text,
            created_by=scope.actor,
            updated_at=utcnow(),
        )
        warning.divisions = [WarningDivision(code=c) for c in sorted(set(codes) or {scope.division_code})]
        session.add(warning)
        session.flush()
        _record(session, scope, "import", warning, {"identifier": warning.identifier, "sender": warning.sender})
        counts["imported"] += 1
    return counts


# ------------------------------------------------------------------------------------------ delivery


def channel_config(settings: Settings) -> channels.ChannelConfig:
    """The delivery channels as the settings configure them (brokers, SMTP, the SMS gateway, the webhook
    allow-list)."""
    return channels.ChannelConfig(
        mqtt_url=settings.mqtt_url,
        smtp_url=settings.smtp_url,
        smtp_from=settings.smtp_from,
        timeout_s=settings.webhook_timeout_s,
        webhook_allowed=tuple(settings.webhook_allowed_targets),
        sms_gateway_url=settings.sms_gateway_url,
        sms_gateway_token=settings.sms_gateway_token,
    )


# Targets sent to at once: each send waits on its remote party (up to the channel timeout), so a call to
# twenty officials takes about one timeout, not twenty.
MAX_PARALLEL_SENDS = 16


def _send_all(
    session: Session,
    warning: PublicWarning,
    targets: Sequence[tuple[channels.Channel, str]],
    config: channels.ChannelConfig,
) -> list[WarningDelivery]:
    """Send the warning's CAP to every (channel, target) at once; one receipt each, in the targets' order,
    stamped when its send ended. Only this thread touches the session."""
    payload = warning.cap_xml.encode("utf-8")

    def send(target: tuple[channels.Channel, str]) -> tuple[bool, str, dt.datetime]:
        ok, detail = channels.deliver(target[0], target[1], payload, warning.headline, config)
        return ok, detail, utcnow()

    if len(targets) > 1:
        with ThreadPoolExecutor(min(MAX_PARALLEL_SENDS, len(targets)), thread_name_prefix="warning-send") as pool:
            results = list(pool.map(send, targets))
    else:
        results = [send(t) for t in targets]
    rows = [WarningDelivery(warning_id=warning.id, channel=channel, recipient=to, at=at, delivered=ok,
                            detail=detail.replace("\x00", ""))
            for (channel, to), (ok, detail, at) in zip(targets, results, strict=True)]  # fmt: skip
    session.add_all(rows)
    return rows


def deliver(
    *, session: Session, scope: Scope, warning_id: int, body: DeliverIn, config: channels.ChannelConfig
) -> list[WarningDelivery]:
    """Send the warning's CAP to each recipient over its channel; one receipt per recipient. A target the
    configuration refuses (a webhook outside the allow-list) refuses the whole request before any is sent."""
    scope.require(ISSUE)
    warning = get(session=session, scope=scope, warning_id=warning_id)
    scope.require_write(warning.division_code, "warning")
    for number, recipient in enumerate(body.recipients):
        refused = channels.refusal(recipient.channel, recipient.to, config)
        if refused:
            raise InvalidInput(f"recipients[{number}]: {refused}", field="recipients")
    receipts = _send_all(session, warning, [(r.channel, r.to) for r in body.recipients], config)
    session.flush()
    _record(
        session,
        scope,
        "deliver",
        warning,
        {"delivered": sum(r.delivered for r in receipts), "failed": sum(not r.delivered for r in receipts)},
    )
    return receipts


def deliveries(*, session: Session, scope: Scope, warning_id: int) -> list[WarningDelivery]:
    warning = get(session=session, scope=scope, warning_id=warning_id)
    return list(
        session.scalars(
            select(WarningDelivery).where(WarningDelivery.warning_id == warning.id).order_by(WarningDelivery.id)
        )
    )


# ------------------------------------------------------------------------------------------ officials and 叫应


def create_official(
    *, session: Session, scope: Scope, official_in: OfficialIn, webhook_allowed: Sequence[str] = ()
) -> WarningOfficial:
    """Register a responsible official. Webhook targets in the contact must be in the allow-list (the
    channel is checked when it is created, and again whenever a call is sent)."""
    scope.require(ISSUE)
    division = _checked_official(session, scope, official_in, webhook_allowed, None)
    official = WarningOfficial(
        name=official_in.name,
        division_code=division.code,
        superior_id=official_in.superior_id,
        contact=official_in.contact,
        username=official_in.username,
    )
    audit.created(
        session=session,
        scope=scope,
        row=official,
        entity="warning_official",
        division_code=division.code,
        divisions=[division.code],
    )
    return official


def _checked_official(
    session: Session, scope: Scope, official_in: OfficialIn, webhook_allowed: Sequence[str], official_id: int | None
) -> Any:
    """The division of an official being registered or changed, after checking the contact's webhook targets
    against the allow-list and the superior (readable, in office, not the official or one below them)."""
    for channel, target in channels.contact_targets(official_in.contact):
        refused = channels.refusal(channel, target, channels.ChannelConfig(webhook_allowed=tuple(webhook_allowed)))
        if refused:
            raise InvalidInput(f"contact: {refused}", field="contact")
    division = division_service.get_writable(session=session, scope=scope, code=official_in.division_code)
    if official_in.superior_id is not None:
        superior = access.get_readable(
            session=session, scope=scope, model=WarningOfficial, row_id=official_in.superior_id, what="superior"
        )
        if superior.removed_at is not None:
            raise NotFound("superior not found", field="superior_id")
        chain: WarningOfficial | None = superior
        seen: set[int] = set()
        while chain is not None and chain.id not in seen:  # the superior must not answer to this official
            if official_id is not None and chain.id == official_id:
                raise InvalidInput(
                    "superior: the chain of superiors would return to this official",
                    field="superior_id",
                    key="official.error.loop",
                )
            seen.add(chain.id)
            chain = session.get(WarningOfficial, chain.superior_id) if chain.superior_id else None
    return division


def _official_for_change(session: Session, scope: Scope, official_id: int) -> WarningOfficial:
    scope.require(ISSUE)
    official = access.get_covered(
        session=session, scope=scope, model=WarningOfficial, row_id=official_id, what="official"
    )
    if official.removed_at is not None:
        raise NotFound("official not found")
    return official


def update_official(
    *,
    session: Session,
    scope: Scope,
    official_id: int,
    official_in: OfficialIn,
    webhook_allowed: Sequence[str] = (),
) -> WarningOfficial:
    """Change an official (name, division, superior, contact, user). Active warnings call them from their
    next call round on if their new division is warned."""
    official = _official_for_change(session, scope, official_id)
    division = _checked_official(session, scope, official_in, webhook_allowed, official.id)
    before = audit.snapshot(official)
    official.name = official_in.name
    official.division_code = division.code
    official.superior_id = official_in.superior_id
    official.contact = official_in.contact
    official.username = official_in.username
    audit.changed(
        session=session,
        scope=scope,
        row=official,
        before=before,
        entity="warning_official",
        divisions=sorted({before["division_code"], division.code}),
    )
    return official


def remove_official(*, session: Session, scope: Scope, official_id: int, now: dt.datetime) -> WarningOfficial:
    """The official is no longer responsible: never called again (calls of past rounds keep their name).
    Whoever answered to them now answers to their superior, so no chain of escalation breaks."""
    official = _official_for_change(session, scope, official_id)
    for below in session.scalars(
        select(WarningOfficial).where(WarningOfficial.superior_id == official.id, WarningOfficial.removed_at.is_(None))
    ):
        before = audit.snapshot(below)
        below.superior_id = official.superior_id
        audit.changed(session=session, scope=scope, row=below, before=before, entity="warning_official")
    before = audit.snapshot(official)
    official.removed_at = now
    audit.changed(session=session, scope=scope, row=official, before=before, entity="warning_official", action="remove")
    return official


def list_officials(*, session: Session, scope: Scope) -> list[WarningOfficial]:
    """The officials in office the caller may read."""
    scope.require(READ)
    return list(
        session.scalars(
            select(WarningOfficial)
            .where(scope.where_readable(WarningOfficial.division_code), WarningOfficial.removed_at.is_(None))
            .order_by(WarningOfficial.division_code, WarningOfficial.id)
            .limit(10_000)
        )
    )


def _directory(session: Session) -> dict[str, callack.Official]:
    """The officials in office: whom a call round may reach."""
    rows = session.scalars(select(WarningOfficial).where(WarningOfficial.removed_at.is_(None))).all()
    return {
        str(o.id): callack.Official(str(o.id), o.name, o.division_code, str(o.superior_id) if o.superior_id else None)
        for o in rows
    }


def _start_calls(session: Session, warning: PublicWarning, at: int) -> int:
    """Call every official responsible for the warned divisions *now* who has no call of this warning yet
    (each call round runs it: an official registered, moved or put in charge after the warning was issued
    is reached by its next round). Returns how many were added."""
    directory = _directory(session)
    wanted = callack.officials_for(warning.division_codes, directory)
    called = set(session.scalars(select(WarningCall.official_id).where(WarningCall.warning_id == warning.id)))
    added = 0
    for official in wanted:
        if int(official) in called:
            continue
        session.add(
            WarningCall(
                warning_id=warning.id,
                official_id=int(official),
                division_code=directory[official].division,
                called_at=_dt(at),
            )
        )
        added += 1
    session.flush()
    return added


def calls(*, session: Session, scope: Scope, warning_id: int) -> list[WarningCall]:
    warning = get(session=session, scope=scope, warning_id=warning_id)
    return list(
        session.scalars(
            select(WarningCall)
            .where(WarningCall.warning_id == warning.id, scope.where_readable(WarningCall.division_code))
            .order_by(WarningCall.called_at, WarningCall.id)
        )
    )


def call_officials(
    *, session: Session, scope: Scope, warning_id: int, config: channels.ChannelConfig
) -> list[WarningDelivery]:
    """Send the call: the warning's CAP to the contact channels of every called official who has not
    acknowledged, skipping targets already reached for this warning (a second press retries the failed
    ones only). One receipt per official target and channel."""
    scope.require(ISSUE)
    warning = get(session=session, scope=scope, warning_id=warning_id)
    scope.require_write(warning.division_code, "warning")
    if warning.status != "active":
        raise Conflict("the warning is cancelled")
    _start_calls(session, warning, to_epoch_ms(utcnow()))
    responsible = _responsible(session, warning)
    delivered = select(WarningDelivery.channel, WarningDelivery.recipient).where(
        WarningDelivery.warning_id == warning.id, WarningDelivery.delivered.is_(True)
    )
    reached = {(channel, to) for channel, to in session.execute(delivered)}
    targets: list[tuple[channels.Channel, str]] = []
    for call in calls(session=session, scope=scope, warning_id=warning.id):
        official = session.get(WarningOfficial, call.official_id)
        if official is None or call.acknowledged_at is not None or not scope.covers(call.division_code):
            continue
        if official.id not in responsible:  # removed, or their division is no longer warned
            continue
        for channel, target in channels.contact_targets(official.contact):
            if (channel, target) not in reached:
                targets.append((channel, target))
                reached.add((channel, target))
    receipts = _send_all(session, warning, targets, config)
    session.flush()
    _record(
        session,
        scope,
        "call",
        warning,
        {"delivered": sum(r.delivered for r in receipts), "failed": sum(not r.delivered for r in receipts)},
    )
    return receipts


def _responsible(session: Session, warning: PublicWarning) -> set[int]:
    """The officials a call round of the warning reaches now: those in office answering for a warned
    division, and the superiors escalation reached (up their chain)."""
    directory = _directory(session)
    out = {int(o) for o in callack.officials_for(warning.division_codes, directory)}
    rows = session.scalars(select(WarningCall).where(WarningCall.warning_id == warning.id)).all()
    escalated = {str(r.official_id) for r in rows if r.escalated_at is not None}
    for official in escalated:
        superior = directory[official].superior if official in directory else None
        if superior is not None and superior in directory:
            out.add(int(superior))
    return out


def call_board(*, session: Session, scope: Scope, warning_id: int) -> list[dict[str, Any]]:
    """Each call of a warning with its official and the receipts of the official's contact channels
    (newest receipt per target): who was called, when, over which channel, answered or escalated."""
    rows = calls(session=session, scope=scope, warning_id=warning_id)
    officials = (
        {
            o.id: o
            for o in session.scalars(
                select(WarningOfficial).where(WarningOfficial.id.in_({r.official_id for r in rows}))
            )
        }
        if rows
        else {}
    )
    latest: dict[tuple[str, str], WarningDelivery] = {}
    for receipt in session.scalars(
        select(WarningDelivery).where(WarningDelivery.warning_id == warning_id).order_by(WarningDelivery.id)
    ):
        latest[(receipt.channel, receipt.recipient)] = receipt
    board = []
    for row in rows:
        official = officials.get(row.official_id)
        targets = channels.contact_targets(official.contact) if official else []
        board.append(
            {
                "call": row,
                "official": official,
                "receipts": [(channel, target, latest.get((channel, target))) for channel, target in targets],
            }
        )
    return board


def acknowledge_call(*, session: Session, scope: Scope, warning_id: int, official_id: int, now: int) -> WarningCall:
    """The official answers (应): themselves (their user name) or recorded by a warnings issuer of their
    division (e.g. after a phone call)."""
    warning = get(session=session, scope=scope, warning_id=warning_id)
    call = session.scalars(
        select(WarningCall).where(WarningCall.warning_id == warning.id, WarningCall.official_id == official_id)
    ).first()
    if call is None or not scope.can_read(call.division_code):
        raise NotFound("call not found")
    official = session.get(WarningOfficial, official_id)
    assert official is not None
    if official.username != scope.actor:
        scope.require(ISSUE)
        if not scope.covers(call.division_code):
            raise Forbidden("only the official or an issuer of their division records the acknowledgement")
    if call.acknowledged_at is not None:
        raise Conflict("already acknowledged")
    call.acknowledged_at = _dt(now)
    call.acknowledged_by = scope.actor
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="acknowledge",
        entity="warning_call",
        entity_id=call.id,
        division_code=call.division_code,
        after={"warning": warning.id, "official": official_id},
        divisions=[call.division_code],
    )
    return call


def _call_state(warning: PublicWarning, rows: Sequence[WarningCall]) -> callack.CallState:
    escalations = tuple(
        callack.Escalation(str(r.official_id), None, _ms(r.escalated_at)) for r in rows if r.escalated_at is not None
    )
    return callack.CallState(
        warning=warning.identifier,
        called_at={str(r.official_id): _ms(r.called_at) for r in rows},
        acknowledged_at={str(r.official_id): _ms(r.acknowledged_at) for r in rows if r.acknowledged_at},
        escalations=escalations,
    )


def escalate_calls(
    *,
    session: Session,
    scope: Scope,
    now: int,
    escalate_after_s: float,
    call_config: channels.ChannelConfig | None = None,
) -> dict[str, int]:
    """The scheduler's step: officials who have not acknowledged in time are escalated to their superior
    (who is called in turn — given the channel configuration, over their contact channels, counted in
    ``sent``); the end of a chain is reported to the duty desk through the audit/live event."""
    scope.require(ISSUE)
    directory = _directory(session)
    counts = {"escalated": 0, "called": 0}
    recalled: set[int] = set()
    active = session.scalars(
        select(PublicWarning).where(PublicWarning.status == "active", scope.where_covered(PublicWarning.division_code))
    ).all()
    for warning in active:
        added = _start_calls(session, warning, now)  # officials responsible now who were never called
        if added:
            recalled.add(warning.id)
            counts["called"] += added
        responsible = _responsible(session, warning)
        rows = [
            r
            for r in session.scalars(select(WarningCall).where(WarningCall.warning_id == warning.id))
            if r.official_id in responsible
        ]
        if not rows:
            continue
        state, new = callack.escalate_due(_call_state(warning, rows), now, directory, escalate_after_s)
        by_official = {str(r.official_id): r for r in rows}
        for escalation in new:
            row = by_official.get(escalation.from_official)
            if row is not None:
                row.escalated_at = _dt(escalation.at)
            counts["escalated"] += 1
            if escalation.to_official is not None and escalation.to_official not in by_official:
                superior = directory[escalation.to_official]
                call = WarningCall(
                    warning_id=warning.id,
                    official_id=int(superior.id),
                    division_code=superior.division,
                    called_at=_dt(state.called_at[superior.id]),
                )
                session.add(call)
                by_official[superior.id] = call
                counts["called"] += 1
                recalled.add(warning.id)
            session.flush()
            _record(
                session, scope, "escalate", warning, {"from": escalation.from_official, "to": escalation.to_official}
            )
    if call_config is not None:
        counts["sent"] = sum(
            len(call_officials(session=session, scope=scope, warning_id=w, config=call_config))
            for w in sorted(recalled)
        )
    return counts
