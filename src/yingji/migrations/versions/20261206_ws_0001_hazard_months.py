"""Work safety: the 动态清零 board's trend — hazards reported and closed per division, category and month
(China time), kept by the service on every report and closure; existing hazards counted once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = "ws_0001"
down_revision = "disasters_0001"

CHINA = dt.timezone(dt.timedelta(hours=8))


def _month(moment: dt.datetime | str) -> str:
    if isinstance(moment, str):  # SQLite hands back text
        moment = dt.datetime.fromisoformat(moment)
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(CHINA).strftime("%Y-%m")


def upgrade() -> None:
    months = op.create_table(
        "hazard_months",
        sa.Column("division_code", sa.String(12), primary_key=True),
        sa.Column("supervision_category", sa.String(32), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("reported", sa.Integer, nullable=False),
        sa.Column("closed", sa.Integer, nullable=False),
    )
    # The trend reads 12 months of a jurisdiction: by month first, then the division range.
    op.create_index("ix_hazard_months_month_division", "hazard_months", ["month", "division_code"])
    figures: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    rows = op.get_bind().execute(
        sa.text("SELECT division_code, supervision_category, reported_at, closed_at FROM hazards")
    )
    for division, category, reported, closed in rows:
        figures[(division, category, _month(reported))][0] += 1
        if closed is not None:
            figures[(division, category, _month(closed))][1] += 1
    if figures:
        op.bulk_insert(
            months,
            [
                {"division_code": d, "supervision_category": c, "month": m, "reported": r, "closed": k}
                for (d, c, m), (r, k) in figures.items()
            ],
        )


def downgrade() -> None:
    op.drop_index("ix_hazard_months_month_division", table_name="hazard_months")
    op.drop_table("hazard_months")
