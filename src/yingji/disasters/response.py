"""The relief response level that roll-up totals trigger (pure), through Command's grading rules.

The national natural-disaster relief plan (国家自然灾害救助应急预案) counts per province (一省), so a
province's totals are graded with the newest national relief rule set of ``yingji.incidents``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from yingji.incidents import grading, rulesets
from yingji.incidents.incident_types import RuleFamily


def relief_figures(totals: Mapping[str, int]) -> grading.Figures:
    """The grading figures a province's totals give. Collapsed counts add severely damaged houses (倒塌和严重
    损坏房屋), as the plan's criterion reads."""

    def get(name: str) -> int | None:
        return totals.get(name)

    def plus(a: str, b: str) -> int | None:
        known = [totals[n] for n in (a, b) if n in totals]
        return sum(known) if known else None

    return grading.Figures(
        deaths=get("deaths"),
        missing=get("missing"),
        relocated=get("relocated"),
        needing_assistance=get("needing_assistance"),
        collapsed_rooms=plus("houses_collapsed_rooms", "houses_severe_rooms"),
        collapsed_households=plus("houses_collapsed_households", "houses_severe_households"),
    )


def relief_response(totals: Mapping[str, int]) -> dict[str, Any]:
    """The response level (1 = Ⅰ级 … 4, or None) and the rules that fired, with their sources."""
    rule_set = rulesets.default_rule_set(RuleFamily.NATURAL_DISASTER_RELIEF)
    result = grading.grade(rule_set, relief_figures(totals))
    return {
        "response_level": result.response_level,
        "rules_version": result.rules_version,
        "basis": [rule.as_dict() for rule in result.basis],
    }
