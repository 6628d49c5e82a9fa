"""What the offline checklist API accepts and returns."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

MAX_ENTRIES = 500  # entries per batch
MAX_PHOTOS = 5  # photos with their bytes per batch (a device sends more in later batches)


class EntryIn(BaseModel):
    """An entry as the device made it; ``hash`` is SHA-256 over the canonical JSON of the other fields
    (see docs/enforcement.md). A photo entry carries its bytes in ``photo_base64`` (not hashed: ``body.sha256``
    is)."""

    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    kind: Literal["check", "note", "finding", "photo"]
    key: str = Field(min_length=1, max_length=80)
    body: dict[str, Any] = Field(max_length=8, description="by kind: see docs/enforcement.md")
    recorded_at: str = Field(max_length=40, description="the device's time (ISO 8601 with offset), hashed as sent")
    base: str | None = Field(None, pattern=r"^[0-9a-f]{64}$", description="the key's version the edit was made on")
    prev: str = Field(pattern=r"^[0-9a-f]{64}$", description="the hash of the device's previous entry (or genesis)")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    photo_base64: str | None = Field(None, max_length=7_000_000)

    @field_validator("recorded_at")
    @classmethod
    def _a_time(cls, value: str) -> str:
        try:
            moment = dt.datetime.fromisoformat(value)
        except ValueError:
            raise ValueError("an ISO 8601 date and time") from None
        if moment.tzinfo is None:
            raise ValueError("an ISO 8601 date and time with its offset")
        return value


class SyncIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    device_id: str = Field(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    entries: list[EntryIn] = Field(max_length=MAX_ENTRIES)


class SyncResult(BaseModel):
    inspection_id: int
    device_id: str
    accepted: list[str]
    duplicates: list[str]
    head: str = Field(description="the device's chain head on the server after this batch")
    entries: int = Field(description="the device's entries stored for this inspection")
    sync_id: int | None = Field(description="null when nothing new was stored (a replay)")
    seal: str | None


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    client_id: str
    device_id: str
    position: int
    kind: str
    key: str
    body: dict[str, Any]
    recorded_at: str
    base: str | None
    prev: str
    hash: str
    finding_id: int | None
    sync_id: int
    received_at: dt.datetime


class ItemRead(BaseModel):
    id: str
    standard: str
    article: str
    text: str
    status: str
    result: str | None = None
    note: str = ""
    head: str | None = Field(None, description="the hash of the current version: the base of the next edit")
    device_id: str | None = None
    recorded_at: str | None = None


class DeviceRead(BaseModel):
    device_id: str
    entries: int
    head: str


class SyncRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    sequence: int
    device_id: str
    accepted: int
    entries: int
    head: str
    prev_seal: str
    seal: str
    actor: str
    synced_at: dt.datetime


class ChecklistRead(BaseModel):
    inspection_id: int
    enterprise_id: int
    supervision_category: str
    sub_sector: str
    algorithm: str
    items: list[ItemRead]
    notes: dict[str, EntryRead]
    findings: list[EntryRead]
    photos: list[EntryRead]
    devices: list[DeviceRead]
    syncs: list[SyncRead]


class ChecklistVerify(BaseModel):
    verified: bool
    entries: int
    syncs: int
    problems: list[str]
