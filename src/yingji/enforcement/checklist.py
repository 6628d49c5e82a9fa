"""Offline inspection checklists: the hash chain of entries and the merge rules of a sync, pure.

An inspector's tablet or phone works without network at the enterprise. Every thing it records — the result of a
check item, a note, a finding, a photo's digest — is an *entry* with a client-generated id, queued on the device
and sent later in a batch (``POST …/inspections/{id}/checklist/sync``).

**Chain.** Each device keeps one chain per inspection: an entry names the hash of the device's previous entry
(``prev``; the first names :func:`genesis`), and its own ``hash`` is SHA-256 over the canonical JSON of its
fields (:func:`entry_hash`), so changing, removing or reordering an entry breaks every later link. A photo's
entry carries the SHA-256 of its bytes, so the photo is in the chain too. At each sync the server *seals* the
device's new head: HMAC-SHA-256 with a key derived from the server's secret over the inspection, the device, its
head, the number of entries and the previous seal of the inspection (:func:`seal`), so a sync removed or
altered afterwards is seen as well.

**Versions and conflicts.** A ``check`` or ``note`` entry edits one *key* (the check item's id, or the note's
key) and names the version it was made on (``base``: the hash of the key's head the device last saw, or null for
the first). The server applies it only when ``base`` is the key's current head; otherwise two people edited the
same thing apart, and the sync is refused with both versions (a conflict is shown to a person, never resolved
by overwriting). ``finding`` and ``photo`` entries only add (their key is their own client id): they never
conflict, so no evidence is lost.

**Idempotent.** An entry already stored with the same hash is a duplicate and is skipped, so a device may send
its whole queue again; the same client id with another hash is refused.

Numbers in, numbers out: no database, no web (see ``cases/service.py`` for the storage).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from yingji.hazards import determination

ALGORITHM = "sha256-checklist-v1"
KINDS = ("check", "note", "finding", "photo")
RESULTS = ("ok", "violation", "not_applicable")  # 符合 / 不符合 (a violation of the item) / 不适用
EDITABLE = ("check", "note")  # kinds that edit a key and may conflict
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")  # e.g. a UUID
DEVICE_ID = CLIENT_ID
NOTE_KEY = re.compile(r"^[a-z0-9_.:-]{1,64}$")
HASH = re.compile(r"^[0-9a-f]{64}$")
MEDIA_TYPES = ("image/jpeg", "image/png")


class ChecklistError(ValueError):
    """A batch that cannot be taken as it is; ``client_id`` names the entry."""

    reason = "invalid"

    def __init__(self, message: str, client_id: str = "") -> None:
        super().__init__(message)
        self.client_id = client_id


class InvalidEntry(ChecklistError):
    reason = "invalid"


class Tampered(ChecklistError):
    """The entry's hash is not the hash of its fields."""

    reason = "hash_mismatch"


class ChainBroken(ChecklistError):
    """The entry's ``prev`` is not the device's head before it."""

    reason = "chain_broken"


class ClientIdReused(ChecklistError):
    """A client id already stored with another hash."""

    reason = "client_id_reused"


@dataclass(frozen=True)
class Entry:
    client_id: str
    device_id: str
    kind: str
    key: str
    body: Mapping[str, Any]
    recorded_at: str  # the device's time, as the device wrote it (hashed as text)
    base: str | None
    prev: str
    hash: str


@dataclass(frozen=True)
class Conflict:
    client_id: str
    key: str
    base: str | None
    current: str | None  # the key's head on the server


@dataclass
class Merge:
    accepted: list[Entry] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    head: str = ""  # the device's head after the batch
    heads: dict[str, str] = field(default_factory=dict)  # every key's head after the batch


def canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def genesis(inspection_id: int, device_id: str) -> str:
    """The ``prev`` of a device's first entry for an inspection."""
    return hashlib.sha256(f"{ALGORITHM}\ninspection:{inspection_id}\ndevice:{device_id}".encode()).hexdigest()


def entry_hash(entry: Entry) -> str:
    """SHA-256 over the canonical JSON (sorted keys, UTF-8, no spaces) of the entry's fields but its hash."""
    return hashlib.sha256(
        canonical(
            {
                "algorithm": ALGORITHM,
                "client_id": entry.client_id,
                "device_id": entry.device_id,
                "kind": entry.kind,
                "key": entry.key,
                "body": dict(entry.body),
                "recorded_at": entry.recorded_at,
                "base": entry.base,
                "prev": entry.prev,
            }
        )
    ).hexdigest()


def key_of(kind: str, client_id: str, key: str) -> str:
    """The key an entry edits: its own for ``check``/``note``; findings and photos add, under their client id."""
    return key if kind in EDITABLE else f"{kind}:{client_id}"


def check(entry: Entry, item_ids: frozenset[str]) -> None:
    """The entry's shape by kind; ``item_ids`` are the check items of the inspection's enterprise."""
    cid = entry.client_id
    if not CLIENT_ID.match(cid):
        raise InvalidEntry("client_id: 8 to 64 letters, digits, '-' or '_'", cid)
    if entry.kind not in KINDS:
        raise InvalidEntry(f"kind: one of {', '.join(KINDS)}", cid)
    if entry.base is not None and not HASH.match(entry.base):
        raise InvalidEntry("base: a SHA-256 hex digest or null", cid)
    if entry.kind not in EDITABLE and entry.base is not None:
        raise InvalidEntry(f"a {entry.kind} entry only adds: base must be null", cid)
    if entry.key != key_of(entry.kind, cid, entry.key):
        raise InvalidEntry(f"a {entry.kind} entry's key is '{entry.kind}:<client_id>'", cid)
    body = entry.body
    allowed: dict[str, set[str]] = {
        "check": {"result", "note"},
        "note": {"text"},
        "finding": {"text", "violation", "hazard_title", "item"},
        "photo": {"sha256", "media_type", "size", "about"},
    }
    extra = set(body) - allowed[entry.kind]
    if extra:
        raise InvalidEntry(f"body: unknown field(s) {', '.join(sorted(extra))} for a {entry.kind} entry", cid)
    if entry.kind == "check":
        if entry.key not in item_ids:
            raise InvalidEntry(f"key: {entry.key!r} is not a check item of this enterprise's checklist", cid)
        if body.get("result") not in RESULTS:
            raise InvalidEntry(f"body.result: one of {', '.join(RESULTS)}", cid)
        _text(body, "note", 2000, cid, required=False)
    elif entry.kind == "note":
        if not NOTE_KEY.match(entry.key):
            raise InvalidEntry("key: 1 to 64 of a-z, 0-9, '_', '.', ':', '-'", cid)
        _text(body, "text", 5000, cid, required=False)
    elif entry.kind == "finding":
        _text(body, "text", 5000, cid, required=True)
        if not isinstance(body.get("violation", False), bool):
            raise InvalidEntry("body.violation: true or false", cid)
        _text(body, "hazard_title", 200, cid, required=False)
        if body.get("item") is not None and body["item"] not in item_ids:
            raise InvalidEntry("body.item: a check item of this enterprise's checklist", cid)
    else:
        if not isinstance(body.get("sha256"), str) or not HASH.match(body["sha256"]):
            raise InvalidEntry("body.sha256: the SHA-256 hex digest of the photo", cid)
        if body.get("media_type") not in MEDIA_TYPES:
            raise InvalidEntry(f"body.media_type: one of {', '.join(MEDIA_TYPES)}", cid)
        if not isinstance(body.get("size"), int) or isinstance(body["size"], bool) or body["size"] < 1:
            raise InvalidEntry("body.size: the photo's size in bytes", cid)
        about = body.get("about")
        if about is not None and (not isinstance(about, str) or len(about) > 80):
            raise InvalidEntry("body.about: the key or client id the photo documents", cid)


def _text(body: Mapping[str, Any], name: str, limit: int, cid: str, *, required: bool) -> None:
    value = body.get(name)
    if value is None and not required:
        return
    if not isinstance(value, str) or (required and not value.strip()) or len(value) > limit:
        raise InvalidEntry(f"body.{name}: text of {'1' if required else '0'} to {limit} characters", cid)


def merge(
    batch: Sequence[Entry],
    *,
    device_id: str,
    device_head: str,
    heads: Mapping[str, str],
    stored: Mapping[str, str],
    item_ids: frozenset[str] = frozenset(),
) -> Merge:
    """Take a device's batch against the stored state: ``device_head`` (its chain's head, or :func:`genesis`),
    ``heads`` (each key's head hash), ``stored`` (client id → hash of every stored entry of the inspection).

    Raises :class:`ChecklistError` for an entry that is malformed, tampered, out of chain or reuses a client id;
    returns the entries to store, the duplicates skipped and the conflicts found (a batch with conflicts must not
    be stored: the caller refuses it whole)."""
    out = Merge(head=device_head, heads=dict(heads))
    seen = dict(stored)
    for entry in batch:
        if entry.device_id != device_id:
            raise InvalidEntry("every entry of a batch is of the batch's device", entry.client_id)
        known = seen.get(entry.client_id)
        if known is not None and known == entry.hash and entry.client_id in stored and entry_hash(entry) == known:
            out.duplicates.append(entry.client_id)  # stored as it is (even if the checklist has changed since)
            continue
        check(entry, item_ids)
        if entry_hash(entry) != entry.hash:
            raise Tampered("the entry's hash is not the SHA-256 of its fields", entry.client_id)
        if known is not None:
            if known != entry.hash:
                raise ClientIdReused("this client id is stored with another content", entry.client_id)
            if entry.client_id in stored:
                out.duplicates.append(entry.client_id)
                continue
            raise ClientIdReused("this client id comes twice in the batch", entry.client_id)
        if entry.prev != out.head:
            raise ChainBroken(f"prev is not the device's head ({out.head})", entry.client_id)
        if entry.kind in EDITABLE:
            current = out.heads.get(entry.key)
            if entry.base != current:
                out.conflicts.append(Conflict(entry.client_id, entry.key, entry.base, current))
        elif entry.key in out.heads:
            raise ClientIdReused("this entry's key is taken", entry.client_id)
        out.heads[entry.key] = entry.hash
        out.head = entry.hash
        seen[entry.client_id] = entry.hash
        out.accepted.append(entry)
    return out


def verify_chain(entries: Sequence[Entry], start: str) -> list[str]:
    """Problems of one device's stored chain (in order), empty when every hash and link holds."""
    problems = []
    head = start
    for n, entry in enumerate(entries, 1):
        if entry_hash(entry) != entry.hash:
            problems.append(f"device {entry.device_id} entry {n} ({entry.client_id}): hash does not match its fields")
        if entry.prev != head:
            problems.append(f"device {entry.device_id} entry {n} ({entry.client_id}): prev is not the entry before")
        head = entry.hash
    return problems


def seal_key(secret: str) -> bytes:
    """The sealing key, derived from the server's secret for this use only."""
    return hmac.new(secret.encode("utf-8"), b"yingji enforcement checklist seal", hashlib.sha256).digest()


def seal(
    key: bytes, *, inspection_id: int, sequence: int, device_id: str, head: str, entries: int, prev_seal: str
) -> str:
    """The server's seal of a sync: HMAC-SHA-256 over the inspection, the sync's sequence, the device, its head,
    the count of its entries stored so far and the inspection's previous seal ("" for the first)."""
    text = f"{ALGORITHM}\n{inspection_id}\n{sequence}\n{device_id}\n{head}\n{entries}\n{prev_seal}"
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def current(entries: Sequence[Entry]) -> dict[str, Entry]:
    """Each key's current version: its latest stored entry (stored entries are in acceptance order, and each edit
    was made on the head before it)."""
    out: dict[str, Entry] = {}
    for entry in entries:
        out[entry.key] = entry
    return out


def items_for(category: str, sub_sector: str = "") -> list[determination.Item]:
    """The check items of an enterprise: the determination standards' items for its supervision category (and
    工贸 sub-sector), in standard and article order."""
    return determination.applicable(category, sub_sector)
