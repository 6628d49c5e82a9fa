"""The duty desk (值班值守): shifts and hand-over, the duty log, received information and its actions."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import Conflict, InvalidInput
from yingji.geo import service as division_service
from yingji.incidents import duty
from yingji.incidents.models import DutyItem, DutyLogEntry, DutyShift, Incident
from yingji.incidents.records.service import _timeline, _written_at, create
from yingji.incidents.schemas import DutyItemIn, DutyLogIn, IncidentCreate, ShiftIn


def create_shift(*, session: Session, scope: Scope, shift_in: ShiftIn) -> DutyShift:
    code = _written_at(session, scope, shift_in.division_code)
    if shift_in.ends_at <= shift_in.starts_at:
        raise InvalidInput("ends_at must be after starts_at", field="ends_at")
    shift = DutyShift(
        division_code=code,
        starts_at=shift_in.starts_at,
        ends_at=shift_in.ends_at,
        leader=shift_in.leader,
        officers=list(shift_in.officers),
        handover_note="",
        created_by=scope.actor,
    )
    audit.created(session, scope, shift, entity="duty_shift", division_code=code)
    return shift


def list_shifts(
    *, session: Session, scope: Scope, at: dt.datetime | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[DutyShift], int]:
    stmt = access.covered_rows(scope, DutyShift, "incidents:read")
    if at is not None:
        stmt = stmt.where(DutyShift.starts_at <= at, DutyShift.ends_at > at)
    return paginate(session, stmt, DutyShift.starts_at.desc(), DutyShift.id.desc(), limit=limit, offset=offset)


def _shift(session: Session, scope: Scope, shift_id: int) -> DutyShift:
    shift = access.get_covered(session=session, scope=scope, model=DutyShift, row_id=shift_id, what="duty shift")
    return shift


def hand_over(*, session: Session, scope: Scope, shift_id: int, note: str) -> DutyShift:
    scope.require("incidents:write")
    shift = _shift(session, scope, shift_id)
    if shift.handed_over_at is not None:
        raise Conflict("this shift has already been handed over")
    before = audit.snapshot(shift)
    shift.handover_note, shift.handed_over_at, shift.handed_over_by = note, utcnow(), scope.actor
    session.add(
        DutyLogEntry(
            division_code=shift.division_code,
            shift_id=shift.id,
            at=shift.handed_over_at,
            actor=scope.actor,
            text=f"handover: {note}",
        )
    )
    audit.changed(session, scope, shift, before, entity="duty_shift", action="handover")
    return shift


def add_log_entry(*, session: Session, scope: Scope, entry_in: DutyLogIn) -> DutyLogEntry:
    code = _written_at(session, scope, entry_in.division_code)
    if entry_in.shift_id is not None:
        shift = _shift(session, scope, entry_in.shift_id)
        if shift.division_code != code:
            raise InvalidInput("shift_id: the shift belongs to another duty desk", field="shift_id")
    entry = DutyLogEntry(
        division_code=code, shift_id=entry_in.shift_id, at=utcnow(), actor=scope.actor, text=entry_in.text
    )
    audit.created(session, scope, entry, entity="duty_log", division_code=code)
    return entry


def list_log(*, session: Session, scope: Scope, limit: int = 100, offset: int = 0) -> tuple[list[DutyLogEntry], int]:
    stmt = access.covered_rows(scope, DutyLogEntry, "incidents:read")
    return paginate(session, stmt, DutyLogEntry.at.desc(), DutyLogEntry.id.desc(), limit=limit, offset=offset)


def receive(*, session: Session, scope: Scope, item_in: DutyItemIn, place_checked: bool = False) -> DutyItem:
    """Information received by the duty desk (phone, fax, system). Its position must lie in its division
    unless the caller placed it by its own rule (``place_checked``: a feed's epicentre)."""
    code = _written_at(session, scope, item_in.division_code)
    if (item_in.lon is None) != (item_in.lat is None):
        raise InvalidInput("give both lon and lat, or neither", field="lon")
    if not place_checked:
        division_service.check_position(
            session=session, division_codes=[code], lon=item_in.lon, lat=item_in.lat, what="duty item position"
        )
    item = DutyItem(
        division_code=code,
        received_at=item_in.received_at or utcnow(),
        channel=item_in.channel,
        caller=item_in.caller,
        summary=item_in.summary,
        lon=item_in.lon,
        lat=item_in.lat,
        status="open",
        done={},
        close_reason="",
        received_by=scope.actor,
    )
    audit.created(session, scope, item, entity="duty_item", division_code=code)
    return item


def get_item(*, session: Session, scope: Scope, item_id: int) -> DutyItem:
    scope.require("incidents:read")
    item = access.get_covered(session=session, scope=scope, model=DutyItem, row_id=item_id, what="received information")
    return item


def list_items(
    *, session: Session, scope: Scope, status: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[DutyItem], int]:
    stmt = access.covered_rows(scope, DutyItem, "incidents:read")
    if status:
        stmt = stmt.where(DutyItem.status == status)
    return paginate(session, stmt, DutyItem.received_at.desc(), DutyItem.id.desc(), limit=limit, offset=offset)


def _open_item(session: Session, scope: Scope, item_id: int) -> DutyItem:
    scope.require("incidents:write")
    item = get_item(session=session, scope=scope, item_id=item_id)
    if item.status != "open":
        raise Conflict(f"this information is already {item.status}", current=item.status)
    return item


def record_duty_action(
    *, session: Session, scope: Scope, item_id: int, action: str, at: dt.datetime | None = None
) -> DutyItem:
    """Mark an escalation action done (``leader_told``, ``forwarded``)."""
    item = _open_item(session, scope, item_id)
    known = {rule.action for rule in duty.DEFAULT_RULES}
    if action not in known:
        raise InvalidInput(
            f"action: unknown duty action {action!r}; one of: {', '.join(sorted(known))}", field="action"
        )
    when = at or utcnow()
    if when < item.received_at:
        raise InvalidInput("at: an action cannot be done before the information was received", field="at")
    before = audit.snapshot(item)
    item.done = {**(item.done or {}), action: when.isoformat()}
    session.add(
        DutyLogEntry(division_code=item.division_code, at=when, actor=scope.actor, text=f"item {item.id}: {action}")
    )
    audit.changed(session, scope, item, before, entity="duty_item", action=action)
    return item


def item_to_incident(*, session: Session, scope: Scope, item_id: int, incident_in: IncidentCreate) -> Incident:
    """The received information becomes an incident (reported when it was received)."""
    item = _open_item(session, scope, item_id)
    before = audit.snapshot(item)
    incident_in = incident_in.model_copy(update={"reported_at": incident_in.reported_at or item.received_at})
    incident = create(session=session, scope=scope, incident_in=incident_in)
    item.status, item.incident_id = "incident", incident.id
    _timeline(
        session,
        scope,
        incident,
        "duty",
        f"from the duty desk: {item.channel} information received {item.received_at.isoformat()}: {item.summary}",
        {
            "duty_item_id": item.id,
            "channel": item.channel,
            "received_at": item.received_at.isoformat(),
            "summary": item.summary,
        },
        item.received_at,
    )
    audit.changed(session, scope, item, before, entity="duty_item", action="to_incident")
    return incident


def close_item(*, session: Session, scope: Scope, item_id: int, reason: str) -> DutyItem:
    item = _open_item(session, scope, item_id)
    if not reason.strip():
        raise InvalidInput("reason: closing received information needs a reason", field="reason")
    before = audit.snapshot(item)
    item.status, item.close_reason, item.closed_at = "closed", reason, utcnow()
    audit.changed(session, scope, item, before, entity="duty_item", action="close")
    return item
