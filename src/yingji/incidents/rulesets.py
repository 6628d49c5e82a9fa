"""Grading rule sets as versioned data, and per-jurisdiction overrides.

Each rule set is one YAML file in ``yingji/standards/incident_grading/`` (one official document and
version): a flat list of rules ``(tier, criterion, threshold)`` each with its source clause, quoted text
and V/P/U status from ``docs/sources.md``. Tier 1 is the highest level (Ⅰ级 / 特别重大),
tier 4 the lowest (Ⅳ级 / 一般). A threshold is an inclusive lower bound ("以上含本数"); the band of a
tier ends where the next higher tier's threshold begins ("以下不含本数").

County and city plans scale the national thresholds down. :func:`apply_overrides` takes the override
entries as an argument (parsed from a file or a dict with :func:`parse_overrides`) and replaces, adds or
removes thresholds of a rule set for the division whose code starts with the entry's prefix; the more
specific (longer) prefix is applied last, so a county entry wins over its city's.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml

from yingji.errors import InvalidInput
from yingji.incidents.incident_types import RuleFamily

TIERS = (1, 2, 3, 4)
RULES_PACKAGE_DIR = "incident_grading"

E = TypeVar("E", bound=StrEnum)

Outcome = Literal["grade", "response_level"]
Phase = Literal["assessed", "initial"]


class Status(StrEnum):
    """How well a number is backed (docs/sources.md)."""

    VERBATIM = "V"  # seen verbatim in a stored source
    PARTIAL = "P"  # partial / secondary / local reproduction
    UNVERIFIED = "U"  # not found in stored material: check against the official text


class Criterion(StrEnum):
    """A figure (or a figure derived from the incident's figures) that a threshold is compared with."""

    DEATHS = "deaths"  # 死亡
    DEATHS_AND_MISSING = "deaths_and_missing"  # 死亡（含失踪） / 死亡和失踪
    SERIOUS_INJURIES = "serious_injuries"  # 重伤（含急性工业中毒）
    DIRECT_LOSS_CNY = "direct_loss_cny"  # 直接经济损失（元）
    DIRECT_LOSS_SHARE_OF_PROVINCIAL_GDP = "direct_loss_share_of_provincial_gdp"  # 占上年省GDP比例
    MAGNITUDE = "magnitude"  # 震级
    RELOCATED = "relocated"  # 紧急转移安置
    NEEDING_ASSISTANCE = "needing_assistance"  # 需紧急生活救助
    RELOCATED_AND_NEEDING_ASSISTANCE = "relocated_and_needing_assistance"  # 紧急转移安置和需紧急生活救助
    COLLAPSED_ROOMS = "collapsed_rooms"  # 倒塌和严重损坏房屋（间）
    COLLAPSED_HOUSEHOLDS = "collapsed_households"  # 倒塌和严重损坏房屋（户）
    DROUGHT_NEEDING_ASSISTANCE = "drought_needing_assistance"  # 干旱需政府救助人数
    DROUGHT_NEEDING_ASSISTANCE_SHARE = "drought_needing_assistance_share"  # 占农牧业人口比例


class PopulationDensity(StrEnum):
    """Population density class of an earthquake's epicentral area (国家地震应急预案 初判)."""

    DENSE = "dense"  # 人口密集地区
    FAIRLY_DENSE = "fairly_dense"  # 人口较密集地区
    SPARSE = "sparse"  # other areas: the national plan gives no initial grade


@dataclass(frozen=True)
class Source:
    """Where a threshold comes from."""

    document: str
    clause: str
    status: Status
    text: str = ""


@dataclass(frozen=True)
class Rule:
    """One threshold: ``criterion >= threshold`` puts the incident at least at ``tier``."""

    tier: int
    criterion: Criterion
    threshold: float
    source: Source
    population_density: PopulationDensity | None = None
    phase: Phase = "assessed"

    @property
    def key(self) -> tuple[int, Criterion, PopulationDensity | None]:
        return (self.tier, self.criterion, self.population_density)

    @property
    def ladder(self) -> tuple[Criterion, PopulationDensity | None]:
        """Rules on the same ladder compete: only the highest tier reached on a ladder fires."""
        return (self.criterion, self.population_density)


@dataclass(frozen=True)
class RuleSet:
    id: str
    family: RuleFamily
    outcome: Outcome
    title: str
    document: str
    in_force: dt.date
    rules: tuple[Rule, ...]
    leading_government: Mapping[int, str] = field(default_factory=dict)
    incomplete: bool = False
    not_encoded: tuple[str, ...] = ()
    overrides_applied: tuple[str, ...] = ()  # division prefixes whose overrides changed this set

    @property
    def version(self) -> str:
        """The id reported as ``rules_version``: the set's id, plus ``+<prefix>`` per applied override."""
        return self.id + "".join(f"+{prefix}" for prefix in self.overrides_applied)

    @property
    def has_initial_phase(self) -> bool:
        return any(rule.phase == "initial" for rule in self.rules)


# --- loading ---------------------------------------------------------------------------------------------


def _bad(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}")


def _as_date(value: Any, where: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise _bad(where, f"in_force {value!r} is not a date") from None


def _threshold(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _bad(where, f"threshold {value!r} is not a number")
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise _bad(where, f"threshold {value!r} must be a finite number >= 0")
    return number


def _tier(value: Any, where: str) -> int:
    if value not in TIERS or isinstance(value, bool):
        raise _bad(where, f"tier {value!r} must be one of 1, 2, 3, 4")
    return int(value)


def _enum(kind: type[E], value: Any, where: str) -> E:
    try:
        return kind(value)
    except ValueError:
        raise _bad(where, f"unknown {kind.__name__} {value!r}") from None


def _rule(raw: Mapping[str, Any], document: str, where: str) -> Rule:
    density = raw.get("population_density")
    phase = raw.get("phase", "assessed")
    if phase not in ("assessed", "initial"):
        raise _bad(where, f"phase {phase!r} must be 'assessed' or 'initial'")
    criterion = _enum(Criterion, raw.get("criterion"), where)
    if (criterion is Criterion.MAGNITUDE) != (density is not None):
        raise _bad(where, "magnitude rules, and only they, name a population_density")
    return Rule(
        tier=_tier(raw.get("tier"), where),
        criterion=criterion,
        threshold=_threshold(raw.get("threshold"), where),
        source=Source(
            document=str(raw.get("document", document)),
            clause=str(raw.get("clause", "")),
            status=_enum(Status, raw.get("status"), where),
            text=str(raw.get("text", "")),
        ),
        population_density=None if density is None else _enum(PopulationDensity, density, where),
        phase=phase,
    )


def check_ladders(rules: Iterable[Rule], where: str) -> None:
    """Each ladder (criterion, density) has at most one rule per tier, and a higher tier (smaller number)
    needs a strictly larger figure — otherwise the bands overlap or are empty."""
    seen: dict[tuple[int, Criterion, PopulationDensity | None], Rule] = {}
    for rule in rules:
        if rule.key in seen:
            raise _bad(where, f"two rules for tier {rule.tier} on {rule.criterion.value}")
        seen[rule.key] = rule
    for (tier, criterion, density), rule in seen.items():
        for other_tier in TIERS:
            other = seen.get((other_tier, criterion, density))
            if other is not None and other_tier < tier and not other.threshold > rule.threshold:
                raise _bad(
                    where,
                    f"{criterion.value}: tier {other_tier} threshold {other.threshold:g} is not above "
                    f"tier {tier} threshold {rule.threshold:g}",
                )


def parse_rule_set(data: Mapping[str, Any], where: str = "rule set") -> RuleSet:
    """A :class:`RuleSet` from the mapping of one YAML file; a malformed file is a ``ValueError``."""
    try:
        rule_set_id = str(data["id"])
        family = _enum(RuleFamily, data["family"], where)
        outcome = data["outcome"]
        document = str(data["document"])
        raw_rules = data["rules"]
    except KeyError as missing:
        raise _bad(where, f"missing key {missing}") from None
    if outcome not in ("grade", "response_level"):
        raise _bad(where, f"outcome {outcome!r} must be 'grade' or 'response_level'")
    rules = tuple(_rule(raw, document, f"{where} rule {i}") for i, raw in enumerate(raw_rules))
    check_ladders(rules, where)
    leading = data.get("leading_government") or {}
    return RuleSet(
        id=rule_set_id,
        family=family,
        outcome=outcome,
        title=str(data.get("title", document)),
        document=document,
        in_force=_as_date(data.get("in_force"), where),
        rules=rules,
        leading_government={int(k): str(v) for k, v in (leading.get("by_tier") or {}).items()},
        incomplete=bool(data.get("incomplete", False)),
        not_encoded=tuple(str(item) for item in data.get("not_encoded") or ()),
    )


@cache
def available_rule_sets() -> dict[str, RuleSet]:
    """Every packaged rule set, by id."""
    folder = resources.files("yingji.standards").joinpath(RULES_PACKAGE_DIR)
    found: dict[str, RuleSet] = {}
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".yaml"):
            rule_set = parse_rule_set(yaml.safe_load(entry.read_text(encoding="utf-8")), entry.name)
            found[rule_set.id] = rule_set
    return found


def default_rule_set(family: RuleFamily) -> RuleSet:
    """The newest national version for ``family`` (latest ``in_force``)."""
    candidates = [rs for rs in available_rule_sets().values() if rs.family is family]
    if not candidates:
        raise InvalidInput(f"no rule set for {family.value}", parameter="rules_version")
    return max(candidates, key=lambda rs: rs.in_force)


def resolve_rule_set(family: RuleFamily, version: str | None) -> RuleSet:
    """The rule set for ``family`` named ``version`` — a full id (``relief-2016``) or, within the family,
    just its year (``2016``); ``None`` means the newest."""
    if version is None:
        return default_rule_set(family)
    sets = available_rule_sets()
    of_family = {rs.id: rs for rs in sets.values() if rs.family is family}
    if version in of_family:
        return of_family[version]
    by_year = [rs for rs in of_family.values() if rs.id.endswith(f"-{version}")]
    if len(by_year) == 1:
        return by_year[0]
    known = ", ".join(sorted(of_family)) or "none"
    if version in sets:
        detail = f"rules version {version!r} is for {sets[version].family.value}, not {family.value}"
    else:
        detail = f"unknown rules version {version!r}"
    raise InvalidInput(f"{detail}; for {family.value} use one of: {known}", parameter="rules_version")


# --- overrides -------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThresholdOverride:
    """Replace (or, with ``threshold=None``, remove) the rule at ``(tier, criterion, density)``; a key the
    rule set lacks is added."""

    tier: int
    criterion: Criterion
    threshold: float | None
    source: Source
    population_density: PopulationDensity | None = None

    @property
    def key(self) -> tuple[int, Criterion, PopulationDensity | None]:
        return (self.tier, self.criterion, self.population_density)


@dataclass(frozen=True)
class JurisdictionOverride:
    """A local plan's thresholds for the divisions whose code starts with ``division_prefix``.
    ``applies_to`` is a rule-set id or a family name (then it applies to every version of the family)."""

    division_prefix: str
    applies_to: str
    document: str
    thresholds: tuple[ThresholdOverride, ...]

    def matches(self, rule_set: RuleSet, division_code: str) -> bool:
        return division_code.startswith(self.division_prefix) and self.applies_to in (
            rule_set.id,
            rule_set.family.value,
        )


def _threshold_override(raw: Mapping[str, Any], document: str, status: Any, where: str) -> ThresholdOverride:
    criterion = _enum(Criterion, raw.get("criterion"), where)
    density = raw.get("population_density")
    threshold = raw.get("threshold")
    return ThresholdOverride(
        tier=_tier(raw.get("tier"), where),
        criterion=criterion,
        threshold=None if threshold is None else _threshold(threshold, where),
        source=Source(
            document=str(raw.get("document", document)),
            clause=str(raw.get("clause", "")),
            status=_enum(Status, raw.get("status", status), where),
            text=str(raw.get("text", "")),
        ),
        population_density=None if density is None else _enum(PopulationDensity, density, where),
    )


def parse_overrides(data: Mapping[str, Any] | Sequence[Mapping[str, Any]]) -> tuple[JurisdictionOverride, ...]:
    """Override entries from ``{"overrides": [...]}`` or a bare list; see ``docs/incidents.md``."""
    entries = data.get("overrides", []) if isinstance(data, Mapping) else data
    parsed: list[JurisdictionOverride] = []
    for i, entry in enumerate(entries):
        where = f"override {i}"
        prefix = str(entry.get("division_prefix", ""))
        if not prefix.isdigit():
            raise InvalidInput(f"{where}: division_prefix {prefix!r} must be digits", parameter="overrides")
        document = str(entry.get("document", f"local plan of division {prefix}"))
        try:
            thresholds = tuple(
                _threshold_override(raw, document, entry.get("status", "U"), f"{where} threshold {j}")
                for j, raw in enumerate(entry.get("thresholds") or ())
            )
        except ValueError as error:
            raise InvalidInput(str(error), parameter="overrides") from None
        applies_to = entry.get("applies_to")
        if not applies_to:
            raise InvalidInput(f"{where}: applies_to (rule-set id or family) is required", parameter="overrides")
        parsed.append(JurisdictionOverride(prefix, str(applies_to), document, thresholds))
    return tuple(parsed)


def load_overrides_file(path: Path) -> tuple[JurisdictionOverride, ...]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise InvalidInput(f"overrides: cannot read {path}: {error}", parameter="overrides") from None
    if not isinstance(data, Mapping | list):
        raise InvalidInput(f"overrides: {path} holds no override list", parameter="overrides")
    return parse_overrides(data)


def apply_overrides(rule_set: RuleSet, overrides: Sequence[JurisdictionOverride], division_code: str | None) -> RuleSet:
    """``rule_set`` with the thresholds of every override entry that matches ``division_code``, applied
    from the shortest prefix (province) to the longest (county). No division, or no match: unchanged."""
    if not division_code:
        return rule_set
    if not division_code.isdigit():
        raise InvalidInput(f"division {division_code!r} must be a numeric division code", parameter="division")
    matching = sorted(
        (o for o in overrides if o.matches(rule_set, division_code)), key=lambda o: len(o.division_prefix)
    )
    if not matching:
        return rule_set
    by_key = {rule.key: rule for rule in rule_set.rules}
    for entry in matching:
        for change in entry.thresholds:
            if change.threshold is None:
                by_key.pop(change.key, None)
                continue
            phase: Phase = "initial" if change.criterion is Criterion.MAGNITUDE else "assessed"
            by_key[change.key] = Rule(**vars(change), phase=phase)  # an override carries a rule's fields
    rules = tuple(sorted(by_key.values(), key=lambda r: (r.phase, r.tier, r.criterion.value)))
    try:
        check_ladders(rules, f"{rule_set.id} with overrides for {division_code}")
    except ValueError as error:
        raise InvalidInput(str(error), parameter="overrides") from None
    return replace(rule_set, rules=rules, overrides_applied=tuple(o.division_prefix for o in matching))
