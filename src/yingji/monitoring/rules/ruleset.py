"""Rule definitions: the YAML a bureau writes, validated with pydantic into typed rules.

The file form (``docs/monitoring.md`` documents every field)::

    rules:
      - id: ch4-high            # unique
        sensors: "M1-CH4-*"     # glob over sensor_id
        kind: limit             # limit | rate | window | stale | flatline | compound | rollup
        high: 1.0               # and/or low:
        deadband: 0.1           # clears when value < high - deadband
        on_delay_s: 0
        off_delay_s: 0
        priority: high          # high | medium | low
      - use: coal-methane-coal-face   # a template from yingji/standards/monitoring_rule_templates.yaml
        sensors: "M2-T1-*"
        prefix: "m2-"
"""

from __future__ import annotations

import importlib.resources
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError, model_validator

from yingji.errors import InvalidInput
from yingji.monitoring.registry import read_yaml

Priority = Literal["high", "medium", "low"]
Colour = Literal["blue", "yellow", "orange", "red"]
COLOURS: tuple[Colour, ...] = ("blue", "yellow", "orange", "red")
# Priority of an alarm whose rule names only a colour (ISA-18.2 asks for few high alarms, §2 of the
# monitoring reference: ~5 % high / 15 % medium / 80 % low).
COLOUR_PRIORITY: dict[str, Priority] = {"blue": "low", "yellow": "medium", "orange": "high", "red": "high"}


class _Rule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=120)
    priority: Priority | None = None
    colour: Colour | None = None
    title: str | None = None

    @property
    def effective_priority(self) -> Priority:
        if self.priority is not None:
            return self.priority
        return COLOUR_PRIORITY[self.colour] if self.colour else "medium"


class _PointRule(_Rule):
    sensors: str = Field(default="*", min_length=1)


class _Thresholds(_PointRule):
    high: float | None = None
    low: float | None = None
    deadband: float = Field(default=0.0, ge=0)
    on_delay_s: float = Field(default=0.0, ge=0)
    off_delay_s: float = Field(default=0.0, ge=0)

    @model_validator(mode="after")
    def _needs_a_limit(self) -> _Thresholds:
        if self.high is None and self.low is None:
            raise ValueError(f"rule {self.id!r}: give `high`, `low` or both")
        if self.high is not None and self.low is not None and self.low >= self.high:
            raise ValueError(f"rule {self.id!r}: `low` ({self.low}) must be below `high` ({self.high})")
        return self


class LimitRule(_Thresholds):
    """In alarm when value ≥ high or ≤ low; clears below high − deadband / above low + deadband."""

    kind: Literal["limit"]


class RateRule(_Thresholds):
    """Limit on the rate of change between consecutive readings, in units per ``per_s`` seconds."""

    kind: Literal["rate"]
    per_s: float = Field(default=60.0, gt=0)


class WindowRule(_Thresholds):
    """Limit on an aggregate of the trailing window (t − window_s, t] (e.g. 1-h or 24-h rainfall)."""

    kind: Literal["window"]
    agg: Literal["sum", "mean", "max", "min"] = "sum"
    # Readings carry millisecond times: a shorter window would hold nothing (and broke the max/min search).
    window_s: float = Field(ge=0.001)


class StaleRule(_PointRule):
    """No reading for ``timeout_s``: raised at last reading + timeout, cleared by the next reading."""

    kind: Literal["stale"]
    timeout_s: float = Field(gt=0)


class FlatlineRule(_PointRule):
    """Value unchanged (consecutive differences ≤ tolerance) for at least ``duration_s``."""

    kind: Literal["flatline"]
    duration_s: float = Field(gt=0)
    tolerance: float = Field(default=0.0, ge=0)


class Condition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: str
    sensors: str = "*"


class CompoundRule(_Rule):
    """AND (``all``) / OR (``any``) over point-rule alarms of one site; the alarm's sensor is the site."""

    kind: Literal["compound"]
    site: str = Field(min_length=1)
    op: Literal["all", "any"] = "all"
    conditions: list[Condition] = Field(min_length=1)


# GB 50863 §5.5 (tailings dams, monitoring reference §4): 4 blue points → yellow, 3 yellow → orange,
# 2 orange → red.
_GB50863_ESCALATION: dict[Colour, int] = {"blue": 4, "yellow": 3, "orange": 2}


class RollupRule(_Rule):
    """Site level from its points' colours: a point's own colour, raised one step when ``escalate``
    says so (GB 50863 tailings practice: 4 blue points → yellow, 3 yellow → orange, 2 orange → red)."""

    kind: Literal["rollup"]
    site: str = Field(min_length=1)
    sensors: str = "*"
    rules: list[str] | None = None
    escalate: dict[Colour, int] = Field(default_factory=lambda: dict(_GB50863_ESCALATION))


Rule = Annotated[
    LimitRule | RateRule | WindowRule | StaleRule | FlatlineRule | CompoundRule | RollupRule,
    Field(discriminator="kind"),
]
PointRule = LimitRule | RateRule | WindowRule | StaleRule | FlatlineRule
_RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)


class TemplateUse(BaseModel):
    """Instantiate a shipped template: its rules with ``sensors`` replaced and ids prefixed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    use: str
    sensors: str = "*"
    prefix: str = ""
    site: str | None = None  # replaces the placeholder site of a template's site rules


class RuleSet(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[Rule]

    @model_validator(mode="after")
    def _consistent(self) -> RuleSet:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice; ids must be unique")
            seen.add(rule.id)
        point_ids = {r.id for r in self.rules if not isinstance(r, CompoundRule | RollupRule)}
        for rule in self.rules:
            refs = [c.rule for c in rule.conditions] if isinstance(rule, CompoundRule) else []
            if isinstance(rule, RollupRule):
                refs = list(rule.rules or [])
            for ref in refs:
                if ref not in point_ids:
                    raise ValueError(f"rule {rule.id!r} refers to {ref!r}, which is not a point rule here")
        return self

    @property
    def point_rules(self) -> list[PointRule]:
        return [r for r in self.rules if not isinstance(r, CompoundRule | RollupRule)]

    @property
    def site_rules(self) -> list[CompoundRule | RollupRule]:
        return [r for r in self.rules if isinstance(r, CompoundRule | RollupRule)]


def load_templates() -> dict[str, dict[str, Any]]:
    """The shipped rule templates (Chinese practice), keyed by template id."""
    text = (
        importlib.resources.files("yingji.standards")
        .joinpath("monitoring_rule_templates.yaml")
        .read_text(encoding="utf-8")
    )
    data = yaml.safe_load(text)
    return {t["id"]: t for t in data["templates"]}


def _expand(entry: Mapping[str, Any], templates: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    use = TemplateUse.model_validate(entry)
    if use.use not in templates:
        known = ", ".join(sorted(templates))
        raise ValueError(f"unknown template {use.use!r} (known: {known})")
    rules = []
    for rule in templates[use.use]["rules"]:
        spec = dict(rule)
        spec["id"] = use.prefix + spec["id"]
        if spec.get("kind") != "compound":
            spec["sensors"] = use.sensors
        if "site" in spec and use.site is not None:
            spec["site"] = use.site
        rules.append(spec)
    return rules


@cache
def _shipped_templates() -> dict[str, dict[str, Any]]:
    return load_templates()


def template_rules(data: Any, templates: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, str]:
    """Which shipped template rule each rule of a rules document instantiates: ``{rule id: template rule
    id}`` (``br1-lel-level1`` → ``lel-level1``), so a page can name the rule from the message catalogue.
    Rules written out in full, and anything it cannot read, are left out."""
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), Sequence):
        return {}
    known = templates if templates is not None else _shipped_templates()
    out: dict[str, str] = {}
    for entry in data["rules"]:
        if not isinstance(entry, Mapping) or entry.get("use") not in known:
            continue
        prefix = str(entry.get("prefix") or "")
        for rule in known[entry["use"]].get("rules", []):
            out[prefix + str(rule["id"])] = str(rule["id"])
    return out


def _describe(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(p) for p in item["loc"])
        parts.append(f"{where}: {item['msg']}" if where else item["msg"])
    return "; ".join(parts)


def parse_ruleset(data: Any) -> RuleSet:
    """Validate a decoded rules document (templates expanded); errors are ``InvalidInput``."""
    if not isinstance(data, Mapping) or not isinstance(data.get("rules"), Sequence):
        raise InvalidInput("rules file: expected a mapping with a `rules:` list")
    expanded: list[Any] = []
    templates: dict[str, dict[str, Any]] | None = None
    try:
        for index, entry in enumerate(data["rules"]):
            if isinstance(entry, Mapping) and "use" in entry:
                templates = templates if templates is not None else load_templates()
                try:
                    expanded.extend(_expand(entry, templates))
                except ValidationError as exc:
                    raise ValueError(f"rules.{index}: {_describe(exc)}") from exc
            else:
                expanded.append(entry)
        rules = []
        for index, entry in enumerate(expanded):
            try:
                rules.append(_RULE_ADAPTER.validate_python(entry))
            except ValidationError as exc:
                name = entry.get("id", index) if isinstance(entry, Mapping) else index
                raise ValueError(f"rule {name}: {_describe(exc)}") from exc
        return RuleSet(rules=rules)
    except ValidationError as exc:
        raise InvalidInput(f"rules file: {_describe(exc)}") from exc
    except ValueError as exc:
        raise InvalidInput(f"rules file: {exc}") from exc


def load_ruleset(path: Path) -> RuleSet:
    """Read and validate a rules YAML file."""
    return parse_ruleset(read_yaml(path, "rules file"))
