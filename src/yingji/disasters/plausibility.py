"""Plausibility of reported figures against other evidence (pure): the earthquake assessment's estimates,
shelter occupancy, the division's population and housing stock, and the event's ledgers.

The checks and their factors are data (``standards/disasters/plausibility-2020.yaml``, all status U). A
flag names its check, the reported figure, the evidence and the reason in words; it refuses nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

import yaml

KINDS = frozenset({"two_sided", "at_most", "equal"})


@dataclass(frozen=True)
class Check:
    code: str
    kind: str
    reported: tuple[str, ...]
    evidence: str
    status: str
    source: str
    factor: float = 1.0
    min_count: float = 0.0


@dataclass(frozen=True)
class Flag:
    check: str
    reported: int
    evidence: float
    reason: str
    figures: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Checks:
    version: str
    checks: tuple[Check, ...]
    household_size: float


def parse(doc: dict[str, Any]) -> Checks:
    checks = []
    for raw in doc["checks"]:
        kind = str(raw["kind"])
        if kind not in KINDS:
            raise ValueError(f"plausibility check {raw['code']}: unknown kind {kind}")
        if raw.get("status") not in ("V", "P", "U"):
            raise ValueError(f"plausibility check {raw['code']}: status must be V, P or U")
        factor = float(raw.get("factor", 1.0))
        if factor <= 0:
            raise ValueError(f"plausibility check {raw['code']}: factor must be positive")
        checks.append(
            Check(
                code=str(raw["code"]), kind=kind, reported=tuple(raw["reported"]), evidence=str(raw["evidence"]),
                status=str(raw["status"]), source=str(raw["source"]), factor=factor,
                min_count=float(raw.get("min_count", 0)),
            )
        )  # fmt: skip
    return Checks(str(doc["version"]), tuple(checks), float(doc["household_size"]["value"]))


@cache
def default_checks() -> Checks:
    text = resources.files("yingji.standards").joinpath("disasters", "plausibility-2020.yaml").read_text("utf-8")
    return parse(yaml.safe_load(text))


def judge(check: Check, reported: int, evidence: float) -> str | None:
    """The reason a reported figure disagrees with the evidence under ``check``, or None."""
    if check.kind == "equal":
        return None if reported == evidence else f"reported {reported}, the evidence lists {evidence:g}"
    if check.kind == "at_most":
        limit = evidence * check.factor
        if reported > limit:
            return f"reported {reported} > {check.factor:g} × evidence {evidence:g}"
        return None
    if max(reported, evidence) < check.min_count:
        return None
    low, high = sorted((float(reported), float(evidence)))
    if low == 0 or high / low > check.factor:
        ratio = "∞" if low == 0 else f"{high / low:.1f}"
        return f"reported {reported} vs evidence {evidence:g}: {ratio}× apart (> {check.factor:g}×)"
    return None


def flags(figures: Mapping[str, int], evidence: Mapping[str, float | None], checks: Checks) -> list[Flag]:
    """Every check whose evidence is known for the division and whose reported figures are given."""
    out: list[Flag] = []
    for check in checks.checks:
        value = evidence.get(check.evidence)
        given = [name for name in check.reported if name in figures]
        if value is None or not given:
            continue
        reported = sum(int(figures[name]) for name in given)
        reason = judge(check, reported, float(value))
        if reason is not None:
            shown = {name: int(figures[name]) for name in given}
            out.append(Flag(check.code, reported, float(value), f"{check.code}: {reason} ({check.source})", shown))
    return out


def division_evidence(
    *,
    population: int | None,
    household_size: float,
    shelter_occupancy: int | None = None,
    ledger: Mapping[str, int] | None = None,
    assessment: Mapping[str, float | None] | None = None,
) -> dict[str, float | None]:
    """The evidence one division has, keyed as the checks name it."""
    out: dict[str, float | None] = {
        "division.population": population,
        "division.households": None if not population else population / household_size,
        "shelters.occupancy": shelter_occupancy,
    }
    for name, count in (ledger or {}).items():
        out[f"ledger.{name}"] = count
    for name, estimate in (assessment or {}).items():
        out[f"assessment.{name}"] = estimate
    return out
