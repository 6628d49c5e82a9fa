"""Monitoring: a site code is unique within its division, not across the country; and the login
throttle's counts in the database.

A site code taken by another county answered 409 and so confirmed the site exists there (issue 12,
finding 11); the code now only has to be free in the site's own division. Sensor codes stay unique in
the deployment (readings are addressed by them); new ones are kept to their division's namespace by the
service, so their refusal reveals nothing either (docs/security.md, "Uniqueness that reveals nothing").

``login_throttle`` holds the failed sign-ins per account, client address and device when no Redis is
configured or reachable, so every server process shares one back-off (auth.ratelimit, ASVS 2.2.1).

Downgrading refuses (the unique constraint cannot be made) while two divisions use one site code: rename
one of them first.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from yingji.migrations.helpers import swap_unique

revision = "sec_0001"
down_revision = "dash_0002"


def upgrade() -> None:
    with op.batch_alter_table("monitored_sites") as batch:
        swap_unique(batch, "uq_monitored_sites_code", "uq_monitored_sites_division_code", ["division_code", "code"])
        batch.create_index("ix_monitored_sites_code", ["code"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last", sa.Float, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("login_throttle")
    with op.batch_alter_table("monitored_sites") as batch:
        batch.drop_index("ix_monitored_sites_code")
        swap_unique(batch, "uq_monitored_sites_division_code", "uq_monitored_sites_code", ["code"])
