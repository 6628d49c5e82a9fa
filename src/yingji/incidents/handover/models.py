"""The handover record of a duty shift (交接班记录): what was open when the shift handed over, and who of the
next shift acknowledged it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from yingji.db import Base, IdKey, JSONType, UTCDateTime


class DutyHandover(IdKey, Base):
    """One per handed-over shift. ``items`` is the list of matters open at the handover, each
    ``{"kind": "duty_item" | "incident", "id": int, "label": str}`` (a snapshot: the list handed over stays
    as it was, whatever happens to the matters later)."""

    __tablename__ = "duty_handovers"

    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shifts.id", ondelete="CASCADE"), unique=True)
    division_code: Mapped[str] = mapped_column(String(12), ForeignKey("divisions.code"), index=True)
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)  # 接班确认
    acknowledged_by: Mapped[str | None] = mapped_column(String(100))
