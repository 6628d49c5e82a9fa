"""The event's totals side by side with other evidence, and the plausibility flags the reviewer sees.

Evidence: the newest earthquake assessment attached to the event's linked incident (expected deaths and
displaced people for the event's area, people at intensity VI+ per division), the occupancy of open
shelters in each division (when the caller may read shelters), the division's population (and households
estimated from it) and the event's ledgers of the dead and missing. Computed at read time.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.disasters import plausibility
from yingji.disasters import service as disaster_service
from yingji.disasters.ledgers import service as ledgers
from yingji.errors import DomainError
from yingji.geo.models import Division
from yingji.quake import service as quake_service
from yingji.resources import service as resources_service


def _assessment(session: Session, scope: Scope, incident_id: int | None) -> Any:
    if incident_id is None:
        return None
    rows, _ = quake_service.list_assessments(session=session, scope=scope, incident_id=incident_id, limit=1)
    return rows[0] if rows else None


def _shelter_occupancy(session: Session, scope: Scope, codes: list[str]) -> dict[str, int] | None:
    """Occupancy of open shelters under each division (None when the caller may not read shelters)."""
    try:
        shelters, _ = resources_service.list_shelters(session=session, scope=scope, is_open=True, limit=None)
    except DomainError:
        return None
    out: dict[str, int] = {}
    for code in codes:
        stem = code.rstrip("0") or code
        out[code] = sum(s.occupancy for s in shelters if s.division_code.startswith(stem))
    return out


def evidence_for(*, session: Session, scope: Scope, event_id: int) -> dict[str, Any]:
    """Per division the caller covers in the totals: the figures, the evidence and the flags."""
    event = disaster_service.get_event(session=session, scope=scope, event_id=event_id)
    totals, _ = disaster_service.event_totals(session=session, scope=scope, event_id=event.id)
    checks = plausibility.default_checks()
    codes = list(totals)
    population = (
        dict(session.execute(select(Division.code, Division.population).where(Division.code.in_(codes))).all())
        if codes
        else {}
    )
    occupancy = _shelter_occupancy(session, scope, codes)
    ledger = ledgers.ledger_counts(session=session, scope=scope, event_id=event.id)
    ledger_by_code: dict[str, dict[str, int]] = {}
    for township, counts in ledger.items():
        for code in (township, *disaster_service.chain_of(township)):
            entry = ledger_by_code.setdefault(code, {"deaths": 0, "missing": 0})
            for name, value in counts.items():
                entry[name] += value
    assessment = _assessment(session, scope, event.incident_id)
    exposure = {
        str(r["code"]): float(r["people_vi_plus"]) for r in (assessment.exposure_by_division if assessment else [])
    }
    out: dict[str, Any] = {}
    for code, figures in totals.items():
        estimates: dict[str, float | None] = {"people_vi_plus": exposure.get(code)}
        if assessment is not None and code == event.division_code:
            estimates["expected_deaths"] = float(assessment.expected_deaths)
            displaced = (assessment.results or {}).get("displaced")
            estimates["displaced"] = None if displaced is None else float(displaced)
        evidence = plausibility.division_evidence(
            population=population.get(code),
            household_size=checks.household_size,
            shelter_occupancy=None if occupancy is None else occupancy.get(code),
            ledger=ledger_by_code.get(code),
            assessment=estimates,
        )
        out[code] = {
            "figures": figures,
            "evidence": {k: v for k, v in evidence.items() if v is not None},
            "flags": [asdict(f) for f in plausibility.flags(figures, evidence, checks)],
        }
    return {
        "event_id": event.id,
        "checks_version": checks.version,
        "assessment_id": None if assessment is None else assessment.id,
        "divisions": out,
    }
