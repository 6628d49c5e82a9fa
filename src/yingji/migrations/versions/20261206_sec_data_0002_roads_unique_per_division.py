"""Relief: a road network's name is unique within its division, not across the country.

A name taken by another county answered 409 and so confirmed that network exists there (issue 12,
finding 11); the name now only has to be free among the networks the importer can read.
"""

from __future__ import annotations

from alembic import op

from yingji.migrations.helpers import swap_unique

revision = "sec_data_0002"
down_revision = "prod_0001"

NATIONWIDE = "uq_road_segments_network_feature"
PER_DIVISION = "uq_road_segments_division_network_feature"


def upgrade() -> None:
    with op.batch_alter_table("road_segments") as batch:
        swap_unique(batch, NATIONWIDE, PER_DIVISION, ["division_code", "network", "feature_id"])


def downgrade() -> None:
    with op.batch_alter_table("road_segments") as batch:
        swap_unique(batch, PER_DIVISION, NATIONWIDE, ["network", "feature_id"])
