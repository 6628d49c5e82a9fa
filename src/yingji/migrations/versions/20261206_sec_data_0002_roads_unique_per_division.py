"""Relief: a road network's name is unique within its division, not across the country.

A name taken by another county answered 409 and so confirmed that network exists there (issue 12,
finding 11); the name now only has to be free among the networks the importer can read.

Revision ID: sec_data_0002
Revises: prod_0001
Create Date: 2026-12-06
"""

from __future__ import annotations

from alembic import op

revision = "sec_data_0002"
down_revision = "prod_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("road_segments") as batch:
        batch.drop_constraint("uq_road_segments_network_feature", type_="unique")
        batch.create_unique_constraint(
            "uq_road_segments_division_network_feature", ["division_code", "network", "feature_id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("road_segments") as batch:
        batch.drop_constraint("uq_road_segments_division_network_feature", type_="unique")
        batch.create_unique_constraint("uq_road_segments_network_feature", ["network", "feature_id"])
