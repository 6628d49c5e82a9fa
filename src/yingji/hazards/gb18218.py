"""Major hazard installations of hazardous chemicals (危险化学品重大危险源), GB 18218-2018 — pure.

Identification (辨识, 4.2.2): S = Σ qᵢ/Qᵢ over the chemicals of one unit; S ≥ 1 makes the unit a major
hazard installation. Grading (分级, 4.3): R = α·Σ βᵢ·qᵢ/Qᵢ; R ≥ 100 一级, 50 ≤ R < 100 二级, 10 ≤ R < 50 三级,
R < 10 四级. Everything is computed with :class:`fractions.Fraction` from the decimal texts of the data
file and of the inventory, so a value on a boundary (S = 1, R = 10, 50, 100) lands where the standard says.

The tables (critical quantities Q, β, α, grade bands) live in ``standards/gb18218_2018.yaml`` with their
sources; this module only reads and computes.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from yingji.numbers import nonnegative_decimal

CAS = re.compile(r"^\d{2,7}-\d{2}-\d$")
# The standard writes full-width brackets and commas; people type either. Matching ignores the difference.
_FOLD = str.maketrans({"（": "(", "）": ")", "，": ",", "［": "[", "］": "]", "、": ",", "：": ":", "；": ";"})


def fold(text: str) -> str:
    """The form names are matched in: half-width punctuation, no spaces, lower case (for TDI, W5.1)."""
    return re.sub(r"\s+", "", text.translate(_FOLD)).lower()


@dataclass(frozen=True)
class Category:
    """A row of Table 2 (critical quantity by hazard category) with its Table 4 β."""

    symbol: str
    hazard: str
    description: str
    critical_t: Fraction
    beta: Fraction


@dataclass(frozen=True)
class Substance:
    """A row of Table 1, with the β that applies to it (Table 3 by name, else Table 4 by its category)."""

    no: int
    name: str
    aliases: tuple[str, ...]
    cas: tuple[str, ...]
    critical_t: Fraction
    beta: Fraction
    beta_basis: str  # "表3 <name>" or "表4 <symbol>"


Entry = Substance | Category


@dataclass(frozen=True)
class Catalogue:
    edition: str
    substances: tuple[Substance, ...]
    categories: Mapping[str, Category]
    alpha_bands: tuple[tuple[int, Fraction], ...]  # (lowest head-count, α), highest band first
    grade_bands: tuple[tuple[int, Fraction], ...]  # (grade, lowest R), grade 1 first
    threshold: Fraction
    _index: Mapping[str, tuple[Entry, ...]]

    def find(self, text: str) -> Entry:
        """The Table 1 substance named (its name, an alias or a CAS number) or the Table 2 category
        (its symbol, e.g. ``W5.3``). Raises LookupError with a sentence saying why."""
        key = fold(text)
        if not key:
            raise LookupError("the substance is empty")
        found = self._index.get(key, ())
        if not found:
            raise LookupError(
                f"unknown substance {text.strip()!r}: not a name, alias or CAS number of "
                f"{self.edition} Table 1, nor a Table 2 category symbol"
            )
        if len(found) > 1:
            names = "; ".join(e.name for e in found if isinstance(e, Substance))
            raise LookupError(f"CAS number {text.strip()} names several rows of Table 1 ({names}); use the name")
        return found[0]


def _fraction(text: str | int | float) -> Fraction:
    return Fraction(Decimal(str(text)))


@cache
def catalogue() -> Catalogue:
    """The GB 18218-2018 tables shipped with the package (read once)."""
    raw = files("yingji.standards").joinpath("gb18218_2018.yaml").read_text("utf-8")
    return build_catalogue(yaml.safe_load(raw))


def build_catalogue(data: Mapping[str, Any]) -> Catalogue:
    categories = {
        c["symbol"]: Category(
            c["symbol"], c["hazard"], c["description"], _fraction(c["critical_t"]), _fraction(c["beta"])
        )
        for c in data["categories"]
    }
    table3 = {name: _fraction(beta) for name, beta in data["table3_beta"].items()}
    substances = []
    for row in data["substances"]:
        if "table3" in row:
            beta, basis = table3[row["table3"]], f"表3 {row['table3']}"
        else:
            beta, basis = categories[row["category"]].beta, f"表4 {row['category']}"
        substances.append(
            Substance(
                no=int(row["n"]),
                name=str(row["name"]),
                aliases=tuple(str(a) for a in row.get("aliases", ())),
                cas=tuple(str(c) for c in row.get("cas", ())),
                critical_t=_fraction(row["critical_t"]),
                beta=beta,
                beta_basis=basis,
            )
        )
    index: dict[str, list[Entry]] = {}

    def add(key: str, entry: Entry) -> None:
        bucket = index.setdefault(fold(key), [])
        if entry not in bucket:
            bucket.append(entry)

    for sub in substances:  # names first: a name wins over an alias of another row
        add(sub.name, sub)
    names = set(index)
    for sub in substances:
        for alias in (*sub.aliases, *sub.cas):
            if fold(alias) not in names:
                add(alias, sub)  # a CAS number of several rows (硝化纤维素, 硝酸铵) stays ambiguous
    for cat in categories.values():
        add(cat.symbol, cat)
    return Catalogue(
        edition=str(data["edition"]),
        substances=tuple(substances),
        categories=categories,
        alpha_bands=tuple(sorted(((int(a["min_people"]), _fraction(a["alpha"])) for a in data["alpha"]), reverse=True)),
        grade_bands=tuple(sorted((int(g["grade"]), _fraction(g["min_r"])) for g in data["grades"])),
        threshold=_fraction(data["identification_threshold"]),
        _index={k: tuple(v) for k, v in index.items()},
    )


def alpha_for(exposed_people: int, cat: Catalogue | None = None) -> Fraction:
    """α of Table 5 for the number of people outside the plant who may be exposed."""
    if exposed_people < 0:
        raise ValueError("the number of exposed people cannot be negative")
    for lowest, alpha in (cat or catalogue()).alpha_bands:
        if exposed_people >= lowest:
            return alpha
    raise ValueError("no α band covers this head-count")  # pragma: no cover - the 0 band covers all


def grade_of(r: Fraction, cat: Catalogue | None = None) -> int:
    """The grade (1 highest … 4) of an R value: each band's lower bound is inclusive."""
    for grade, lowest in (cat or catalogue()).grade_bands:
        if r >= lowest:
            return grade
    return max(g for g, _ in (cat or catalogue()).grade_bands)


@dataclass(frozen=True)
class Line:
    entry: Entry
    quantity_t: Fraction
    beta: Fraction | None = None  # an override (e.g. the unit's own classification); None: the table's

    @property
    def critical_t(self) -> Fraction:
        return self.entry.critical_t

    @property
    def applied_beta(self) -> Fraction:
        return self.beta if self.beta is not None else self.entry.beta


@dataclass(frozen=True)
class Assessment:
    s: Fraction
    major: bool
    alpha: Fraction
    r: Fraction | None  # only for a major hazard installation
    grade: int | None
    lines: tuple[Line, ...]


def assess(lines: Sequence[Line], exposed_people: int, cat: Catalogue | None = None) -> Assessment:
    """Identify and grade one unit (生产单元 or 储存单元) from its inventory lines."""
    cat = cat or catalogue()
    for line in lines:
        if line.quantity_t < 0:
            raise ValueError("a quantity cannot be negative")
    s = sum((line.quantity_t / line.critical_t for line in lines), Fraction(0))
    alpha = alpha_for(exposed_people, cat)
    major = s >= cat.threshold
    r = alpha * sum((line.applied_beta * line.quantity_t / line.critical_t for line in lines), Fraction(0))
    return Assessment(
        s=s,
        major=major,
        alpha=alpha,
        r=r if major else None,
        grade=grade_of(r, cat) if major else None,
        lines=tuple(lines),
    )


def number(value: Fraction) -> int | float:
    """A JSON number for an exact value: an integer when it is one, else the nearest double."""
    return value.numerator if value.denominator == 1 else float(value)


class InventoryError(ValueError):
    """A line of an inventory file that cannot be read; ``line`` is the file's line number (header = 1)."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line


def parse_quantity(text: str) -> Fraction:
    """A decimal number of tonnes ≥ 0, read exactly."""
    try:
        return Fraction(nonnegative_decimal(text))
    except ValueError as exc:
        raise ValueError(f"quantity {exc}") from None


def read_inventory(text: str, cat: Catalogue | None = None) -> list[Line]:
    """Lines of a CSV with the header ``substance,quantity_t`` (an optional ``category`` column names the
    Table 4 symbol whose β applies instead of the table's). Raises InventoryError naming the line."""
    cat = cat or catalogue()
    rows: Iterable[list[str]] = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    iterator = iter(rows)
    header = [h.strip().lower() for h in next(iterator, [])]
    if "substance" not in header or "quantity_t" not in header:
        raise InventoryError(1, "the header must name the columns substance,quantity_t")
    at_substance, at_quantity = header.index("substance"), header.index("quantity_t")
    at_category = header.index("category") if "category" in header else None
    lines: list[Line] = []
    for number_, row in enumerate(iterator, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) <= max(at_substance, at_quantity):
            raise InventoryError(number_, "too few columns")
        try:
            entry = cat.find(row[at_substance])
            quantity = parse_quantity(row[at_quantity])
            beta = None
            if at_category is not None and at_category < len(row) and row[at_category].strip():
                symbol = row[at_category].strip().upper()
                if symbol not in cat.categories:
                    raise ValueError(f"unknown category {row[at_category].strip()!r} (a Table 4 symbol such as W5.1)")
                beta = cat.categories[symbol].beta
        except (LookupError, ValueError) as exc:
            raise InventoryError(number_, str(exc)) from None
        lines.append(Line(entry=entry, quantity_t=quantity, beta=beta))
    return lines


def assessment_json(result: Assessment) -> dict[str, Any]:
    """The document ``yingji hazards identify --json`` prints (s and r unrounded)."""
    return {
        "major": result.major,
        "s": number(result.s),
        "r": None if result.r is None else number(result.r),
        "grade": result.grade,
        "lines": [
            {
                "substance": line.entry.name if isinstance(line.entry, Substance) else line.entry.symbol,
                "cas": (line.entry.cas[0] if line.entry.cas else None) if isinstance(line.entry, Substance) else None,
                "quantity_t": number(line.quantity_t),
                "critical_t": number(line.critical_t),
                "beta": number(line.applied_beta),
            }
            for line in result.lines
        ],
    }
