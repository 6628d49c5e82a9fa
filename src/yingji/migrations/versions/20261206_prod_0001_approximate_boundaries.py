"""Divisions: ``boundary_approximate`` marks an area built from positions (``yingji division seed`` on an
installation with no boundary files), which places points but never refuses one.

Revision ID: prod_0001
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "prod_0001"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("divisions") as batch:
        batch.add_column(sa.Column("boundary_approximate", sa.Boolean, nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("divisions") as batch:
        batch.drop_column("boundary_approximate")
