"""Bulk import of depots, shelters, teams and vehicles from CSV or GeoJSON."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.errors import DomainError, InvalidInput
from yingji.resources.registry.service import WRITE
from yingji.resources.schemas import (
    DepotIn,
    MovementIn,
    ShelterIn,
    TeamIn,
)
from yingji.resources.shelters.service import create_shelter
from yingji.resources.stock.service import create_depot, move_stock
from yingji.resources.teams.service import create_team

# -- bulk import ----------------------------------------------------------------------------------------

IMPORT_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {  # kind -> (required, optional)
    "depots": (
        ("name", "level", "division_code", "lon", "lat"),
        ("capacity_m3", "floor_area_m2", "address", "contact"),
    ),
    "stock": (("depot_id", "item", "quantity"), ("batch", "expiry", "reference", "note")),
    "shelters": (
        ("name", "shelter_class", "division_code", "lon", "lat", "effective_area_m2"),
        ("capacity", "facilities", "is_open", "address"),
    ),
    "teams": (
        ("name", "kind", "division_code", "lon", "lat", "headcount"),
        ("specialty", "capabilities", "readiness", "base", "contact"),
    ),
}
_LIST_COLUMNS = ("facilities", "capabilities")


def _csv_rows(text: str, kind: str) -> list[tuple[int, dict[str, Any]]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        return _read_csv(reader, kind)
    except csv.Error as exc:
        raise InvalidInput(f"rejected: line {reader.line_num}: not valid CSV ({exc})", line=reader.line_num) from None


def _read_csv(reader: csv.DictReader[str], kind: str) -> list[tuple[int, dict[str, Any]]]:
    required, optional = IMPORT_COLUMNS[kind]
    header = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in required if c not in header]
    if missing:
        raise InvalidInput(f"rejected: line 1: missing column(s) {', '.join(missing)}", line=1)
    unknown = [c for c in header if c not in required and c not in optional]
    if unknown:
        raise InvalidInput(f"rejected: line 1: unknown column(s) {', '.join(unknown)}", line=1)
    reader.fieldnames = header
    rows = []
    for record in reader:
        line = reader.line_num
        if None in record:
            raise InvalidInput(f"rejected: line {line}: more fields than columns", line=line)
        values: dict[str, Any] = {}
        for key, raw in record.items():
            value = (raw or "").strip()
            if value == "":
                continue
            if key in _LIST_COLUMNS:
                values[key] = [v.strip() for v in value.split(";") if v.strip()]
            elif key == "is_open":
                values[key] = value.lower() in ("1", "true", "yes", "y", "是", "open")
            else:
                values[key] = value
        rows.append((line, values))
    if not rows:
        raise InvalidInput("rejected: the file has no rows", line=1)
    return rows


def _parse(model: type[BaseModel], values: dict[str, Any]) -> Any:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err.get("loc", ()))
        raise InvalidInput(f"{where}: {err.get('msg')}" if where else str(err.get("msg"))) from None


def _import_stock_row(session: Session, scope: Scope, values: dict[str, Any], source: str) -> Any:
    try:
        depot_id = int(values.get("depot_id", ""))
    except ValueError:
        raise InvalidInput("depot_id must be a whole number", field="depot_id") from None
    quantity_text = str(values.get("quantity", ""))
    try:
        quantity = int(quantity_text)
    except ValueError:
        raise InvalidInput(f"quantity {quantity_text!r} must be a whole number of units", field="quantity") from None
    if quantity <= 0:
        raise InvalidInput(f"quantity must be positive (stock is received), got {quantity}", field="quantity")
    movement = _parse(
        MovementIn,
        {
            "kind": "receive",
            "item": values.get("item", ""),
            "quantity": quantity,
            "batch": values.get("batch"),
            "expiry": values.get("expiry"),
            "reference": values.get("reference", source[:200]),
            "note": values.get("note", ""),
        },
    )
    return move_stock(session=session, scope=scope, depot_id=depot_id, movement_in=movement)


def import_csv(*, session: Session, scope: Scope, kind: str, text: str, source: str = "import") -> int:
    """Import depots, stock receipts, shelters or teams from CSV: every line checked; on the first bad
    line the whole file is rejected with the line and the reason, and nothing is written."""
    scope.require(WRITE)
    if kind not in IMPORT_COLUMNS:
        raise InvalidInput(f"unknown import kind {kind!r}; one of {', '.join(IMPORT_COLUMNS)}", field="kind")
    rows = _csv_rows(text, kind)
    creators: dict[str, tuple[type[BaseModel] | None, Callable[..., Any]]] = {
        "depots": (DepotIn, lambda v: create_depot(session=session, scope=scope, depot_in=v, source=source)),
        "shelters": (ShelterIn, lambda v: create_shelter(session=session, scope=scope, shelter_in=v, source=source)),
        "teams": (TeamIn, lambda v: create_team(session=session, scope=scope, team_in=v, source=source)),
        "stock": (None, lambda v: _import_stock_row(session, scope, v, source)),
    }
    model, create = creators[kind]
    # The error propagates out of the one transaction of the request or command, which rolls back
    # every row written before the rejected line.
    for line, values in rows:
        try:
            create(_parse(model, values) if model is not None else values)
        except DomainError as exc:
            raise InvalidInput(f"rejected: line {line}: {exc.detail}", line=line, reason=exc.detail) from None
    return len(rows)
