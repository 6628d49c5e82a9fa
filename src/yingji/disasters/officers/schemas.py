"""What the information-officer routes accept and return."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class OfficerIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    township_code: str = Field(pattern=r"^\d{12}$")
    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(
        max_length=32, pattern=r"^\+?[0-9][0-9 -]{4,30}$", description="A phone number (digits, spaces, dashes)."
    )
    rank: int = Field(default=1, ge=1, le=9, description="1 = the officer, 2… the backups, in calling order.")


class OfficerRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    township_code: str
    name: str
    phone: str
    rank: int
    active: bool
    created_at: dt.datetime


class EscalationRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    event_id: int
    township_code: str
    report_type: str
    due_at: dt.datetime
    flagged_at: dt.datetime
    notified: list[dict[str, Any]]
