"""Offline inspection checklists: take a device's batch of entries (all or nothing, idempotent by client id,
conflicts refused with both versions), seal each sync, read the checklist's state, verify the chains and seals.
The rules are ``yingji.enforcement.checklist`` (pure); services never commit."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.enforcement import checklist as rules
from yingji.enforcement.cases import service as cases_service
from yingji.enforcement.cases.models import Inspection
from yingji.enforcement.cases.schemas import FindingIn
from yingji.enforcement.checklists.models import ChecklistEntry, ChecklistPhoto, ChecklistSync
from yingji.enforcement.checklists.schemas import MAX_PHOTOS, EntryIn, SyncIn
from yingji.errors import Conflict, InvalidInput, NotFound
from yingji.hazards.enterprises import service as enterprise_service

READ, WRITE = cases_service.READ, cases_service.WRITE
MAX_PHOTO_BYTES = 5 * 1024 * 1024
SIGNATURES = {"image/jpeg": (b"\xff\xd8\xff",), "image/png": (b"\x89PNG\r\n\x1a\n",)}


def _entry(row: ChecklistEntry | EntryIn, device_id: str) -> rules.Entry:
    return rules.Entry(
        client_id=row.client_id, device_id=device_id, kind=row.kind, key=row.key, body=row.body,
        recorded_at=row.recorded_at, base=row.base, prev=row.prev, hash=row.hash,
    )  # fmt: skip


def item_ids_of(session: Session, scope: Scope, inspection: Inspection) -> tuple[list[Any], frozenset[str]]:
    enterprise = enterprise_service.get(session=session, scope=scope, enterprise_id=inspection.enterprise_id)
    items = rules.items_for(enterprise.supervision_category, enterprise.sub_sector)
    return items, frozenset(i.id for i in items)


def stored_entries(*, session: Session, inspection_id: int) -> list[ChecklistEntry]:
    """Every entry of the inspection in the order the server took them."""
    stmt = select(ChecklistEntry).where(ChecklistEntry.inspection_id == inspection_id).order_by(ChecklistEntry.id)
    return list(session.scalars(stmt))


def syncs_of(*, session: Session, inspection_id: int) -> list[ChecklistSync]:
    stmt = select(ChecklistSync).where(ChecklistSync.inspection_id == inspection_id).order_by(ChecklistSync.sequence)
    return list(session.scalars(stmt))


def _photo_bytes(entry: EntryIn) -> bytes:
    body = entry.body
    try:
        data = base64.b64decode(entry.photo_base64 or "", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("photo_base64: not base64", field="entries", client_id=entry.client_id) from None
    if len(data) > MAX_PHOTO_BYTES:
        raise InvalidInput("a photo is at most 5 MB", field="entries", client_id=entry.client_id)
    if len(data) != body["size"] or hashlib.sha256(data).hexdigest() != body["sha256"]:
        raise InvalidInput("the photo's bytes are not the size and SHA-256 in its entry", field="entries",
                           client_id=entry.client_id, reason="hash_mismatch")  # fmt: skip
    if not data.startswith(SIGNATURES[body["media_type"]]) or not _decodes(data):
        raise InvalidInput(f"the photo is not a {body['media_type']} image", field="entries", client_id=entry.client_id)
    return data


def _decodes(data: bytes) -> bool:
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except Exception:  # Pillow raises many kinds for a broken file
        return False
    return True


def _conflict_body(conflict: rules.Conflict, by_hash: dict[str, ChecklistEntry]) -> dict[str, Any]:
    row = by_hash.get(conflict.current or "")
    current = None
    if row is not None:
        current = {"hash": row.hash, "client_id": row.client_id, "device_id": row.device_id, "kind": row.kind,
                   "body": row.body, "recorded_at": row.recorded_at}  # fmt: skip
    return {"client_id": conflict.client_id, "key": conflict.key, "base": conflict.base, "current": current}


def sync(*, session: Session, scope: Scope, inspection_id: int, sync_in: SyncIn, secret: str) -> dict[str, Any]:
    """Take a device's batch: every new entry or none. Duplicates (same client id and hash) are skipped, so a
    replay answers as the first time did; an edit on an old version is a 409 listing each conflict with the
    version now stored; a malformed, tampered or unchained entry is a 422 naming it."""
    scope.require(WRITE)
    inspection = access.get_covered(session=session, scope=scope, model=Inspection, row_id=inspection_id,
                                    what="inspection", permission=READ, lock=True)  # fmt: skip
    scope.require_write(inspection.division_code, "inspection")
    _, item_ids = item_ids_of(session, scope, inspection)
    device = sync_in.device_id
    stored = stored_entries(session=session, inspection_id=inspection.id)
    mine = [r for r in stored if r.device_id == device]
    device_head = mine[-1].hash if mine else rules.genesis(inspection.id, device)
    heads = {r.key: r.hash for r in stored}
    try:
        merged = rules.merge(
            [_entry(e, device) for e in sync_in.entries], device_id=device, device_head=device_head, heads=heads,
            stored={r.client_id: r.hash for r in stored}, item_ids=item_ids,
        )  # fmt: skip
    except rules.ClientIdReused as exc:
        raise Conflict(str(exc), client_id=exc.client_id, reason=exc.reason) from None
    except rules.ChecklistError as exc:
        raise InvalidInput(str(exc), field="entries", client_id=exc.client_id, reason=exc.reason) from None
    if merged.conflicts:
        by_hash = {r.hash: r for r in stored}
        raise Conflict(
            f"{len(merged.conflicts)} edit(s) made on a version that is no longer current: nothing was stored; "
            "show both versions to the inspector, then send the chosen edit with base set to the current hash",
            conflicts=[_conflict_body(c, by_hash) for c in merged.conflicts],
        )
    new_ids = {e.client_id for e in merged.accepted}
    incoming = {e.client_id: e for e in sync_in.entries}
    photos: dict[str, bytes] = {}
    for one in sync_in.entries:
        if one.photo_base64 is not None and one.kind != "photo":
            raise InvalidInput("only a photo entry carries photo_base64", field="entries", client_id=one.client_id)
        if one.kind == "photo" and one.client_id in new_ids:
            if one.photo_base64 is None:
                raise InvalidInput("a new photo entry carries its bytes (photo_base64)", field="entries",
                                   client_id=one.client_id)  # fmt: skip
            photos[one.client_id] = _photo_bytes(one)
    if len(photos) > MAX_PHOTOS:
        raise InvalidInput(f"at most {MAX_PHOTOS} photos per batch: send the rest in the next", field="entries")
    count = len(mine) + len(merged.accepted)
    if not merged.accepted:
        last = next((s for s in reversed(syncs_of(session=session, inspection_id=inspection.id))
                     if s.device_id == device), None)  # fmt: skip
        return {"inspection_id": inspection.id, "device_id": device, "accepted": [],
                "duplicates": merged.duplicates, "head": merged.head, "entries": count,
                "sync_id": last.id if last else None, "seal": last.seal if last else None}  # fmt: skip
    previous = session.scalar(
        select(ChecklistSync).where(ChecklistSync.inspection_id == inspection.id)
        .order_by(ChecklistSync.sequence.desc()).limit(1)
    )  # fmt: skip
    sequence = previous.sequence + 1 if previous else 1
    prev_seal = previous.seal if previous else ""
    moment = utcnow()
    sealed = rules.seal(rules.seal_key(secret), inspection_id=inspection.id, sequence=sequence, device_id=device,
                        head=merged.head, entries=count, prev_seal=prev_seal)  # fmt: skip
    batch = ChecklistSync(
        inspection_id=inspection.id, division_code=inspection.division_code, sequence=sequence, device_id=device,
        accepted=len(merged.accepted), entries=count, head=merged.head, prev_seal=prev_seal, seal=sealed,
        actor=scope.actor, synced_at=moment,
    )  # fmt: skip
    session.add(batch)
    session.flush()
    for position, entry in enumerate(merged.accepted, len(mine) + 1):
        sent = incoming[entry.client_id]
        finding_id = None
        if entry.kind == "finding":
            finding = cases_service.add_finding(
                session=session, scope=scope, inspection_id=inspection.id,
                finding_in=FindingIn(text=str(entry.body["text"]), violation=bool(entry.body.get("violation", False)),
                                     hazard_title=entry.body.get("hazard_title") or None),
            )  # fmt: skip
            session.flush()
            finding_id = finding.id
        row = ChecklistEntry(
            inspection_id=inspection.id, sync_id=batch.id, device_id=device, position=position,
            client_id=entry.client_id, kind=entry.kind, key=entry.key, body=dict(sent.body),
            recorded_at=entry.recorded_at, base=entry.base, prev=entry.prev, hash=entry.hash, finding_id=finding_id,
            received_at=moment,
        )  # fmt: skip
        session.add(row)
        if entry.client_id in photos:
            session.flush()
            data = photos[entry.client_id]
            session.add(ChecklistPhoto(entry_id=row.id, sha256=entry.body["sha256"],
                                       media_type=entry.body["media_type"], size=len(data), data=data))  # fmt: skip
    session.flush()
    audit.acted(session, scope, inspection, entity="inspection", action="checklist_sync",
                after={"sync_id": batch.id, "sequence": sequence, "device_id": device,
                       "accepted": len(merged.accepted), "head": merged.head, "seal": sealed})  # fmt: skip
    return {"inspection_id": inspection.id, "device_id": device, "accepted": [e.client_id for e in merged.accepted],
            "duplicates": merged.duplicates, "head": merged.head, "entries": count, "sync_id": batch.id,
            "seal": sealed}  # fmt: skip


def checklist(*, session: Session, scope: Scope, inspection_id: int) -> dict[str, Any]:
    """The inspection's checklist: the items with their current result (and the hash a next edit names as its
    base), the notes, findings and photos, each device's head, and the syncs with their seals."""
    inspection = cases_service.get_inspection(session=session, scope=scope, inspection_id=inspection_id)
    enterprise = enterprise_service.get(session=session, scope=scope, enterprise_id=inspection.enterprise_id)
    items, _ = item_ids_of(session, scope, inspection)
    stored = stored_entries(session=session, inspection_id=inspection.id)
    latest = {r.key: r for r in stored}
    out_items = []
    for item in items:
        row = latest.get(item.id)
        out_items.append({
            "id": item.id, "standard": item.standard, "article": item.article, "text": item.text, "status": item.status,
            "result": row.body.get("result") if row else None, "note": (row.body.get("note") or "") if row else "",
            "head": row.hash if row else None, "device_id": row.device_id if row else None,
            "recorded_at": row.recorded_at if row else None,
        })  # fmt: skip
    devices: dict[str, dict[str, Any]] = {}
    for row in stored:
        devices[row.device_id] = {"device_id": row.device_id, "entries": row.position, "head": row.hash}
    return {
        "inspection_id": inspection.id, "enterprise_id": enterprise.id, "enterprise_name": enterprise.name,
        "supervision_category": enterprise.supervision_category, "sub_sector": enterprise.sub_sector,
        "algorithm": rules.ALGORITHM, "items": out_items,
        "notes": {k: r for k, r in latest.items() if r.kind == "note"},
        "findings": [r for r in stored if r.kind == "finding"], "photos": [r for r in stored if r.kind == "photo"],
        "devices": sorted(devices.values(), key=lambda d: d["device_id"]),
        "syncs": syncs_of(session=session, inspection_id=inspection.id),
    }  # fmt: skip


def photo(*, session: Session, scope: Scope, inspection_id: int, client_id: str) -> ChecklistPhoto:
    inspection = cases_service.get_inspection(session=session, scope=scope, inspection_id=inspection_id)
    row = session.scalar(
        select(ChecklistPhoto).join(ChecklistEntry, ChecklistEntry.id == ChecklistPhoto.entry_id)
        .where(ChecklistEntry.inspection_id == inspection.id, ChecklistEntry.client_id == client_id)
    )  # fmt: skip
    if row is None:
        raise NotFound("photo not found")
    return row


def verify(*, session: Session, scope: Scope, inspection_id: int, secrets: Sequence[str]) -> dict[str, Any]:
    """Re-check every device's chain, every photo's digest, and every seal (with each key of the ring) in the
    order of the inspection's syncs."""
    inspection = cases_service.get_inspection(session=session, scope=scope, inspection_id=inspection_id)
    stored = stored_entries(session=session, inspection_id=inspection.id)
    problems: list[str] = []
    by_device: dict[str, list[ChecklistEntry]] = {}
    for row in sorted(stored, key=lambda r: (r.device_id, r.position)):
        by_device.setdefault(row.device_id, []).append(row)
    for device, rows in by_device.items():
        problems += rules.verify_chain([_entry(r, device) for r in rows], rules.genesis(inspection.id, device))
    photos = session.execute(
        select(ChecklistEntry.client_id, ChecklistEntry.body, ChecklistPhoto.data)
        .join(ChecklistPhoto, ChecklistPhoto.entry_id == ChecklistEntry.id)
        .where(ChecklistEntry.inspection_id == inspection.id)
    ).all()  # fmt: skip
    for client_id, body, data in photos:
        if hashlib.sha256(data).hexdigest() != body.get("sha256"):
            problems.append(f"photo {client_id}: its bytes are not the SHA-256 in its entry")
    if {r.client_id for r in stored if r.kind == "photo"} - {p[0] for p in photos}:
        problems.append("a photo entry has no stored photo")
    keys = [rules.seal_key(s) for s in secrets]
    syncs = syncs_of(session=session, inspection_id=inspection.id)
    prev_seal = ""
    heads: dict[str, tuple[int, str]] = {}
    for n, batch in enumerate(syncs, 1):
        rows = by_device.get(batch.device_id, [])
        at = rows[batch.entries - 1].hash if 0 < batch.entries <= len(rows) else ""
        if batch.sequence != n or batch.prev_seal != prev_seal:
            problems.append(f"sync {batch.sequence}: not chained to the sync before it")
        if at != batch.head:
            problems.append(f"sync {batch.sequence}: the device's chain no longer has this head")
        fields: dict[str, Any] = {
            "inspection_id": inspection.id, "sequence": batch.sequence, "device_id": batch.device_id,
            "head": batch.head, "entries": batch.entries, "prev_seal": batch.prev_seal,
        }  # fmt: skip
        expected = [rules.seal(k, **fields) for k in keys]
        if batch.seal not in expected:
            problems.append(f"sync {batch.sequence}: the seal is not the server's")
        prev_seal = batch.seal
        heads[batch.device_id] = (batch.entries, batch.head)
    for device, rows in by_device.items():
        if heads.get(device, (0, ""))[0] != len(rows):
            problems.append(f"device {device}: entries outside any sealed sync")
    count = session.scalar(select(func.count()).select_from(ChecklistEntry)
                           .where(ChecklistEntry.inspection_id == inspection.id))  # fmt: skip
    return {"verified": not problems, "entries": int(count or 0), "syncs": len(syncs), "problems": problems}
