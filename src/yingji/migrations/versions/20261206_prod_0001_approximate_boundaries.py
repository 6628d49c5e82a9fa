"""Divisions: ``boundary_approximate`` marks an area built from positions (``yingji division seed`` on an
installation with no boundary files), which places points but never refuses one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "prod_0001"
down_revision = "0014"


# In place (ALTER TABLE … ADD/DROP COLUMN, SQLite ≥ 3.35 too): a batch copy of ``divisions`` on SQLite drops
# the table, which the foreign keys of a populated database refuse.
def upgrade() -> None:
    op.add_column("divisions", sa.Column("boundary_approximate", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("divisions", recreate="never") as batch:
        batch.drop_column("boundary_approximate")
