"""The major-accident-hazard determination standards (重大事故隐患判定标准) as data, pure.

Each standard is one YAML file under ``standards/hazard_determination/``: its title, issuing order, dates,
source, the published total of items (and what is counted: items or categories), and every item with an
id, its article, the industries (supervision categories and sub-sectors) it applies to, its text and a
status tag (V: the text seen verbatim in the cited source; P: partial or paraphrased; U: not found, the
gist only). A hazard that cites one of these items is a major hazard (重大事故隐患).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

STATUSES = ("V", "P", "U")


@dataclass(frozen=True)
class Item:
    id: str
    standard: str
    article: str
    text: str
    categories: tuple[str, ...]  # supervision categories (危险化学品, 工贸, 煤矿 …)
    sub_sectors: tuple[str, ...]  # 工贸 sub-sectors (冶金, 有色 …); empty: all of the categories
    status: str
    parent: str | None = None  # a sub-item's category (煤矿: the 15 categories and their sub-items)
    monitoring: bool = False  # the item counts missing or failed monitoring/alarm devices
    counted: bool = True  # False for a general clause outside the published count (工贸 第十四条)


@dataclass(frozen=True)
class Standard:
    id: str
    title: str
    issuer: str
    in_force: str
    source: str
    counted: str  # "items" or "categories"
    published_total: int
    items: tuple[Item, ...]
    missing: int = 0  # items of the published total not stored (texts not found), declared in the file
    missing_articles: tuple[str, ...] = ()

    def counted_items(self) -> tuple[Item, ...]:
        """What the published total counts: the items, or the top-level categories (sub-items excluded)."""
        return tuple(i for i in self.items if i.parent is None and i.counted)


def _standard(data: Mapping[str, Any]) -> Standard:
    sid = str(data["id"])
    default_categories = tuple(data.get("categories", ()))
    items = []
    for raw in data["items"]:
        status = str(raw.get("status", data.get("status", "U")))
        if status not in STATUSES:
            raise ValueError(f"{sid} item {raw['id']}: status {status!r} is not one of {STATUSES}")
        items.append(
            Item(
                id=str(raw["id"]),
                standard=sid,
                article=str(raw.get("article", "")),
                text=str(raw["text"]).strip(),
                categories=tuple(raw.get("categories", default_categories)),
                sub_sectors=tuple(raw.get("sub_sectors", ())),
                status=status,
                parent=raw.get("parent"),
                monitoring=bool(raw.get("monitoring", False)),
                counted=bool(raw.get("counted", True)),
            )
        )
    ids = [i.id for i in items]
    if len(ids) != len(set(ids)):
        raise ValueError(f"{sid}: repeated item ids")
    return Standard(
        id=sid,
        title=str(data["title"]),
        issuer=str(data.get("issuer", "")),
        in_force=str(data.get("in_force", "")),
        source=str(data.get("source", "")),
        counted=str(data.get("counted", "items")),
        published_total=int(data["published_total"]),
        items=tuple(items),
        missing=int(data.get("gap", {}).get("missing", 0)),
        missing_articles=tuple(data.get("gap", {}).get("articles", ())),
    )


@cache
def standards() -> tuple[Standard, ...]:
    """Every determination standard shipped with the package (read once)."""
    folder = files("yingji.standards").joinpath("hazard_determination")
    loaded = [
        _standard(yaml.safe_load(entry.read_text("utf-8")))
        for entry in sorted(folder.iterdir(), key=lambda e: e.name)
        if entry.name.endswith(".yaml")
    ]
    return tuple(loaded)


@cache
def items_by_id() -> Mapping[str, Item]:
    return {item.id: item for std in standards() for item in std.items}


def unknown_items(ids: Iterable[str]) -> list[str]:
    known = items_by_id()
    return [i for i in ids if i not in known]


def applicable(category: str, sub_sector: str = "") -> list[Item]:
    """The items an enterprise of this supervision category (and 工贸 sub-sector) is checked against — its
    self-inspection checklist, in standard and article order."""
    out = []
    for std in standards():
        for item in std.items:
            if item.categories and category not in item.categories:
                continue
            if item.sub_sectors and sub_sector not in item.sub_sectors:
                continue
            out.append(item)
    return out
