"""Reserves registries — depots and the stock ledger, transfers, shelters, rescue teams, vehicles, bulk
import, coverage and gaps — one sub-package each (``resources/<part>/service.py``). This module gathers
their operations under one name for the API, the CLI and other domains
(``from yingji.resources import service as resources``).

Jurisdiction: a row is registered at a division (``division_code``). Callers read and write rows in
their subtree, read (never write) rows registered on their ancestor chain, and see nothing else.
Services never commit; every write appends an audit entry.
"""

from __future__ import annotations

from yingji.resources.gaps.service import (
    GAP_COLOUR,
    GAP_TEXTS,
    LEVEL_COLOURS,
    READINESS_COLOURS,
    depot_coverage,
    gap_codes,
    gap_text,
    gaps,
    layer,
    shelter_coverage,
    team_coverage,
)
from yingji.resources.imports.service import IMPORT_COLUMNS, import_csv
from yingji.resources.registry.service import READ, WRITE, catalogue, check_position, item_id
from yingji.resources.shelters.service import (
    create_shelter,
    get_shelter,
    list_shelter_events,
    list_shelters,
    record_occupancy,
    update_shelter,
)
from yingji.resources.stock.service import (
    StockKey,
    available_stock,
    batch_balances,
    create_depot,
    expire_due,
    get_depot,
    held_stock,
    hold_stock,
    list_depots,
    list_movements,
    lock_depots,
    move_stock,
    on_hand,
    promised_stock,
    release_holds,
    reserved_stock,
    set_minimum,
    stock,
    update_depot,
)
from yingji.resources.teams.service import create_team, get_team, list_teams, update_team
from yingji.resources.transfers.service import (
    cancel_transfer,
    confirm_transfer,
    create_transfer,
    get_transfer,
    list_transfers,
)
from yingji.resources.vehicles.service import create_vehicle, get_vehicle, list_vehicles, update_vehicle

__all__ = [
    "GAP_COLOUR",
    "GAP_TEXTS",
    "IMPORT_COLUMNS",
    "LEVEL_COLOURS",
    "READ",
    "READINESS_COLOURS",
    "WRITE",
    "StockKey",
    "available_stock",
    "batch_balances",
    "cancel_transfer",
    "catalogue",
    "check_position",
    "confirm_transfer",
    "create_depot",
    "create_shelter",
    "create_team",
    "create_transfer",
    "create_vehicle",
    "depot_coverage",
    "expire_due",
    "gap_codes",
    "gap_text",
    "gaps",
    "get_depot",
    "get_shelter",
    "get_team",
    "get_transfer",
    "get_vehicle",
    "held_stock",
    "hold_stock",
    "import_csv",
    "item_id",
    "layer",
    "list_depots",
    "list_movements",
    "list_shelter_events",
    "list_shelters",
    "list_teams",
    "list_transfers",
    "list_vehicles",
    "lock_depots",
    "move_stock",
    "on_hand",
    "promised_stock",
    "record_occupancy",
    "release_holds",
    "reserved_stock",
    "set_minimum",
    "shelter_coverage",
    "stock",
    "team_coverage",
    "update_depot",
    "update_shelter",
    "update_team",
    "update_vehicle",
]
