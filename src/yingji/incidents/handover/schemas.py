"""What the handover routes return."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from yingji.api_common import Schema


class HandedOverMatter(Schema):
    kind: Literal["duty_item", "incident"]
    id: int
    label: str


class HandoverRead(Schema):
    id: int
    shift_id: int
    division_code: str
    items: list[HandedOverMatter]
    acknowledged_at: dt.datetime | None
    acknowledged_by: str | None
