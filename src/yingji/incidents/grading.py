"""Grade an incident and find its response level from the official rule sets (pure).

Rules (docs/sources.md §D2, §S1–§S3):

* thresholds are inclusive lower bounds ("以上含本数");
* any one criterion triggers ("下列情况之一"); on each criterion only the band the figure falls in fires;
* the highest triggered tier wins, and the result lists every rule that fired, with its source;
* production-safety accidents and earthquakes get a *grade* (特别重大 … 一般) and the response level /
  leading government follows it; the other natural disasters get the national relief plan's *response
  level* only (that plan has no grades);
* earthquakes: before casualty figures exist (no deaths, missing or loss share given) the initial grade
  (初判) comes from magnitude and population density; once figures exist they decide.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from yingji.errors import InvalidInput
from yingji.incidents.incident_types import IncidentType, RuleFamily, family_of
from yingji.incidents.rulesets import (
    Criterion,
    Phase,
    PopulationDensity,
    Rule,
    RuleSet,
    default_rule_set,
)

# Tier -> grade name. 突发事件应对法 (2007) 第三条: 特别重大、重大、较大和一般四级.
GRADE_OF_TIER: dict[int, str] = {
    1: "particularly_serious",  # 特别重大 (Ⅰ)
    2: "serious",  # 重大 (Ⅱ)
    3: "relatively_serious",  # 较大 (Ⅲ)
    4: "general",  # 一般 (Ⅳ)
}
GRADE_ZH: dict[str, str] = {
    "particularly_serious": "特别重大",
    "serious": "重大",
    "relatively_serious": "较大",
    "general": "一般",
}
GRADES_HIGH_TO_LOW: tuple[str, ...] = tuple(GRADE_OF_TIER[t] for t in (1, 2, 3, 4))
# The same names, with Roman numerals and warning colours, are data in standards/incident_levels.yaml
# (突发事件应对法 第三条、第四十二条); a test keeps the two in step.


@dataclass(frozen=True)
class Figures:
    """The figures of an incident that grading reads. ``None`` = not known (a rule needing it is skipped).

    ``collapsed_rooms`` / ``collapsed_households`` count collapsed *plus* severely damaged (倒塌和严重损坏).
    ``provincial_gdp_cny`` is the province's previous-year GDP (地震 1% rule); ``agricultural_population``
    the province's 农牧业人口 (drought share rule).
    """

    deaths: int | None = None
    missing: int | None = None
    serious_injuries: int | None = None
    direct_loss_cny: float | None = None
    provincial_gdp_cny: float | None = None
    magnitude: float | None = None
    population_density: PopulationDensity | None = None
    relocated: int | None = None
    needing_assistance: int | None = None
    collapsed_rooms: int | None = None
    collapsed_households: int | None = None
    drought_needing_assistance: int | None = None
    agricultural_population: int | None = None

    def __post_init__(self) -> None:
        density: object = self.population_density
        if density is not None and not isinstance(density, PopulationDensity):
            try:  # accept the plain name ("dense") from API payloads and records
                object.__setattr__(self, "population_density", PopulationDensity(str(density)))
            except ValueError:
                known = ", ".join(d.value for d in PopulationDensity)
                raise InvalidInput(
                    f"population_density must be one of {known} (got {density!r})", parameter="population_density"
                ) from None
        for spec in fields(self):
            value = getattr(self, spec.name)
            if value is None or isinstance(value, PopulationDensity):
                continue
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                raise InvalidInput(f"{spec.name} must be a finite number (got {value!r})", parameter=spec.name)
            if spec.name != "magnitude" and value < 0:
                raise InvalidInput(f"{spec.name} must not be negative (got {value!r})", parameter=spec.name)
        for name in ("provincial_gdp_cny", "agricultural_population"):
            if getattr(self, name) == 0:
                raise InvalidInput(f"{name} must be greater than 0", parameter=name)

    def given(self) -> list[str]:
        return [spec.name for spec in fields(self) if getattr(self, spec.name) is not None]


def _sum_known(*values: float | None) -> float | None:
    known = [v for v in values if v is not None]
    return float(sum(known)) if known else None


def _share(part: float | None, whole: float | None) -> float | None:
    return None if part is None or whole is None else part / whole


def criterion_value(figures: Figures, criterion: Criterion) -> float | None:
    """The figure a criterion compares, or ``None`` if the incident's figures do not give it. A sum of two
    figures is known when either is (the unknown one counts as 0)."""
    values = [getattr(figures, name) for name in _INPUTS[criterion]]
    combine = _COMBINED.get(criterion)
    if combine is not None:
        return combine(*values)
    value = values[0]  # the criterion is a figure itself (a count is compared as a float)
    return value if value is None or criterion in _AS_GIVEN else float(value)


# Which figures feed each criterion (to report figures a rule set does not use).
_INPUTS: dict[Criterion, tuple[str, ...]] = {
    Criterion.DEATHS: ("deaths",),
    Criterion.DEATHS_AND_MISSING: ("deaths", "missing"),
    Criterion.SERIOUS_INJURIES: ("serious_injuries",),
    Criterion.DIRECT_LOSS_CNY: ("direct_loss_cny",),
    Criterion.DIRECT_LOSS_SHARE_OF_PROVINCIAL_GDP: ("direct_loss_cny", "provincial_gdp_cny"),
    Criterion.MAGNITUDE: ("magnitude", "population_density"),
    Criterion.RELOCATED: ("relocated",),
    Criterion.NEEDING_ASSISTANCE: ("needing_assistance",),
    Criterion.RELOCATED_AND_NEEDING_ASSISTANCE: ("relocated", "needing_assistance"),
    Criterion.COLLAPSED_ROOMS: ("collapsed_rooms",),
    Criterion.COLLAPSED_HOUSEHOLDS: ("collapsed_households",),
    Criterion.DROUGHT_NEEDING_ASSISTANCE: ("drought_needing_assistance",),
    Criterion.DROUGHT_NEEDING_ASSISTANCE_SHARE: ("drought_needing_assistance", "agricultural_population"),
}
# Criteria derived from two figures: a sum (the unknown one counts as 0) or a share of the second.
_COMBINED: dict[Criterion, Callable[..., float | None]] = {
    Criterion.DEATHS_AND_MISSING: _sum_known,
    Criterion.DIRECT_LOSS_SHARE_OF_PROVINCIAL_GDP: _share,
    Criterion.RELOCATED_AND_NEEDING_ASSISTANCE: _sum_known,
    Criterion.DROUGHT_NEEDING_ASSISTANCE_SHARE: _share,
}
# Figures compared as given (the others, counts, as floats).
_AS_GIVEN = frozenset({Criterion.DIRECT_LOSS_CNY, Criterion.MAGNITUDE})


@dataclass(frozen=True)
class FiredRule:
    """A rule that fired: the figure reached the threshold of this tier (and not the next higher one)."""

    tier: int
    criterion: str
    threshold: float
    value: float
    document: str
    clause: str
    status: str
    text: str
    population_density: str | None = None

    @property
    def source(self) -> dict[str, str]:
        return {"document": self.document, "clause": self.clause, "status": self.status, "text": self.text}

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "tier": self.tier,
            "criterion": self.criterion,
            "threshold": _plain(self.threshold),
            "value": _plain(self.value),
            "source": self.source,
        }
        if self.population_density is not None:
            out["population_density"] = self.population_density
        return out


def _plain(number: float) -> int | float:
    """Whole numbers print as integers in JSON (200, not 200.0)."""
    return int(number) if float(number).is_integer() else number


@dataclass(frozen=True)
class GradingResult:
    incident_type: str
    family: str
    grade: str | None  # particularly_serious | serious | relatively_serious | general | None
    response_level: int | None  # 1 (Ⅰ级, highest) … 4, or None
    basis: tuple[FiredRule, ...]
    rules_version: str | None
    leading_government: str | None = None  # national | provincial | municipal | county
    phase: Phase | None = None  # earthquakes: "initial" (初判 by magnitude) or "assessed"
    warnings: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()  # figures given that this rule set does not use

    def as_dict(self) -> dict[str, Any]:
        return {
            "incident_type": self.incident_type,
            "family": self.family,
            "grade": self.grade,
            "grade_zh": GRADE_ZH.get(self.grade) if self.grade else None,
            "response_level": self.response_level,
            "leading_government": self.leading_government,
            "basis": [rule.as_dict() for rule in self.basis],
            "rules_version": self.rules_version,
            "phase": self.phase,
            "warnings": list(self.warnings),
            "ignored": list(self.ignored),
        }


def _fires(rule: Rule, figures: Figures) -> float | None:
    """The compared value if ``rule`` is reached, else ``None``."""
    if rule.population_density is not None and rule.population_density != figures.population_density:
        return None
    value = criterion_value(figures, rule.criterion)
    if value is None or value < rule.threshold:
        return None
    return value


def _phase(rule_set: RuleSet, figures: Figures) -> Phase:
    """Initial grading (by magnitude) only while no assessed figure is known (国家地震应急预案 初判)."""
    if not rule_set.has_initial_phase:
        return "assessed"
    assessed = {rule.criterion for rule in rule_set.rules if rule.phase == "assessed"}
    if any(criterion_value(figures, criterion) is not None for criterion in assessed):
        return "assessed"
    return "initial"


def fired_rules(rule_set: RuleSet, figures: Figures, phase: Phase) -> tuple[FiredRule, ...]:
    """Per ladder (criterion, density), the highest-tier rule the figure reaches; highest tiers first."""
    best: dict[tuple[Criterion, PopulationDensity | None], tuple[Rule, float]] = {}
    for rule in rule_set.rules:
        if rule.phase != phase:
            continue
        value = _fires(rule, figures)
        if value is None:
            continue
        current = best.get(rule.ladder)
        if current is None or rule.tier < current[0].tier:
            best[rule.ladder] = (rule, value)
    ordered = sorted(best.values(), key=lambda pair: (pair[0].tier, pair[0].criterion.value))
    return tuple(
        FiredRule(
            tier=rule.tier,
            criterion=rule.criterion.value,
            threshold=rule.threshold,
            value=value,
            document=rule.source.document,
            clause=rule.source.clause,
            status=rule.source.status.value,
            text=rule.source.text,
            population_density=None if rule.population_density is None else rule.population_density.value,
        )
        for rule, value in ordered
    )


def _used_figures(rule_set: RuleSet, phase: Phase) -> set[str]:
    used: set[str] = set()
    for rule in rule_set.rules:
        if rule.phase == phase:
            used.update(_INPUTS[rule.criterion])
    return used


def _warnings(rule_set: RuleSet, figures: Figures, phase: Phase) -> list[str]:
    notes: list[str] = []
    if rule_set.incomplete:
        notes.append(f"rule set {rule_set.id} is incomplete: {'; '.join(rule_set.not_encoded)}")
    if phase == "initial" and figures.population_density is PopulationDensity.SPARSE:
        notes.append("the national plan gives no initial grade for sparsely populated areas")
    if phase == "assessed" and rule_set.has_initial_phase and figures.magnitude is not None:
        notes.append("casualty figures are known, so they decide; magnitude (initial grading) not used")
    if (
        rule_set.family is RuleFamily.EARTHQUAKE
        and figures.direct_loss_cny is not None
        and figures.provincial_gdp_cny is None
    ):
        notes.append("direct loss given without provincial_gdp_cny: the 1% of provincial GDP rule was not checked")
    return notes


def grade(rule_set: RuleSet, figures: Figures, incident_type: IncidentType | None = None) -> GradingResult:
    """Grade ``figures`` with ``rule_set`` (see the module docstring for the rules)."""
    if incident_type is not None and family_of(incident_type) is not rule_set.family:
        raise InvalidInput(
            f"rules version {rule_set.id!r} grades {rule_set.family.value}, not {incident_type.value}",
            parameter="rules_version",
        )
    phase = _phase(rule_set, figures)
    if phase == "initial" and figures.magnitude is not None and figures.population_density is None:
        raise InvalidInput(
            "population_density is required to grade an earthquake by magnitude", parameter="population_density"
        )
    basis = fired_rules(rule_set, figures, phase)
    tier = min((rule.tier for rule in basis), default=None)
    used = _used_figures(rule_set, phase)
    return GradingResult(
        incident_type=(incident_type or _any_type(rule_set.family)).value,
        family=rule_set.family.value,
        grade=GRADE_OF_TIER[tier] if tier is not None and rule_set.outcome == "grade" else None,
        response_level=tier,
        basis=basis,
        rules_version=rule_set.version,
        leading_government=rule_set.leading_government.get(tier) if tier is not None else None,
        phase=phase if rule_set.has_initial_phase else None,
        warnings=tuple(_warnings(rule_set, figures, phase)),
        ignored=tuple(name for name in figures.given() if name not in used),
    )


def _any_type(family: RuleFamily) -> IncidentType:
    return next(t for t in IncidentType if family_of(t) is family)


def grade_incident(incident_type: IncidentType, figures: Figures, *, rule_set: RuleSet | None = None) -> GradingResult:
    """Grade an incident of ``incident_type``; ``rule_set`` defaults to the newest national version of its
    family. ``other`` incidents have no national rule set: no grade, no level, empty basis."""
    family = family_of(incident_type)
    if family is RuleFamily.NONE:
        if rule_set is not None:
            raise InvalidInput(
                f"incident type {incident_type.value!r} has no rule set to version", parameter="rules_version"
            )
        return GradingResult(
            incident_type=incident_type.value,
            family=family.value,
            grade=None,
            response_level=None,
            basis=(),
            rules_version=None,
            warnings=("no national grading rule set for incident type 'other'",),
            ignored=tuple(figures.given()),
        )
    return grade(rule_set or default_rule_set(family), figures, incident_type)
