"""What the ledger routes accept and return. ID numbers come back masked; the full number only through
the audited reveal."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LedgerKind = Literal["dead", "missing", "house"]
Damage = Literal["", "collapsed", "severe", "general"]


class LedgerEntryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    township_code: str = Field(pattern=r"^\d{12}$")
    kind: LedgerKind
    name: str = Field(min_length=1, max_length=100, description="The person's name, or the householder's.")
    id_number: str = Field(default="", max_length=18, description="Resident ID number (GB 11643), if known.")
    age: int | None = Field(default=None, ge=0, le=150)
    cause: str = Field(default="", max_length=200, description="Dead or missing: the cause (e.g. 山洪冲走).")
    place: str = Field(default="", max_length=300, description="Where it happened, or the house's address.")
    damage: Damage = Field(default="", description="House ledger: collapsed, severe or general damage.")
    rooms: int | None = Field(default=None, ge=0, le=10_000, description="House ledger: rooms damaged.")


class LedgerEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    township_code: str
    kind: str
    name: str
    id_number_masked: str
    age: int | None
    cause: str
    place: str
    damage: str
    rooms: int | None
    created_at: dt.datetime
    created_by: str


class IdNumberRead(BaseModel):
    id: int
    id_number: str
