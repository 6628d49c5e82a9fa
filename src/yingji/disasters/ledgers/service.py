"""The ledgers of an event: entries written by the township's reporters, read masked by anyone who reads
the event's reports, the full ID number only with ``disasters:identity`` and every such view audited."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.disasters import service as disaster_service
from yingji.disasters.ledgers.crypto import LedgerCipher, LedgerKeyError, id_number_problem, mask
from yingji.disasters.ledgers.schemas import LedgerEntryIn
from yingji.disasters.models import DisasterLedgerEntry
from yingji.errors import InvalidInput, NotFound, ServiceUnavailable
from yingji.geo import service as geo_service
from yingji.geo.codes import prefix

IDENTITY = "disasters:identity"


def _audited(session: Session, scope: Scope, entry: DisasterLedgerEntry, action: str) -> None:
    """Audit an action on an entry, keeping only what may be kept: never the ID number, not even encrypted."""
    public = {
        "event_id": entry.event_id,
        "township_code": entry.township_code,
        "kind": entry.kind,
        "id_number_masked": entry.id_number_masked,
    }
    audit.acted(
        session, scope, entry, entity="disaster_ledger_entry", action=action, after=public,
        division_code=entry.township_code,
    )  # fmt: skip


def add_entry(
    *, session: Session, scope: Scope, cipher: LedgerCipher | LedgerKeyError, event_id: int, entry_in: LedgerEntryIn
) -> DisasterLedgerEntry:
    """A ledger line for a township of the event's area in the caller's subtree."""
    scope.require(disaster_service.REPORT)
    event = disaster_service.get_event(session=session, scope=scope, event_id=event_id)
    township = geo_service.get(session=session, scope=scope, code=entry_in.township_code)
    scope.require_write(township.code, "township")
    if township.level != "township":
        raise InvalidInput(f"division {township.code} is not a township", field="township_code")
    area = geo_service.get(session=session, scope=scope, code=event.division_code)
    if not township.code.startswith(prefix(area.code, area.level)):
        raise InvalidInput(f"township {township.code} is outside the event's area", field="township_code")
    if entry_in.kind == "house" and not entry_in.damage:
        raise InvalidInput("a house ledger line needs its damage (collapsed, severe or general)", field="damage")
    if entry_in.kind != "house" and (entry_in.damage or entry_in.rooms is not None):
        raise InvalidInput("damage and rooms belong to the house ledger", field="damage")
    number = entry_in.id_number.strip().upper()
    if number and (problem := id_number_problem(number)):
        raise InvalidInput(problem, field="id_number")
    if isinstance(cipher, LedgerKeyError):
        raise ServiceUnavailable(str(cipher))
    entry = DisasterLedgerEntry(
        event_id=event.id,
        township_code=township.code,
        kind=entry_in.kind,
        name=entry_in.name.strip(),
        id_number_enc=cipher.encrypt(number),
        id_number_masked=mask(number),
        age=entry_in.age,
        cause=entry_in.cause,
        place=entry_in.place,
        damage=entry_in.damage,
        rooms=entry_in.rooms,
        created_by=scope.actor,
    )
    session.add(entry)
    session.flush()
    _audited(session, scope, entry, "create")
    return entry


def list_entries(
    *, session: Session, scope: Scope, event_id: int, kind: str | None = None
) -> list[DisasterLedgerEntry]:
    """The event's ledger lines in the caller's subtree (ID numbers masked). A read of personal data: audited
    with the count returned."""
    event = disaster_service.get_event(session=session, scope=scope, event_id=event_id)
    stmt = select(DisasterLedgerEntry).where(
        DisasterLedgerEntry.event_id == event.id, scope.where_covered(DisasterLedgerEntry.township_code)
    )
    if kind:
        stmt = stmt.where(DisasterLedgerEntry.kind == kind)
    rows = list(session.scalars(stmt.order_by(DisasterLedgerEntry.id)))
    audit.record(
        session=session, scope=scope, action="read", entity="disaster_ledger", entity_id=event.id,
        division_code=scope.division_code, after={"kind": kind or "all", "rows": len(rows)},
    )  # fmt: skip
    return rows


def ledger_counts(*, session: Session, scope: Scope, event_id: int) -> dict[str, dict[str, int]]:
    """Per township in the caller's subtree: how many dead and missing the ledgers name (for plausibility)."""
    stmt = (
        select(DisasterLedgerEntry.township_code, DisasterLedgerEntry.kind, func.count())
        .where(
            DisasterLedgerEntry.event_id == event_id,
            DisasterLedgerEntry.kind.in_(("dead", "missing")),
            scope.where_covered(DisasterLedgerEntry.township_code),
        )
        .group_by(DisasterLedgerEntry.township_code, DisasterLedgerEntry.kind)
    )
    out: dict[str, dict[str, int]] = {}
    for township, kind, count in session.execute(stmt):
        out.setdefault(township, {})["deaths" if kind == "dead" else "missing"] = int(count)
    return out


def reveal(
    *, session: Session, scope: Scope, cipher: LedgerCipher | LedgerKeyError, entry_id: int
) -> tuple[DisasterLedgerEntry, str]:
    """The full ID number of a ledger line: needs ``disasters:identity``; every view is an audit entry."""
    scope.require(disaster_service.READ)
    entry = session.get(DisasterLedgerEntry, entry_id)
    if entry is None or not scope.covers(entry.township_code):
        raise NotFound("ledger entry not found")
    scope.require(IDENTITY)
    if isinstance(cipher, LedgerKeyError):
        raise ServiceUnavailable(str(cipher))
    try:
        number = cipher.decrypt(entry.id_number_enc)
    except LedgerKeyError as exc:
        raise ServiceUnavailable(str(exc)) from None
    _audited(session, scope, entry, "reveal_id_number")
    return entry, number
