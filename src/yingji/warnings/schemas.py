"""Request and response bodies of the warnings API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import Field

from yingji.schemas_common import RowId, Schema

DivisionCode = Annotated[str, Field(pattern=r"^\d{6}(\d{3}){0,2}$")]
Colour = Literal["blue", "yellow", "orange", "red"]


class AreaIn(Schema):
    """At least one of: polygons ``"lat,lon lat,lon …"`` (closed automatically), circles ``"lat,lon
    radius_km"``, division codes."""

    description: str = Field(default="", max_length=500)
    polygons: list[Annotated[str, Field(max_length=20_000)]] = Field(default_factory=list, max_length=20)
    circles: list[Annotated[str, Field(max_length=100)]] = Field(default_factory=list, max_length=20)
    divisions: list[DivisionCode] = Field(default_factory=list, max_length=100)


class WarningIn(Schema):
    colour: Colour
    type: str = Field(min_length=1, max_length=40)
    headline: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=5000)
    instruction: str = Field(default="", max_length=5000)
    area: AreaIn
    expires_hours: float | None = Field(default=24.0, gt=0, le=720)
    division_code: DivisionCode | None = None  # the issuing division (default: the caller's)


class WarningUpdate(Schema):
    colour: Colour | None = None
    headline: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=5000)
    instruction: str | None = Field(default=None, max_length=5000)
    area: AreaIn | None = None
    expires_hours: float | None = Field(default=None, gt=0, le=720)


class CancelIn(Schema):
    reason: str = Field(default="", max_length=1000)


class WarningRead(Schema):
    id: int
    identifier: str
    sender: str
    division_code: str
    source: str
    colour: str | None
    type: str | None
    headline: str
    description: str
    instruction: str
    area: dict[str, Any]
    status: str
    msg_type: str
    version: int
    references: list[str]
    sent_at: dt.datetime
    expires_at: dt.datetime | None
    divisions: list[str]


class Recipient(Schema):
    channel: Literal["webhook", "mqtt", "smtp", "sms"]
    to: str = Field(min_length=1, max_length=300)


class DeliverIn(Schema):
    recipients: list[Recipient] = Field(min_length=1, max_length=50)


class DeliveryRead(Schema):
    id: int
    channel: str
    recipient: str
    at: dt.datetime
    delivered: bool
    detail: str


class ImportIn(Schema):
    """A CAP 1.2 alert or an Atom feed of CAP alerts from another issuer."""

    xml: str = Field(min_length=1, max_length=2_000_000)


class ImportResult(Schema):
    imported: int
    cancelled: int
    skipped: int


class OfficialIn(Schema):
    name: str = Field(min_length=1, max_length=100)
    division_code: DivisionCode
    superior_id: RowId | None = None
    contact: str = Field(default="", max_length=300)
    username: str | None = Field(default=None, max_length=64)


class OfficialRead(Schema):
    id: int
    name: str
    division_code: str
    superior_id: int | None
    contact: str
    username: str | None


class ChannelReceipt(Schema):
    """One of an official's contact channels and the newest receipt of this warning over it (None: not
    sent yet)."""

    channel: str
    target: str
    delivered: bool | None
    at: dt.datetime | None
    detail: str


class CallRead(Schema):
    official_id: int
    official_name: str
    division_code: str
    called_at: dt.datetime
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
    escalated_at: dt.datetime | None
    receipts: list[ChannelReceipt] = Field(default_factory=list)


class CallsRead(Schema):
    called: int
    acknowledged: int
    pending: int
    escalated: int
    calls: list[CallRead]
