"""The registries' vocabulary and rules, pure: reserve levels, team kinds and capabilities, shelter
classes (GB 21734-2008), and the stock ledger's arithmetic (signs, first-expiry-first-out allocation,
the no-negative-stock rule). No database here."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any, Final, Literal

import yaml

from yingji.errors import Conflict, InvalidInput

# -- depots -------------------------------------------------------------------------------------------

DepotLevel = Literal["central", "provincial", "city", "county", "township"]
# Five-level reserve system 中央-省-市-县-乡 (2015 九部门 guidance, docs/sources.md §S7).
DEPOT_LEVELS: Final[tuple[DepotLevel, ...]] = ("central", "provincial", "city", "county", "township")
DEPOT_LEVEL_ZH: Final = {"central": "中央", "provincial": "省级", "city": "市级", "county": "县级", "township": "乡级"}
# The division level a depot of each reserve level is registered at.
DEPOT_DIVISION_LEVELS: Final[dict[str, tuple[str, ...]]] = {
    "central": ("country",),
    "provincial": ("province",),
    "city": ("prefecture",),
    "county": ("county",),
    "township": ("township", "county"),
}

# -- rescue teams ---------------------------------------------------------------------------------------

TeamKind = Literal["national", "fire_rescue", "professional", "social"]
TEAM_KINDS: Final[dict[str, str]] = {
    "national": "国家级救援队",
    "fire_rescue": "综合性消防救援队伍",
    "professional": "专业救援队伍",
    "social": "社会救援力量",
}
SPECIALTIES: Final[dict[str, str]] = {
    "": "—",
    "earthquake": "地震救援",
    "mine": "矿山救援",
    "hazmat": "危险化学品救援",
    "water": "水上救援",
    "aviation": "航空救援",
    "forest_fire": "森林消防",
    "medical": "医疗救护",
    "power": "电力抢修",
    "communications": "通信保障",
    "engineering": "工程抢险",
}
CAPABILITIES: Final[dict[str, str]] = {
    "search_rescue": "搜索救援",
    "collapse_rescue": "建筑倒塌救援",
    "mine_rescue": "矿山救援",
    "hazmat": "危化品处置",
    "water_rescue": "水域救援",
    "air_rescue": "航空救援",
    "medical": "医疗救护",
    "fire_fighting": "灭火",
    "forest_fire": "森林灭火",
    "heavy_lifting": "重型起重",
    "road_clearance": "道路抢通",
    "communications": "应急通信",
    "power": "电力保障",
    "psychological": "心理援助",
}
Readiness = Literal["ready", "standby", "deployed", "unavailable"]
AVAILABLE_READINESS: Final = ("ready", "standby")

VehicleKind = Literal["truck", "van", "boat", "helicopter", "fixed_wing", "drone"]
AIRCRAFT: Final = ("helicopter", "fixed_wing", "drone")

# -- shelters -------------------------------------------------------------------------------------------

ShelterClass = Literal["I", "II", "III"]


@cache
def shelter_classes() -> dict[str, Any]:
    text = files("yingji.standards").joinpath("shelter_classes.yaml").read_text(encoding="utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def min_area_per_person_m2() -> float:
    return float(shelter_classes()["min_area_per_person_m2"]["value"])


def facility_names() -> tuple[str, ...]:
    groups = shelter_classes()["facilities"]
    return tuple(name for group in groups.values() for name in group)


def required_facilities(shelter_class: str) -> tuple[str, ...]:
    data = shelter_classes()
    groups = data["classes"][shelter_class]["requires"]
    return tuple(name for group in groups for name in data["facilities"][group])


def missing_facilities(shelter_class: str, facilities: Iterable[str]) -> list[str]:
    """The facilities GB 21734-2008 expects of this class that the shelter lacks."""
    have = set(facilities)
    return [f for f in required_facilities(shelter_class) if f not in have]


def shelter_capacity(effective_area_m2: float) -> int:
    """People a shelter holds at the minimum living area (GB 21734-2008 §5.4: > 1.5 m² each)."""
    return math.floor(effective_area_m2 / min_area_per_person_m2() + 1e-9)


def check_capacity(effective_area_m2: float, capacity: int | None) -> int:
    """The capacity to store: the area's capacity, or a smaller stated one (never a larger one)."""
    if not (math.isfinite(effective_area_m2) and effective_area_m2 > 0):
        raise InvalidInput("effective_area_m2 must be a positive number of square metres", field="effective_area_m2")
    most = shelter_capacity(effective_area_m2)
    if capacity is None:
        return most
    if capacity < 0:
        raise InvalidInput("capacity must not be negative", field="capacity")
    if capacity > most:
        raise InvalidInput(
            f"capacity {capacity} exceeds what {effective_area_m2:g} m² holds at "
            f"{min_area_per_person_m2():g} m² per person ({most}; GB 21734-2008 §5.4)",
            field="capacity",
        )
    return capacity


def check_facilities(facilities: Sequence[str]) -> list[str]:
    known = facility_names()
    for f in facilities:
        if f not in known:
            raise InvalidInput(f"unknown facility {f!r}; one of {', '.join(known)}", field="facilities")
    return sorted(set(facilities), key=known.index)


def check_capabilities(capabilities: Sequence[str]) -> list[str]:
    for c in capabilities:
        if c not in CAPABILITIES:
            raise InvalidInput(f"unknown capability {c!r}; one of {', '.join(CAPABILITIES)}", field="capabilities")
    return sorted(set(capabilities), key=list(CAPABILITIES).index)


# -- the stock ledger -----------------------------------------------------------------------------------

MovementKind = Literal["receive", "issue", "transfer_out", "transfer_in", "adjust", "expire"]
# +1: the quantity is added; -1: taken away; 0: adjust, signed by the caller.
MOVEMENT_SIGN: Final[dict[str, int]] = {
    "receive": 1,
    "transfer_in": 1,
    "issue": -1,
    "transfer_out": -1,
    "expire": -1,
    "adjust": 0,
}


@dataclass(frozen=True)
class BatchBalance:
    batch: str
    expiry: dt.date | None
    quantity: int


@dataclass(frozen=True)
class Take:
    batch: str
    expiry: dt.date | None
    quantity: int


def signed_delta(kind: str, quantity: int) -> int:
    """The ledger delta of a movement; adjustments carry their own sign, others a positive quantity."""
    if kind not in MOVEMENT_SIGN:
        raise InvalidInput(f"unknown movement kind {kind!r}; one of {', '.join(MOVEMENT_SIGN)}", field="kind")
    if MOVEMENT_SIGN[kind] == 0:
        if quantity == 0:
            raise InvalidInput("an adjustment must change the stock (quantity ≠ 0)", field="quantity")
        return quantity
    if quantity <= 0:
        raise InvalidInput(f"a {kind} needs a positive quantity, got {quantity}", field="quantity")
    return MOVEMENT_SIGN[kind] * quantity


def _fefo_key(b: BatchBalance) -> tuple[int, dt.date, str]:
    return (0, b.expiry, b.batch) if b.expiry is not None else (1, dt.date.max, b.batch)


def allocate(balances: Sequence[BatchBalance], quantity: int, *, item: str, batch: str | None) -> list[Take]:
    """Which batches a withdrawal of ``quantity`` takes: the named batch, or first expiry first out.

    Refuses (Conflict, nothing taken) when the stock would go negative.
    """
    if quantity <= 0:
        raise InvalidInput(f"quantity must be positive, got {quantity}", field="quantity")
    pool = [b for b in balances if b.quantity > 0 and (batch is None or b.batch == batch)]
    available = sum(b.quantity for b in pool)
    if available < quantity:
        where = f"batch {batch!r} of {item}" if batch is not None else item
        raise Conflict(
            f"insufficient stock: {available} of {where} on hand, {quantity} requested; nothing was moved",
            available=available,
            requested=quantity,
        )
    takes: list[Take] = []
    left = quantity
    for b in sorted(pool, key=_fefo_key):
        take = min(left, b.quantity)
        takes.append(Take(b.batch, b.expiry, take))
        left -= take
        if left == 0:
            break
    return takes
