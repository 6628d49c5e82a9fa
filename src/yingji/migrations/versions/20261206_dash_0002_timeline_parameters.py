"""Timeline entries carry their parameters (issue #13): rows written before the writers stored them in
``data`` (task title and move, feedback, situation report number and state, duty-desk channel, time and
summary, figures source, created title, quake magnitude, plan task count) are given them, read from their
text by ``incidents.timeline_params``. Only ``data`` gains keys: kind, text, time and actor stay as written.

The timeline is append-only (triggers refuse UPDATE): the migration lifts the refusal for its own update and
puts it back in the same transaction.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.db import JSONType
from yingji.incidents.timeline_params import KINDS, needs_migration, parameters
from yingji.migrations.helpers import sqlite_refusal

revision = "dash_0002"
down_revision = "dash_0001"

TIMELINE = sa.table(
    "incident_timeline",
    sa.column("id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("text", sa.Text),
    sa.column("data", JSONType),
)
BATCH = 2000


def upgrade() -> None:
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE incident_timeline DISABLE TRIGGER incident_timeline_no_change")
    else:
        op.execute("DROP TRIGGER IF EXISTS incident_timeline_no_update")
    last = 0
    while True:
        rows = bind.execute(
            sa.select(TIMELINE.c.id, TIMELINE.c.kind, TIMELINE.c.text, TIMELINE.c.data)
            .where(TIMELINE.c.id > last, TIMELINE.c.kind.in_(KINDS))
            .order_by(TIMELINE.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        for row_id, kind, text, data in rows:
            if needs_migration(kind, text or "", data):
                bind.execute(
                    sa.update(TIMELINE).where(TIMELINE.c.id == row_id).values(data=parameters(kind, text or "", data))
                )
        last = rows[-1][0]
    if postgres:
        op.execute("ALTER TABLE incident_timeline ENABLE TRIGGER incident_timeline_no_change")
    else:
        op.execute(sqlite_refusal("incident_timeline", "UPDATE"))


def downgrade() -> None:
    """The parameters stay: they are additive, and the earlier code ignores keys it does not read."""
