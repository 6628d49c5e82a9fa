"""Responsible officials and call-and-acknowledge (叫应, ``callack.py``): register officials, send the call
over their contact channels, record an official's answer, and the scheduler's escalation to a superior.
The calls themselves are started when a warning is issued (``warnings.service``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.monitoring.clock import to_epoch_ms
from yingji.warnings import callack, channels
from yingji.warnings.models import PublicWarning, WarningCall, WarningDelivery, WarningOfficial
from yingji.warnings.schemas import OfficialIn
from yingji.warnings.service import (
    ISSUE,
    READ,
    audit_warning,
    call_officials,
    calls,
    from_ms,
    get,
    official_directory,
    responsible,
    start_calls,
)


def create_official(
    *, session: Session, scope: Scope, official_in: OfficialIn, webhook_allowed: Sequence[str] = ()
) -> WarningOfficial:
    """Register a responsible official. Webhook targets in the contact must be in the allow-list (the
    channel is checked when it is created, and again whenever a call is sent)."""
    scope.require(ISSUE)
    division = _checked_official(session, scope, official_in, webhook_allowed, None)
    official = WarningOfficial(**official_in.model_dump(exclude={"division_code"}), division_code=division.code)
    audit.created(session, scope, official, entity="warning_official", division_code=division.code)
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
    call.acknowledged_at = from_ms(now)
    call.acknowledged_by = scope.actor
    session.flush()
    audit.acted(
        session,
        scope,
        call,
        entity="warning_call",
        action="acknowledge",
        after={"warning": warning.id, "official": official_id},
        divisions=[call.division_code],
    )
    return call


def _call_state(warning: PublicWarning, rows: Sequence[WarningCall]) -> callack.CallState:
    escalations = tuple(
        callack.Escalation(str(r.official_id), None, to_epoch_ms(r.escalated_at))
        for r in rows
        if r.escalated_at is not None
    )
    return callack.CallState(
        warning=warning.identifier,
        called_at={str(r.official_id): to_epoch_ms(r.called_at) for r in rows},
        acknowledged_at={str(r.official_id): to_epoch_ms(r.acknowledged_at) for r in rows if r.acknowledged_at},
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
    directory = official_directory(session)
    counts = {"escalated": 0, "called": 0}
    recalled: set[int] = set()
    active = session.scalars(
        select(PublicWarning).where(PublicWarning.status == "active", scope.where_covered(PublicWarning.division_code))
    ).all()
    for warning in active:
        added = start_calls(session, warning, now)  # officials responsible now who were never called
        if added:
            recalled.add(warning.id)
            counts["called"] += added
        reachable = responsible(session, warning)
        rows = [
            r
            for r in session.scalars(select(WarningCall).where(WarningCall.warning_id == warning.id))
            if r.official_id in reachable
        ]
        if not rows:
            continue
        state, new = callack.escalate_due(_call_state(warning, rows), now, directory, escalate_after_s)
        by_official = {str(r.official_id): r for r in rows}
        for escalation in new:
            row = by_official.get(escalation.from_official)
            if row is not None:
                row.escalated_at = from_ms(escalation.at)
            counts["escalated"] += 1
            if escalation.to_official is not None and escalation.to_official not in by_official:
                superior = directory[escalation.to_official]
                call = WarningCall(
                    warning_id=warning.id,
                    official_id=int(superior.id),
                    division_code=superior.division,
                    called_at=from_ms(state.called_at[superior.id]),
                )
                session.add(call)
                by_official[superior.id] = call
                counts["called"] += 1
                recalled.add(warning.id)
            session.flush()
            audit_warning(
                session, scope, "escalate", warning, {"from": escalation.from_official, "to": escalation.to_official}
            )
    if call_config is not None:
        counts["sent"] = sum(
            len(call_officials(session=session, scope=scope, warning_id=w, config=call_config))
            for w in sorted(recalled)
        )
    return counts
