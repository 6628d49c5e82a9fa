"""Public warnings in the database: issue, update and cancel (CAP 1.2 from ``cap.py``), the public Atom
feed, delivery with a receipt per recipient (``channels.py``), and the calls of call-and-acknowledge (叫应,
``callack.py``): started when a warning is issued and sent over the officials' channels. The officials, the
call board, answers and escalation are in ``warnings.calls.service``; warnings of other issuers are taken in
by ``warnings.imports.service``. Services never commit; every write is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import shapely
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.config import Settings
from yingji.db import utcnow
from yingji.errors import Conflict, InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.monitoring.clock import to_epoch_ms
from yingji.warnings import callack, cap, channels
from yingji.warnings.models import PublicWarning, WarningCall, WarningDelivery, WarningDivision, WarningOfficial
from yingji.warnings.schemas import AreaIn, DeliverIn, WarningIn, WarningUpdate

READ, ISSUE = "warnings:read", "warnings:issue"


def _ms(moment: dt.datetime) -> int:
    return to_epoch_ms(moment)


def from_ms(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, dt.UTC)


def audit_warning(session: Session, scope: Scope, action: str, warning: PublicWarning, after: dict[str, Any]) -> None:
    audit.acted(
        session,
        scope,
        warning,
        entity="warning",
        action=action,
        after=after,
        divisions=sorted({warning.division_code, *warning.division_codes}),
    )


def mark_cancelled(session: Session, scope: Scope, warning: PublicWarning, identifier: str) -> None:
    """The warning is cancelled (by our Cancel message, or an imported one: ``identifier`` is the Cancel's)."""
    warning.status = "cancelled"
    session.flush()
    audit_warning(session, scope, "cancel", warning, {"identifier": identifier})


def _audit_sends(
    session: Session, scope: Scope, action: str, warning: PublicWarning, receipts: list[WarningDelivery]
) -> None:
    audit_warning(
        session,
        scope,
        action,
        warning,
        {"delivered": sum(r.delivered for r in receipts), "failed": sum(not r.delivered for r in receipts)},
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
        sent_at=from_ms(sent),
        expires_at=from_ms(sent + round(warning_in.expires_hours * 3_600_000)) if warning_in.expires_hours else None,
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
    start_calls(session, warning, sent)
    audit_warning(
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
    warning.sent_at = from_ms(sent)
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
        warning.expires_at = from_ms(now + round(change.expires_hours * 3_600_000))
    _reissue(session, scope, warning, now, "Update", sender_name)
    session.flush()
    start_calls(session, warning, now)
    audit_warning(session, scope, "update", warning, {"identifier": warning.identifier, "version": warning.version})
    return warning


def cancel(
    *, session: Session, scope: Scope, warning_id: int, now: int, reason: str = "", sender_name: str | None = None
) -> PublicWarning:
    warning = _for_change(session, scope, warning_id)
    if reason:
        warning.description = reason
    _reissue(session, scope, warning, now, "Cancel", sender_name)
    mark_cancelled(session, scope, warning, warning.identifier)
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


def _listed(session: Session, scope: Scope) -> Select[PublicWarning]:
    scope.require(READ)
    return select(PublicWarning).where(scope.where_readable(PublicWarning.division_code) | _readable(scope))


# Warnings the caller may read (issued for or reaching their divisions), newest first.
list_warnings = access.Listing(
    PublicWarning,
    rows=_listed,
    order=(PublicWarning.sent_at.desc(), PublicWarning.id.desc()),
    equal=("status", "source"),
)


def visible_divisions(scope: Scope, warning: PublicWarning) -> list[str]:
    return [c for c in warning.division_codes if scope.can_read(c)]


def public_feed(*, session: Session, now: int, link: str | None = None) -> bytes:
    """The Atom feed of active warnings issued here (public: nothing but the warnings' own CAP)."""
    moment = from_ms(now)
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


def send_all(
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
    receipts = send_all(session, warning, [(r.channel, r.to) for r in body.recipients], config)
    session.flush()
    _audit_sends(session, scope, "deliver", warning, receipts)
    return receipts


def deliveries(*, session: Session, scope: Scope, warning_id: int) -> list[WarningDelivery]:
    warning = get(session=session, scope=scope, warning_id=warning_id)
    return list(
        session.scalars(
            select(WarningDelivery).where(WarningDelivery.warning_id == warning.id).order_by(WarningDelivery.id)
        )
    )


# ------------------------------------------------------------------------------------------ the call list


def official_directory(session: Session) -> dict[str, callack.Official]:
    """The officials in office: whom a call round may reach."""
    rows = session.scalars(select(WarningOfficial).where(WarningOfficial.removed_at.is_(None))).all()
    return {
        str(o.id): callack.Official(str(o.id), o.name, o.division_code, str(o.superior_id) if o.superior_id else None)
        for o in rows
    }


def start_calls(session: Session, warning: PublicWarning, at: int) -> int:
    """Call every official responsible for the warned divisions *now* who has no call of this warning yet
    (each call round runs it: an official registered, moved or put in charge after the warning was issued
    is reached by its next round). Returns how many were added."""
    directory = official_directory(session)
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
                called_at=from_ms(at),
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
    start_calls(session, warning, to_epoch_ms(utcnow()))
    reachable = responsible(session, warning)
    delivered = select(WarningDelivery.channel, WarningDelivery.recipient).where(
        WarningDelivery.warning_id == warning.id, WarningDelivery.delivered.is_(True)
    )
    reached = {(channel, to) for channel, to in session.execute(delivered)}
    targets: list[tuple[channels.Channel, str]] = []
    for call in calls(session=session, scope=scope, warning_id=warning.id):
        official = session.get(WarningOfficial, call.official_id)
        if official is None or call.acknowledged_at is not None or not scope.covers(call.division_code):
            continue
        if official.id not in reachable:  # removed, or their division is no longer warned
            continue
        for channel, target in channels.contact_targets(official.contact):
            if (channel, target) not in reached:
                targets.append((channel, target))
                reached.add((channel, target))
    receipts = send_all(session, warning, targets, config)
    session.flush()
    _audit_sends(session, scope, "call", warning, receipts)
    return receipts


def responsible(session: Session, warning: PublicWarning) -> set[int]:
    """The officials a call round of the warning reaches now: those in office answering for a warned
    division, and the superiors escalation reached (up their chain)."""
    directory = official_directory(session)
    out = {int(o) for o in callack.officials_for(warning.division_codes, directory)}
    rows = session.scalars(select(WarningCall).where(WarningCall.warning_id == warning.id)).all()
    escalated = {str(r.official_id) for r in rows if r.escalated_at is not None}
    for official in escalated:
        superior = directory[official].superior if official in directory else None
        if superior is not None and superior in directory:
            out.add(int(superior))
    return out
