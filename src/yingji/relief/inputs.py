"""Reading relief planning inputs: depot and demand CSV files and the relief-item catalogue.

Every file is checked whole before anything is used: a bad row raises :class:`InvalidInput` naming
the file, the line and the reason, and nothing is half-read. Columns are documented in
``docs/relief.md``.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from yingji.errors import InvalidInput
from yingji.relief.travel import Helicopter, Sites

REQUIRED = ("id", "lon", "lat", "item", "quantity")
TRUE = {"1", "true", "yes", "y", "是"}
FALSE = {"", "0", "false", "no", "n", "否"}


@dataclass(frozen=True)
class CatalogueItem:
    id: str
    name_zh: str
    unit: str
    weight_kg: float
    volume_m3: float
    countable: bool


def parse_catalogue(data: Mapping[str, Any], where: str = "catalogue") -> dict[str, CatalogueItem]:
    """Items of a catalogue document (the layout of ``standards/relief_items.yaml``)."""
    items = data.get("items") if isinstance(data, Mapping) else None
    if not isinstance(items, Mapping) or not items:
        raise InvalidInput(f"{where}: expected a mapping 'items' of item id → fields")
    out: dict[str, CatalogueItem] = {}
    for key, fields in items.items():
        if not isinstance(fields, Mapping):
            raise InvalidInput(f"{where}: item {key!r} must be a mapping")

        def number(name: str, fields: Mapping[str, Any] = fields, key: Any = key) -> float:
            raw = fields.get(name)
            value = raw.get("value") if isinstance(raw, Mapping) else raw
            try:
                x = float(value)  # type: ignore[arg-type]
            except (TypeError, ValueError):
                raise InvalidInput(f"{where}: item {key!r}: {name} must be a number") from None
            if not (math.isfinite(x) and x >= 0):
                raise InvalidInput(f"{where}: item {key!r}: {name} must be a non-negative number")
            return x

        out[str(key)] = CatalogueItem(
            str(key),
            str(fields.get("name_zh", key)),
            str(fields.get("unit", "unit")),
            number("weight_kg"),
            number("volume_m3"),
            bool(fields.get("countable", True)),
        )
    return out


@cache
def builtin_catalogue() -> dict[str, CatalogueItem]:
    """The packaged relief-item catalogue."""
    text = files("yingji.standards").joinpath("relief_items.yaml").read_text(encoding="utf-8")
    return parse_catalogue(yaml.safe_load(text), "relief_items.yaml")


def load_catalogue(path: Path) -> dict[str, CatalogueItem]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidInput(f"{path.name}: cannot read catalogue ({exc})") from None
    return parse_catalogue(data, path.name)


def catalogue_lookup(catalogue: Mapping[str, CatalogueItem]) -> dict[str, str]:
    """Item name as written in a file (id or Chinese name) → catalogue id."""
    out = {item.name_zh: key for key, item in catalogue.items()}
    out.update({key: key for key in catalogue})
    return out


@dataclass(frozen=True)
class SiteTable:
    """One CSV of places: positions, quantity per (site, item), and per-site optional columns."""

    sites: Sites
    quantities: dict[tuple[int, str], int]
    extra: dict[str, list[str]]  # column → value per site (first row's value)

    def matrix(self, items: Sequence[str]) -> np.ndarray[Any, np.dtype[np.int64]]:
        out = np.zeros((len(self.sites), len(items)), dtype=np.int64)
        col = {item: j for j, item in enumerate(items)}
        for (s, item), q in self.quantities.items():
            out[s, col[item]] = q
        return out

    def items(self) -> list[str]:
        return list(dict.fromkeys(item for _, item in self.quantities))


def _read_rows(path: Path, required: Sequence[str]) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            header = [h.strip() for h in (reader.fieldnames or [])]
            missing = [c for c in required if c not in header]
            if missing:
                raise InvalidInput(f"{path.name} line 1: missing column(s) {', '.join(missing)}")
            rows = []
            for row in reader:
                if not any((v or "").strip() for v in row.values() if isinstance(v, str)):
                    continue  # blank line
                if None in row:
                    raise InvalidInput(f"{path.name} line {reader.line_num}: more values than columns")
                rows.append((reader.line_num, {k.strip(): (v or "").strip() for k, v in row.items()}))
    except OSError as exc:
        raise InvalidInput(f"{path.name}: cannot read ({exc.strerror})") from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InvalidInput(f"{path.name}: not a UTF-8 CSV file ({exc})") from None
    return header, rows


def _number(path: Path, line: int, column: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(f"{path.name} line {line}: {column} {text!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidInput(f"{path.name} line {line}: {column} {text!r} is not a finite number")
    return value


def read_site_table(
    path: Path,
    *,
    catalogue: Mapping[str, CatalogueItem] | None = None,
    optional: Sequence[str] = (),
) -> SiteTable:
    """Read a depot or demand CSV (columns ``id,lon,lat,item,quantity``, one row per place and item).

    Quantities are whole, non-negative numbers of the item's unit; one place keeps one position;
    a (place, item) pair appears once; with a catalogue every item must be in it.
    """
    header, rows = _read_rows(path, REQUIRED)
    lookup = catalogue_lookup(catalogue) if catalogue is not None else None
    index: dict[str, int] = {}
    first_line: dict[str, int] = {}
    lons: list[float] = []
    lats: list[float] = []
    quantities: dict[tuple[int, str], int] = {}
    seen: dict[tuple[int, str], int] = {}
    extra: dict[str, list[str]] = {c: [] for c in optional if c in header}
    for line, row in rows:
        pid = row["id"]
        if not pid:
            raise InvalidInput(f"{path.name} line {line}: empty id")
        lon = _number(path, line, "lon", row["lon"])
        lat = _number(path, line, "lat", row["lat"])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput(f"{path.name} line {line}: position ({lon}, {lat}) is not a WGS 84 lon/lat")
        item = row["item"]
        if not item:
            raise InvalidInput(f"{path.name} line {line}: empty item")
        if lookup is not None:
            if item not in lookup:
                raise InvalidInput(f"{path.name} line {line}: unknown item {item!r} (not in the catalogue)")
            item = lookup[item]
        qty = _number(path, line, "quantity", row["quantity"])
        if qty < 0:
            raise InvalidInput(f"{path.name} line {line}: negative quantity {row['quantity']}")
        if qty != math.floor(qty):
            raise InvalidInput(f"{path.name} line {line}: quantity {row['quantity']} is not a whole number of units")
        if pid not in index:
            index[pid] = len(lons)
            first_line[pid] = line
            lons.append(lon)
            lats.append(lat)
            for column, values in extra.items():
                values.append(row.get(column, ""))
        s = index[pid]
        if abs(lons[s] - lon) > 1e-9 or abs(lats[s] - lat) > 1e-9:
            raise InvalidInput(f"{path.name} line {line}: place {pid!r} has another position on line {first_line[pid]}")
        if (s, item) in seen:
            raise InvalidInput(f"{path.name} line {line}: {pid!r} / {item!r} repeats line {seen[(s, item)]}")
        seen[(s, item)] = line
        quantities[(s, item)] = int(qty)
    return SiteTable(Sites.of(list(index), lons, lats), quantities, extra)


def flag_column(path: Path, table: SiteTable, column: str) -> np.ndarray[Any, np.dtype[np.bool_]]:
    """A yes/no column (1/0, true/false, yes/no, 是/否) per site."""
    values = table.extra.get(column)
    if values is None:
        return np.zeros(len(table.sites), dtype=np.bool_)
    out = np.zeros(len(values), dtype=np.bool_)
    for i, v in enumerate(values):
        low = v.lower()
        if low in TRUE:
            out[i] = True
        elif low not in FALSE:
            raise InvalidInput(f"{path.name}: place {table.sites.ids[i]!r}: {column} {v!r} is not yes/no")
    return out


def number_column(path: Path, table: SiteTable, column: str) -> np.ndarray[Any, np.dtype[np.float64]]:
    values = table.extra.get(column)
    if values is None:
        raise InvalidInput(f"{path.name} line 1: missing column {column}")
    out = np.zeros(len(values))
    for i, v in enumerate(values):
        try:
            out[i] = float(v)
        except ValueError:
            raise InvalidInput(f"{path.name}: place {table.sites.ids[i]!r}: {column} {v!r} is not a number") from None
        if not (math.isfinite(out[i]) and out[i] >= 0):
            raise InvalidInput(f"{path.name}: place {table.sites.ids[i]!r}: {column} must be ≥ 0")
    return out


def read_positions(path: Path) -> Sites:
    """A CSV of named positions (``id,lon,lat``), e.g. helicopter landing sites."""
    _, rows = _read_rows(path, ("id", "lon", "lat"))
    ids, lons, lats = [], [], []
    for line, row in rows:
        if not row["id"]:
            raise InvalidInput(f"{path.name} line {line}: empty id")
        lon, lat = _number(path, line, "lon", row["lon"]), _number(path, line, "lat", row["lat"])
        if not (-180 <= lon <= 180 and -90 <= lat <= 90):
            raise InvalidInput(f"{path.name} line {line}: position ({lon}, {lat}) is not a WGS 84 lon/lat")
        ids.append(row["id"])
        lons.append(lon)
        lats.append(lat)
    return Sites.of(ids, lons, lats)


def read_helicopters(path: Path) -> tuple[Helicopter, ...]:
    """Helicopters CSV: ``id,lon,lat`` (base) and optionally ``speed_kmh,range_km``."""
    header, rows = _read_rows(path, ("id", "lon", "lat"))
    out = []
    for line, row in rows:
        lon, lat = _number(path, line, "lon", row["lon"]), _number(path, line, "lat", row["lat"])
        kwargs: dict[str, float] = {}
        for column in ("speed_kmh", "range_km"):
            if column in header and row.get(column):
                value = _number(path, line, column, row[column])
                if value <= 0:
                    raise InvalidInput(f"{path.name} line {line}: {column} must be positive")
                kwargs[column] = value
        out.append(Helicopter(row["id"], lon, lat, **kwargs))
    return tuple(out)
