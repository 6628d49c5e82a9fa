"""Per-jurisdiction grading overrides kept in the database.

County and city plans scale the national thresholds down (``rulesets.py`` holds the pure rules). An entry
is registered for one division and applies to every incident whose division lies in that division's
subtree; entries of the province, the city and the county all apply, the deeper one winning key by key
(``rulesets.apply_overrides``). An entry is checked against the rule set it names before it is stored, so a
broken ladder (a lower tier with a higher threshold than a higher one) is refused, never stored.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import paginate
from yingji.errors import InvalidInput
from yingji.geo.codes import PREFIX_LENGTH, level_of, prefix
from yingji.incidents.incident_types import RuleFamily
from yingji.incidents.models import GradingOverride
from yingji.incidents.rulesets import (
    JurisdictionOverride,
    RuleSet,
    apply_overrides,
    available_rule_sets,
    default_rule_set,
    parse_overrides,
)
from yingji.incidents.schemas import GradingOverrideIn


def division_prefix(code: str) -> str:
    """The digits every code of ``code``'s subtree shares (``540223000000`` → ``540223``)."""
    return prefix(code, level_of(code))


def _entry(row: GradingOverride | GradingOverrideIn) -> dict[str, Any]:
    thresholds = [
        {k: v for k, v in (t if isinstance(t, dict) else t.model_dump()).items() if v is not None}
        for t in row.thresholds
    ]
    return {
        "division_prefix": division_prefix(row.division_code),
        "applies_to": row.applies_to,
        "document": row.document,
        "status": row.status,
        "thresholds": thresholds,
    }


def _rule_sets_for(applies_to: str) -> list[RuleSet]:
    sets = available_rule_sets()
    if applies_to in sets:
        return [sets[applies_to]]
    matching = [s for s in sets.values() if s.family.value == applies_to]
    if not matching:
        known = sorted({*sets, *(s.family.value for s in sets.values())})
        raise InvalidInput(
            f"applies_to {applies_to!r} names no rule set or family (known: {', '.join(known)})", parameter="applies_to"
        )
    return matching


def add(*, session: Session, scope: Scope, body: GradingOverrideIn) -> GradingOverride:
    """Register a local plan's thresholds for a division in the caller's subtree (checked first)."""
    scope.require("incidents:command")
    scope.require_write(body.division_code, "division")
    entry = _entry(body)
    parsed = parse_overrides([entry])
    for rule_set in _rule_sets_for(body.applies_to):
        apply_overrides(rule_set, parsed, body.division_code)  # refuses a broken ladder (InvalidInput)
    row = GradingOverride(
        division_code=body.division_code,
        applies_to=body.applies_to,
        document=body.document,
        status=body.status,
        thresholds=entry["thresholds"],
        active=True,
        created_by=scope.actor,
    )
    audit.created(session, scope, row, entity="grading_override", division_code=body.division_code)
    return row


_ROWS = access.RuleRows(GradingOverride, "grading_override", "grading override", "incidents:read", "incidents:command")


def get(*, session: Session, scope: Scope, override_id: int) -> GradingOverride:
    return _ROWS.get(session=session, scope=scope, row_id=override_id)


def retire(*, session: Session, scope: Scope, override_id: int) -> GradingOverride:
    """Stop applying an entry (kept, with the time it was retired)."""
    return _ROWS.retire(session=session, scope=scope, row_id=override_id)


def list_overrides(
    *, session: Session, scope: Scope, limit: int | None, offset: int = 0, active_only: bool = True
) -> tuple[list[GradingOverride], int]:
    """The entries the caller may read: their subtree's and their ancestors' (which apply to them too)."""
    stmt = access.readable_rows(scope, GradingOverride, "incidents:read")
    if active_only:
        stmt = stmt.where(GradingOverride.active.is_(True))
    return paginate(session, stmt, GradingOverride.division_code, GradingOverride.id, limit=limit, offset=offset)


def _chain(code: str) -> list[str]:
    """``code`` and the 12-digit codes of the province, prefecture, county and township it lies in (the
    divisions whose entries can apply to it), read off the code itself (GB/T 2260 codes nest)."""
    return sorted({code, *(code[:n].ljust(12, "0") for n in PREFIX_LENGTH.values() if 0 < n < 12)})


def for_division(session: Session, code: str) -> tuple[JurisdictionOverride, ...]:
    """The active entries that apply to incidents of division ``code``."""
    rows = session.scalars(
        select(GradingOverride).where(GradingOverride.active.is_(True), GradingOverride.division_code.in_(_chain(code)))
    ).all()
    return parse_overrides([_entry(row) for row in rows]) if rows else ()


def rule_set_for(session: Session, family: RuleFamily, code: str) -> RuleSet:
    """The rule set grading an incident of ``family`` in division ``code``: the newest national one with the
    division's overrides applied."""
    rule_set = default_rule_set(family)
    overrides = for_division(session, code)
    return apply_overrides(rule_set, overrides, code) if overrides else rule_set
