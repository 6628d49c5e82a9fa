"""Ledger routes under ``/api/v1/disasters``: the dead, the missing and damaged houses of an event."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from yingji.api_common import IdPath, ScopeDep, SessionDep, SettingsDep
from yingji.config import Settings
from yingji.disasters.ledgers import service
from yingji.disasters.ledgers.crypto import LedgerCipher, LedgerKeyError
from yingji.disasters.ledgers.schemas import IdNumberRead, LedgerEntryIn, LedgerEntryRead, LedgerKind

router = APIRouter(prefix="/api/v1/disasters", tags=["disasters"])


def cipher_of(settings: Settings) -> LedgerCipher | LedgerKeyError:
    """The ledger cipher of the settings, or why there is none (reported only when a ledger needs it)."""
    key = settings.disaster_ledger_key.get_secret_value() if settings.disaster_ledger_key else None
    try:
        return LedgerCipher.from_settings(
            key, settings.secret_key.get_secret_value(), production=settings.env == "production"
        )
    except LedgerKeyError as exc:
        return exc


def _cipher(settings: SettingsDep) -> LedgerCipher | LedgerKeyError:
    return cipher_of(settings)


CipherDep = Annotated[LedgerCipher | LedgerKeyError, Depends(_cipher)]


@router.post(
    "/events/{event_id}/ledger",
    response_model=LedgerEntryRead,
    status_code=status.HTTP_201_CREATED,
    operation_id="disasters_ledger_add",
)
def add_entry(
    event_id: IdPath, body: LedgerEntryIn, session: SessionDep, scope: ScopeDep, cipher: CipherDep
) -> LedgerEntryRead:
    """Add a line to the event's ledgers (dead, missing, or a damaged house); the ID number is stored
    encrypted and returned masked."""
    entry = service.add_entry(session=session, scope=scope, cipher=cipher, event_id=event_id, entry_in=body)
    return LedgerEntryRead.model_validate(entry)


@router.get("/events/{event_id}/ledger", response_model=list[LedgerEntryRead], operation_id="disasters_ledger_list")
def list_entries(
    event_id: IdPath, session: SessionDep, scope: ScopeDep, kind: Annotated[LedgerKind | None, Query()] = None
) -> list[LedgerEntryRead]:
    """The event's ledger lines in the caller's subtree, ID numbers masked (the read is audited)."""
    rows = service.list_entries(session=session, scope=scope, event_id=event_id, kind=kind)
    return [LedgerEntryRead.model_validate(r) for r in rows]


@router.post("/ledger/{entry_id}/reveal", response_model=IdNumberRead, operation_id="disasters_ledger_reveal")
def reveal(entry_id: IdPath, session: SessionDep, scope: ScopeDep, cipher: CipherDep) -> IdNumberRead:
    """The full ID number of a ledger line (needs disasters:identity). A POST: every view writes an audit entry."""
    entry, number = service.reveal(session=session, scope=scope, cipher=cipher, entry_id=entry_id)
    return IdNumberRead(id=entry.id, id_number=number)
