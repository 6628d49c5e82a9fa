"""The natural-disaster statistics regime (自然灾害情况统计调查制度, 应急〔2020〕19号) as data (pure).

Indicators, report types, deadlines and validation rules are read from ``standards/disasters/*.yaml``;
each entry carries its source and a V/P/U status. Nothing here touches a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import TypeAdapter, ValidationError

REPORT_TYPES: tuple[str, ...] = ("initial", "follow_up", "verified")  # 初报, 续报, 核报
Status = Literal["V", "P", "U"]  # the legend of docs/sources.md
RULE_KINDS: frozenset[str] = frozenset({"sum_le", "jump", "children_sum_eq"})


class RegimeDataError(ValueError):
    """A regime data file that does not hold together (caught by tests and at load)."""


@dataclass(frozen=True)
class Indicator:
    code: str
    zh: str
    en: str
    unit: str
    definition: str
    reports: tuple[str, ...]
    status: Status
    part_of: str | None = None
    rooms: str | None = None


@dataclass(frozen=True)
class Deadline:
    report: str
    kind: str
    from_level: str
    to_level: str
    status: Status
    source: str
    within_hours: float | None = None
    within_working_days: int | None = None
    daily_local_time: str | None = None
    every_days: int | None = None


@dataclass(frozen=True)
class Rule:
    code: str
    kind: str
    status: Status
    source: str
    parts: tuple[str, ...] = ()
    total: str | None = None
    ratio: float | None = None
    indicators: tuple[str, ...] = ()


@dataclass(frozen=True)
class Regime:
    code: str
    document: str
    revision_note: str
    statistical_unit: str
    reporting_unit: str
    indicators: tuple[Indicator, ...]
    deadlines: tuple[Deadline, ...]
    rules: tuple[Rule, ...]

    def indicator(self, code: str) -> Indicator:
        for ind in self.indicators:
            if ind.code == code:
                return ind
        raise KeyError(code)

    @property
    def indicator_codes(self) -> tuple[str, ...]:
        return tuple(i.code for i in self.indicators)

    def deadlines_for(self, report: str, kind: str) -> tuple[Deadline, ...]:
        """The deadlines of a report type for a disaster kind: kind-specific entries replace ``any`` ones
        for the same hop (from → to)."""
        specific = [d for d in self.deadlines if d.report == report and d.kind == kind]
        hops = {(d.from_level, d.to_level) for d in specific}
        general = [d for d in self.deadlines if d.report == report and d.kind == "any"]
        return tuple(specific + [d for d in general if (d.from_level, d.to_level) not in hops])

    def rule(self, code: str) -> Rule:
        for r in self.rules:
            if r.code == code:
                return r
        raise KeyError(code)


def parse_regime(regime_doc: dict[str, Any], rules_doc: dict[str, Any]) -> Regime:
    """Build and check a regime from its two documents (the indicators/deadlines file and the rules file)."""
    doc = {
        **regime_doc["regime"],
        **{k: regime_doc[k] for k in ("indicators", "deadlines")},
        "rules": rules_doc["rules"],
    }
    try:
        regime = _REGIME.validate_python(doc)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(part) for part in problem["loc"])
        raise RegimeDataError(f"{where}: {problem['msg']}") from None
    _check(regime)
    return regime


def _check(regime: Regime) -> None:
    codes = regime.indicator_codes
    if len(set(codes)) != len(codes):
        raise RegimeDataError("indicator codes repeat")
    known = set(codes)
    for ind in regime.indicators:
        if not set(ind.reports) <= set(REPORT_TYPES) or not ind.reports:
            raise RegimeDataError(f"indicator {ind.code}: unknown report type in {ind.reports}")
        for ref in (ind.part_of, ind.rooms):
            if ref is not None and ref not in known:
                raise RegimeDataError(f"indicator {ind.code}: refers to unknown indicator {ref}")
    for d in regime.deadlines:
        if d.report not in REPORT_TYPES:
            raise RegimeDataError(f"deadline: unknown report type {d.report}")
    for rule in regime.rules:
        if rule.kind not in RULE_KINDS:
            raise RegimeDataError(f"rule {rule.code}: unknown kind {rule.kind}")
        refs = [*rule.parts, *rule.indicators, *([rule.total] if rule.total else [])]
        if unknown := [r for r in refs if r not in known]:
            raise RegimeDataError(f"rule {rule.code}: unknown indicators {unknown}")
        if rule.kind == "sum_le" and (not rule.parts or rule.total is None):
            raise RegimeDataError(f"rule {rule.code}: sum_le needs parts and a total")
        if rule.kind == "jump" and (rule.ratio is None or rule.ratio <= 0):
            raise RegimeDataError(f"rule {rule.code}: jump needs a positive ratio")


_REGIME = TypeAdapter(Regime)


@cache
def default_regime() -> Regime:
    """The packaged 2020 regime."""
    folder = resources.files("yingji.standards").joinpath("disasters")
    regime_doc = yaml.safe_load(folder.joinpath("regime-2020.yaml").read_text(encoding="utf-8"))
    rules_doc = yaml.safe_load(folder.joinpath("validation-rules-2020.yaml").read_text(encoding="utf-8"))
    return parse_regime(regime_doc, rules_doc)
