"""Offline checklist routes: a device's batch of entries (sync), the checklist's state, a photo, verification."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response

from yingji.api_common import IdPath, ScopeDep, SessionDep, SettingsDep
from yingji.enforcement.checklists import service
from yingji.enforcement.checklists.schemas import (
    ChecklistRead,
    ChecklistVerify,
    DeviceRead,
    EntryRead,
    ItemRead,
    SyncIn,
    SyncRead,
    SyncResult,
)

router = APIRouter(prefix="/api/v1/enforcement", tags=["enforcement"])
BASE = "/inspections/{inspection_id}/checklist"
PROBLEMS: dict[int | str, dict[str, Any]] = {
    409: {"description": "conflicts (each with the version now stored) or a client id reused: nothing stored"},
    422: {"description": "an entry malformed, tampered (hash_mismatch) or out of chain (chain_broken): nothing stored"},
}


@router.post(f"{BASE}/sync", response_model=SyncResult, responses=PROBLEMS, operation_id="enforcement_checklist_sync")
def sync(
    inspection_id: IdPath, body: SyncIn, session: SessionDep, scope: ScopeDep, settings: SettingsDep
) -> SyncResult:
    """Take a device's batch of offline entries, all or nothing: entries already stored (same client id and hash)
    are skipped, the new ones must continue the device's hash chain, and an edit made on an old version is
    refused (409, `conflicts`) for a person to resolve. The sync is sealed by the server."""
    out = service.sync(session=session, scope=scope, inspection_id=inspection_id, sync_in=body,
                       secret=settings.secret_keys[0])  # fmt: skip
    return SyncResult(**out)


@router.get(BASE, response_model=ChecklistRead, operation_id="enforcement_checklist_get")
def get_checklist(inspection_id: IdPath, session: SessionDep, scope: ScopeDep) -> ChecklistRead:
    """The checklist: the determination standards' items for the enterprise with their current results (and the
    hash a next edit names as base), notes, findings, photos, each device's chain head, the sealed syncs."""
    out = service.checklist(session=session, scope=scope, inspection_id=inspection_id)
    return ChecklistRead(
        inspection_id=out["inspection_id"],
        enterprise_id=out["enterprise_id"],
        supervision_category=out["supervision_category"],
        sub_sector=out["sub_sector"],
        algorithm=out["algorithm"],
        items=[ItemRead(**i) for i in out["items"]],
        notes={k: EntryRead.model_validate(r) for k, r in out["notes"].items()},
        findings=[EntryRead.model_validate(r) for r in out["findings"]],
        photos=[EntryRead.model_validate(r) for r in out["photos"]],
        devices=[DeviceRead(**d) for d in out["devices"]],
        syncs=[SyncRead.model_validate(s) for s in out["syncs"]],
    )


@router.get(f"{BASE}/verify", response_model=ChecklistVerify, operation_id="enforcement_checklist_verify")
def verify(inspection_id: IdPath, session: SessionDep, scope: ScopeDep, settings: SettingsDep) -> ChecklistVerify:
    """Re-check every device's hash chain, every photo's digest and every seal."""
    out = service.verify(session=session, scope=scope, inspection_id=inspection_id, secrets=settings.secret_keys)
    return ChecklistVerify(**out)


@router.get(f"{BASE}/photos/{{client_id}}", response_class=Response,
            responses={200: {"content": {"image/jpeg": {}, "image/png": {}}, "description": "the photo as sent"}},
            operation_id="enforcement_checklist_photo")  # fmt: skip
def get_photo(
    inspection_id: IdPath,
    client_id: Annotated[str, Path(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")],
    session: SessionDep,
    scope: ScopeDep,
) -> Response:
    """A checklist photo as the device sent it (its SHA-256 is in the device's chain)."""
    row = service.photo(session=session, scope=scope, inspection_id=inspection_id, client_id=client_id)
    return Response(row.data, media_type=row.media_type, headers={"X-Content-SHA256": row.sha256,
                    "Content-Disposition": f'attachment; filename="{client_id}"'})  # fmt: skip
