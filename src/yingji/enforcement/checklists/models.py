"""Tables of offline inspection checklists: each sync (sealed), each entry as the device made it (hash-chained
per device), and the photos (evidence, stored as sent)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, IdKey, JSONType, UTCDateTime, utcnow


class ChecklistSync(IdKey, Base):
    """One sync of a device's offline checklist entries, sealed by the server (``enforcement.checklist.seal``);
    the seals of an inspection chain through ``prev_seal``."""

    __tablename__ = "checklist_syncs"
    __table_args__ = (UniqueConstraint("inspection_id", "sequence"),)

    inspection_id: Mapped[int] = mapped_column(ForeignKey("enforcement_inspections.id"), index=True)
    division_code: Mapped[str] = mapped_column(String(12), index=True)
    sequence: Mapped[int] = mapped_column(Integer)  # 1, 2, … within the inspection
    device_id: Mapped[str] = mapped_column(String(64))
    accepted: Mapped[int] = mapped_column(Integer)  # entries stored by this sync
    entries: Mapped[int] = mapped_column(Integer)  # the device's entries stored after it
    head: Mapped[str] = mapped_column(String(64))  # the device's chain head after it
    prev_seal: Mapped[str] = mapped_column(String(64), default="")
    seal: Mapped[str] = mapped_column(String(64))
    actor: Mapped[str] = mapped_column(String(100))
    synced_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChecklistEntry(IdKey, Base):
    """An entry of an offline checklist as the device made it (fields hashed exactly as sent); append-only."""

    __tablename__ = "checklist_entries"
    __table_args__ = (
        UniqueConstraint("client_id", "inspection_id"),
        UniqueConstraint("device_id", "inspection_id", "position"),
    )

    inspection_id: Mapped[int] = mapped_column(ForeignKey("enforcement_inspections.id"), index=True)
    sync_id: Mapped[int] = mapped_column(ForeignKey("checklist_syncs.id"), index=True)
    device_id: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer)  # 1, 2, … in the device's chain
    client_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    key: Mapped[str] = mapped_column(String(80))
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)
    recorded_at: Mapped[str] = mapped_column(String(40))  # the device's time, as hashed
    base: Mapped[str | None] = mapped_column(String(64))
    prev: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    finding_id: Mapped[int | None] = mapped_column(ForeignKey("enforcement_findings.id"))  # a finding entry's row
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class ChecklistPhoto(IdKey, Base):
    """A photo of an offline checklist, stored as sent (evidence: its SHA-256 is in the device's chain)."""

    __tablename__ = "checklist_photos"

    entry_id: Mapped[int] = mapped_column(ForeignKey("checklist_entries.id"), unique=True)
    sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
