"""Public-warning routes: issue, update, cancel, list, CAP per warning, the public Atom feed, import from
other issuers, delivery with receipts, responsible officials and call-and-acknowledge (叫应)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy.orm import Session

from yingji.api_common import IdPath, ListRequestDep, Page, ScopeDep, SessionDep, SettingsDep
from yingji.auth.scope import Scope
from yingji.config import Settings
from yingji.monitoring.clock import to_epoch_ms
from yingji.warnings import cap, service
from yingji.warnings.calls import service as calls_service
from yingji.warnings.channels import ChannelConfig
from yingji.warnings.imports import service as imports_service
from yingji.warnings.models import PublicWarning, WarningCall
from yingji.warnings.schemas import (
    CallRead,
    CallsRead,
    CancelIn,
    ChannelReceipt,
    DeliverIn,
    DeliveryRead,
    ImportIn,
    ImportResult,
    OfficialIn,
    OfficialRead,
    WarningIn,
    WarningRead,
    WarningUpdate,
)

router = APIRouter(prefix="/api/v1", tags=["warnings"])


def _now() -> int:
    return to_epoch_ms(dt.datetime.now(dt.UTC))


def warning_read(scope: Scope, row: PublicWarning) -> WarningRead:
    return WarningRead(
        id=row.id,
        identifier=row.identifier,
        sender=row.sender,
        division_code=row.division_code,
        source=row.source,
        colour=row.colour,
        type=row.type,
        headline=row.headline,
        description=row.description,
        instruction=row.instruction,
        area=row.area,
        status=row.status,
        msg_type=row.msg_type,
        version=row.version,
        references=row.references,
        sent_at=row.sent_at,
        expires_at=row.expires_at,
        divisions=service.visible_divisions(scope, row),
    )


def _config(settings: Settings) -> ChannelConfig:
    return service.channel_config(settings)


def _sent(
    send: Callable[..., PublicWarning], session: Session, scope: Scope, settings: Settings, **fields: Any
) -> WarningRead:
    """The warning after ``send`` (issue, update or cancel) sent its CAP message now, as this platform's sender."""
    row = send(session=session, scope=scope, now=_now(), sender_name=settings.warning_sender_name, **fields)
    return warning_read(scope, row)


@router.get(
    "/warnings/feed",
    operation_id="warnings_feed",
    response_class=Response,
    responses={200: {"content": {"application/atom+xml": {}}}},
)
def feed(request: Request, session: SessionDep) -> Response:
    """The public Atom feed of active warnings issued here, each entry carrying its CAP 1.2 alert (public)."""
    xml = service.public_feed(session=session, now=_now(), link=str(request.url.replace(query="")))
    return Response(xml, media_type="application/atom+xml")


@router.get("/warnings/officials", response_model=list[OfficialRead], operation_id="warnings_officials_list")
def list_officials(session: SessionDep, scope: ScopeDep) -> list[OfficialRead]:
    """Responsible officials (责任人) the caller may read."""
    return [OfficialRead.model_validate(o) for o in calls_service.list_officials(session=session, scope=scope)]


@router.post(
    "/warnings/officials", response_model=OfficialRead, status_code=201, operation_id="warnings_officials_create"
)
def create_official(body: OfficialIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep) -> OfficialRead:
    """Register a responsible official of a division (called when a warning covers it).

    Webhook targets in the contact must be in YINGJI_WEBHOOK_ALLOWED_TARGETS."""
    row = calls_service.create_official(
        session=session, scope=scope, official_in=body, webhook_allowed=settings.webhook_allowed_targets
    )
    return OfficialRead.model_validate(row)


@router.put("/warnings/officials/{official_id}", response_model=OfficialRead, operation_id="warnings_officials_update")
def update_official(
    official_id: IdPath, body: OfficialIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep
) -> OfficialRead:
    """Change a responsible official (name, division, superior, contact, user): active warnings of their
    new division reach them from their next call round."""
    row = calls_service.update_official(
        session=session,
        scope=scope,
        official_id=official_id,
        official_in=body,
        webhook_allowed=settings.webhook_allowed_targets,
    )
    return OfficialRead.model_validate(row)


@router.delete("/warnings/officials/{official_id}", status_code=204, operation_id="warnings_officials_remove")
def remove_official(official_id: IdPath, session: SessionDep, scope: ScopeDep) -> Response:
    """Remove a responsible official: no call round reaches them again; those who answered to them answer
    to their superior. Past calls keep their name."""
    calls_service.remove_official(session=session, scope=scope, official_id=official_id, now=dt.datetime.now(dt.UTC))
    return Response(status_code=204)


@router.post("/warnings/import", response_model=ImportResult, operation_id="warnings_import")
def import_warnings(body: ImportIn, session: SessionDep, scope: ScopeDep) -> ImportResult:
    """Take in warnings of other issuers: a CAP 1.2 alert or an Atom feed of CAP alerts."""
    return ImportResult(
        **imports_service.import_cap(session=session, scope=scope, xml=body.xml.encode("utf-8"), now=_now())
    )


@router.post("/warnings", response_model=WarningRead, status_code=201, operation_id="warnings_issue")
def issue(body: WarningIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep) -> WarningRead:
    """Issue a public warning (colour, type, area, instructions); its CAP 1.2 is built and validated and the
    responsible officials of the warned divisions are called (over their contact channels)."""
    return _sent(
        service.issue, session, scope, settings, warning_in=body, organisation=settings.warning_organisation,
        call_config=_config(settings),
    )  # fmt: skip


@router.get("/warnings", response_model=Page[WarningRead], operation_id="warnings_list")
def list_warnings(
    req: ListRequestDep,
    status: Annotated[str | None, Query(pattern="^(active|cancelled)$")] = None,
    source: Annotated[str | None, Query(pattern="^(issued|imported)$")] = None,
) -> Page[WarningRead]:
    """Warnings issued in, or covering, the caller's jurisdiction (and those imported there), newest first."""
    return req.of(service.list_warnings, partial(warning_read, req.scope), status=status, source=source)


@router.get("/warnings/{warning_id}", response_model=WarningRead, operation_id="warnings_get")
def get_warning(warning_id: IdPath, session: SessionDep, scope: ScopeDep) -> WarningRead:
    """One warning."""
    return warning_read(scope, service.get(session=session, scope=scope, warning_id=warning_id))


@router.put("/warnings/{warning_id}", response_model=WarningRead, operation_id="warnings_update")
def update(
    warning_id: IdPath, body: WarningUpdate, session: SessionDep, scope: ScopeDep, settings: SettingsDep
) -> WarningRead:
    """Update a warning: a CAP Update message referencing the previous one."""
    return _sent(service.update, session, scope, settings, warning_id=warning_id, change=body)


@router.post("/warnings/{warning_id}/cancel", response_model=WarningRead, operation_id="warnings_cancel")
def cancel(
    warning_id: IdPath, body: CancelIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep
) -> WarningRead:
    """Cancel a warning: a CAP Cancel message referencing the previous one."""
    return _sent(service.cancel, session, scope, settings, warning_id=warning_id, reason=body.reason)


@router.get(
    "/warnings/{warning_id}/cap",
    operation_id="warnings_cap",
    response_class=Response,
    responses={200: {"content": {cap.CAP_MIME: {}}}},
)
def cap_xml(warning_id: IdPath, session: SessionDep, scope: ScopeDep) -> Response:
    """The warning's current CAP 1.2 message (valid against the OASIS schema)."""
    row = service.get(session=session, scope=scope, warning_id=warning_id)
    return Response(row.cap_xml.encode("utf-8"), media_type=cap.CAP_MIME)


@router.post("/warnings/{warning_id}/deliver", response_model=list[DeliveryRead], operation_id="warnings_deliver")
def deliver(
    warning_id: IdPath, body: DeliverIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep
) -> list[DeliveryRead]:
    """Deliver the warning's CAP to recipients (webhook URL, MQTT topic, e-mail address); one receipt each."""
    rows = service.deliver(session=session, scope=scope, warning_id=warning_id, body=body, config=_config(settings))
    return [DeliveryRead.model_validate(r) for r in rows]


@router.get("/warnings/{warning_id}/deliveries", response_model=list[DeliveryRead], operation_id="warnings_deliveries")
def deliveries(warning_id: IdPath, session: SessionDep, scope: ScopeDep) -> list[DeliveryRead]:
    """The delivery receipts of a warning."""
    return [
        DeliveryRead.model_validate(r) for r in service.deliveries(session=session, scope=scope, warning_id=warning_id)
    ]


def _call_read(session: SessionDep, row: WarningCall) -> CallRead:
    from yingji.warnings.models import WarningOfficial

    official = session.get(WarningOfficial, row.official_id)
    return CallRead(
        official_id=row.official_id,
        official_name=official.name if official else "",
        division_code=row.division_code,
        called_at=row.called_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        escalated_at=row.escalated_at,
    )


@router.get("/warnings/{warning_id}/calls", response_model=CallsRead, operation_id="warnings_calls")
def calls(warning_id: IdPath, session: SessionDep, scope: ScopeDep) -> CallsRead:
    """Call-and-acknowledge (叫应) status: who was called, who acknowledged, who was escalated, and per
    official each contact channel with the newest receipt over it."""
    board = calls_service.call_board(session=session, scope=scope, warning_id=warning_id)
    rows = [b["call"] for b in board]
    acknowledged = sum(r.acknowledged_at is not None for r in rows)
    escalated = sum(r.escalated_at is not None for r in rows)
    pending = sum(r.acknowledged_at is None and r.escalated_at is None for r in rows)
    calls = []
    for b in board:
        call = _call_read(session, b["call"])
        call.receipts = [
            ChannelReceipt(channel=channel, target=target, delivered=r.delivered if r else None,
                           at=r.at if r else None, detail=r.detail if r else "")
            for channel, target, r in b["receipts"]
        ]  # fmt: skip
        calls.append(call)
    return CallsRead(called=len(rows), acknowledged=acknowledged, pending=pending, escalated=escalated, calls=calls)


@router.post("/warnings/{warning_id}/calls/send", response_model=list[DeliveryRead], operation_id="warnings_calls_send")
def send_calls(warning_id: IdPath, session: SessionDep, scope: ScopeDep, settings: SettingsDep) -> list[DeliveryRead]:
    """Send the call over the contact channels of the called officials who have not acknowledged.

    Targets already reached for this warning are skipped; one receipt per target."""
    rows = service.call_officials(session=session, scope=scope, warning_id=warning_id, config=_config(settings))
    return [DeliveryRead.model_validate(r) for r in rows]


@router.post(
    "/warnings/{warning_id}/calls/{official_id}/acknowledge",
    response_model=CallRead,
    operation_id="warnings_call_acknowledge",
)
def acknowledge_call(warning_id: IdPath, official_id: IdPath, session: SessionDep, scope: ScopeDep) -> CallRead:
    """An official acknowledges the warning (应) — themselves, or recorded by an issuer of their division."""
    row = calls_service.acknowledge_call(
        session=session, scope=scope, warning_id=warning_id, official_id=official_id, now=_now()
    )
    return _call_read(session, row)
