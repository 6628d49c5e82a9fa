"""Planning duty shifts and handing them over (值班表、交接班).

A shift is handed over with a note and the list of matters then open at its desk — received information not
yet turned into an incident or closed, and open incidents of its division — kept as a snapshot; someone of
the next shift (another person than who handed over) acknowledges it (接班确认). Both steps are audited and
raise a live event on the shift."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import Conflict, InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.geo.codes import code_range, prefix
from yingji.incidents import service as incident_service
from yingji.incidents.handover.models import DutyHandover
from yingji.incidents.models import DutyItem, DutyShift
from yingji.incidents.schemas import ShiftIn

OPEN_MATTERS_LIMIT = 100  # of each kind handed over


def plan_shift(*, session: Session, scope: Scope, shift_in: ShiftIn) -> DutyShift:
    """A shift put on the roster (the duty desk's own rule: it ends after it starts). A shift overlapping
    another of the same desk is allowed (two shifts can hand over in the same hour)."""
    return incident_service.create_shift(session=session, scope=scope, shift_in=shift_in)


def roster(
    *, session: Session, scope: Scope, start: dt.datetime, end: dt.datetime, limit: int = 200
) -> list[DutyShift]:
    """The readable shifts that overlap ``[start, end)``, earliest first."""
    scope.require("incidents:read")
    stmt = (
        select(DutyShift)
        .where(scope.where_covered(DutyShift.division_code), DutyShift.starts_at < end, DutyShift.ends_at > start)
        .order_by(DutyShift.starts_at, DutyShift.id)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def handovers_of(*, session: Session, scope: Scope, shift_ids: list[int]) -> dict[int, DutyHandover]:
    """The handover records of these shifts (those handed over), by shift id."""
    scope.require("incidents:read")
    if not shift_ids:
        return {}
    stmt = select(DutyHandover).where(
        DutyHandover.shift_id.in_(shift_ids), scope.where_covered(DutyHandover.division_code)
    )
    return {h.shift_id: h for h in session.scalars(stmt)}


def open_matters(*, session: Session, scope: Scope, division_code: str) -> list[dict[str, Any]]:
    """What is open at a desk now: its received information still open, then the open incidents of its
    division (newest first)."""
    desk = division_service.get_unscoped(session=session, code=division_code)
    low, high = code_range(prefix(desk.code, desk.level))
    items = session.scalars(
        select(DutyItem)
        .where(scope.where_covered(DutyItem.division_code), DutyItem.status == "open")
        .where(DutyItem.division_code >= low, DutyItem.division_code <= high)
        .order_by(DutyItem.received_at.desc(), DutyItem.id.desc())
        .limit(OPEN_MATTERS_LIMIT)
    ).all()
    out: list[dict[str, Any]] = [{"kind": "duty_item", "id": i.id, "label": i.summary[:200]} for i in items]
    incidents, _ = incident_service.list_incidents(
        session=session, scope=scope, division=division_code, open_only=True, limit=OPEN_MATTERS_LIMIT
    )
    out += [{"kind": "incident", "id": i.id, "label": i.title} for i in incidents]
    return out


def get_shift(*, session: Session, scope: Scope, shift_id: int) -> DutyShift:
    return access.get_covered(
        session=session, scope=scope, model=DutyShift, row_id=shift_id, what="duty shift", permission="incidents:read"
    )


def get_handover(*, session: Session, scope: Scope, shift_id: int) -> DutyHandover:
    shift = get_shift(session=session, scope=scope, shift_id=shift_id)
    found = session.scalar(select(DutyHandover).where(DutyHandover.shift_id == shift.id))
    if found is None:
        raise NotFound("this shift has not been handed over")
    return found


def hand_over(*, session: Session, scope: Scope, shift_id: int, note: str) -> DutyHandover:
    """Hand a shift over with its note and the matters open at its desk now (at most once)."""
    scope.require("incidents:write")
    shift = get_shift(session=session, scope=scope, shift_id=shift_id)
    scope.require_write(shift.division_code, "duty shift")
    if shift.starts_at > utcnow():
        raise Conflict("a shift that has not begun cannot be handed over", field="note")
    matters = open_matters(session=session, scope=scope, division_code=shift.division_code)
    incident_service.hand_over(session=session, scope=scope, shift_id=shift.id, note=note)
    record = DutyHandover(shift_id=shift.id, division_code=shift.division_code, items=matters)
    audit.created(session, scope, record, entity="duty_handover", division_code=shift.division_code)
    return record


def acknowledge(*, session: Session, scope: Scope, shift_id: int) -> DutyHandover:
    """The next shift takes over (接班确认): someone other than who handed over, once."""
    scope.require("incidents:write")
    record = get_handover(session=session, scope=scope, shift_id=shift_id)
    scope.require_write(record.division_code, "duty shift")
    shift = get_shift(session=session, scope=scope, shift_id=shift_id)
    if record.acknowledged_at is not None:
        raise Conflict("this handover has already been acknowledged", field="acknowledge")
    if shift.handed_over_by == scope.actor:
        raise InvalidInput(
            "the handover is acknowledged by the next shift, not by who handed over", field="acknowledge"
        )
    before = audit.snapshot(record)
    record.acknowledged_at, record.acknowledged_by = utcnow(), scope.actor
    audit.changed(session, scope, record, before, entity="duty_handover", action="acknowledge")
    return record
