"""Relief planning: dispatch plans (``relief/plans/service.py``; committed, confirmed and cancelled by
``relief/execution/service.py``) and the stored road networks they route on (``relief/roads/service.py``), gathered
under one name for the API, the CLI and other domains."""

from __future__ import annotations

from yingji.relief.execution.service import cancel_plan, commit_plan, confirm_plan
from yingji.relief.plans.service import (
    MAX_PAIRS,
    MAX_PLACES,
    MAX_SHELTERS,
    NEAREST_DEPOTS,
    PLAN,
    READ,
    ROAD_VEHICLES,
    VEHICLE_TIME_LIMIT_S,
    create_plan,
    flows,
    get_plan,
    items_for_displaced,
    list_plans,
    shipment_groups,
)
from yingji.relief.roads.service import (
    ROAD_CLASS_KEYS,
    WRITE,
    cut_road,
    import_roads,
    list_roads,
    reopen_road,
    stored_network,
)

__all__ = [
    "MAX_PAIRS",
    "MAX_PLACES",
    "MAX_SHELTERS",
    "NEAREST_DEPOTS",
    "PLAN",
    "READ",
    "ROAD_CLASS_KEYS",
    "ROAD_VEHICLES",
    "VEHICLE_TIME_LIMIT_S",
    "WRITE",
    "cancel_plan",
    "commit_plan",
    "confirm_plan",
    "create_plan",
    "cut_road",
    "flows",
    "get_plan",
    "import_roads",
    "items_for_displaced",
    "list_plans",
    "list_roads",
    "reopen_road",
    "shipment_groups",
    "stored_network",
]
