"""Imports every domain's models so that ``Base.metadata`` knows all tables (for Alembic and tests).

Imported by name: a missing module fails at once."""

from __future__ import annotations

from yingji.auth import models as auth_models
from yingji.disasters import models as disasters_models
from yingji.enforcement import models as enforcement_models
from yingji.enforcement.cases import models as enforcement_cases_models
from yingji.enforcement.checklists import models as enforcement_checklists_models
from yingji.geo import models as geo_models
from yingji.hazards.enterprises import models as enterprises_models
from yingji.hazards.installations import models as installations_models
from yingji.hazards.register import models as hazard_register_models
from yingji.incidents import models as incidents_models
from yingji.incidents.handover import models as handover_models
from yingji.monitoring import models as monitoring_models
from yingji.quake import models as quake_models
from yingji.quake.feeds import models as quake_feeds_models
from yingji.relief import models as relief_models
from yingji.resources import models as resources_models
from yingji.tips import models as tips_models
from yingji.warnings import models as warnings_models

MODEL_MODULES = (
    geo_models,
    auth_models,
    incidents_models,
    handover_models,
    monitoring_models,
    warnings_models,
    resources_models,
    relief_models,
    enterprises_models,
    installations_models,
    hazard_register_models,
    quake_models,
    quake_feeds_models,
    tips_models,
    enforcement_models,
    enforcement_cases_models,
    enforcement_checklists_models,
    disasters_models,
)


def import_all_models() -> None:
    """Kept for callers: the imports above already registered every table."""
