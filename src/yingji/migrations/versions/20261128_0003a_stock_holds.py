"""Resources: stock holds (stock promised without a transfer order, e.g. by a committed dispatch plan).

Before this table a committed plan's direct shipments were held only in the plan's own record, which
plans respected but a manual issue from the depot did not. The holds of plans already committed are
copied here when the relief tables exist (on a new database they do not, or hold no plan yet).
"""

from __future__ import annotations

import datetime as dt
import json

import sqlalchemy as sa
from alembic import op

from yingji.db import UTCDateTime
from yingji.migrations.helpers import create_id_table, index_each, stamp_columns

revision = "0003a"
down_revision = "0003"


def upgrade() -> None:
    create_id_table(
        "stock_holds",
        sa.Column("depot_id", sa.Integer, sa.ForeignKey("depots.id"), nullable=False),
        sa.Column("item", sa.String(64), nullable=False),
        sa.Column("quantity", sa.Integer, nullable=False),
        sa.Column("holder", sa.String(64), nullable=False),
        sa.Column("note", sa.Text, nullable=False),
        *stamp_columns("created", at_first=True),
    )
    index_each("stock_holds", "depot_id", "holder")
    bind = op.get_bind()
    if not sa.inspect(bind).has_table("relief_plans"):
        return
    names = ("depot_id", "item", "quantity", "holder", "note", "created_by")
    holds = sa.table("stock_holds", *(sa.column(c) for c in names), sa.column("created_at", UTCDateTime))
    plans = bind.execute(sa.text("SELECT id, commit_result, committed_by FROM relief_plans WHERE status = 'committed'"))
    rows = []
    for plan_id, result, committed_by in plans:
        result = json.loads(result) if isinstance(result, str) else (result or {})
        for line in result.get("held", []):
            rows.append(
                {
                    "depot_id": int(line["depot_id"]),
                    "item": str(line["item"]),
                    "quantity": int(line["quantity"]),
                    "holder": f"relief_plan:{plan_id}",
                    "note": f"to {line.get('place', '')}"[:2000],
                    "created_by": committed_by or "",
                    "created_at": dt.datetime.now(dt.UTC),
                }
            )
    if rows:
        op.bulk_insert(holds, rows)


def downgrade() -> None:
    op.drop_table("stock_holds")
