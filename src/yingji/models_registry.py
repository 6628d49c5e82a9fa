"""Imports every domain's models so that ``Base.metadata`` knows all tables (for Alembic and tests)."""

from __future__ import annotations

import importlib
import importlib.util

MODEL_MODULES = (
    "yingji.geo.models",
    "yingji.auth.models",
    "yingji.incidents.models",
    "yingji.incidents.handover.models",
    "yingji.monitoring.models",
    "yingji.warnings.models",
    "yingji.resources.models",
    "yingji.relief.models",
    "yingji.hazards.enterprises.models",
    "yingji.hazards.installations.models",
    "yingji.hazards.register.models",
    "yingji.reports.models",
    "yingji.quake.models",
    "yingji.quake.feeds.models",
    "yingji.tips.models",
    "yingji.disasters.models",
)


def import_all_models() -> None:
    for name in MODEL_MODULES:
        if importlib.util.find_spec(name) is not None:
            importlib.import_module(name)
