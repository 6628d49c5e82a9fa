"""Rescue teams: registration and changes."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.errors import InvalidInput
from yingji.resources import rules
from yingji.resources.models import RescueTeam
from yingji.resources.registry import service as registry
from yingji.resources.schemas import TeamIn, TeamPatch

# -- rescue teams ---------------------------------------------------------------------------------------


def _specialty(value: str) -> str:
    if value not in rules.SPECIALTIES:
        raise InvalidInput(f"unknown specialty {value!r}; one of {', '.join(rules.SPECIALTIES)}", field="specialty")
    return value


def create_team(*, session: Session, scope: Scope, team_in: TeamIn, source: str = "") -> RescueTeam:
    """Register a rescue team: kind, specialty, headcount, capabilities, equipment, base, readiness."""
    scope.require(registry.WRITE)
    division = registry.registering_division(session, scope, team_in.division_code)
    registry.check_position(session, division, team_in.lon, team_in.lat, "team base")
    if team_in.kind == "professional" and not team_in.specialty:
        raise InvalidInput(
            "a professional team names its specialty (mine, hazmat, water, aviation …)", field="specialty"
        )
    return registry.register(
        session,
        scope,
        RescueTeam,
        division,
        entity="rescue_team",
        source=source,
        **team_in.model_dump(exclude={"division_code", "capabilities", "specialty"}),
        specialty=_specialty(team_in.specialty),
        capabilities=rules.check_capabilities(team_in.capabilities),
    )


def get_team(*, session: Session, scope: Scope, team_id: int) -> RescueTeam:
    """One rescue team."""
    return registry.readable(session, scope, RescueTeam, team_id, "team")


_TEAMS = registry.registered(RescueTeam, "kind", "readiness")


def list_teams(
    *, session: Session, scope: Scope, limit: int | None = 100, offset: int = 0, **given: Any
) -> tuple[list[RescueTeam], int]:
    """Teams the caller may read (filters: kind, readiness, division — see ``registry.registered``); the filter
    ``capability`` keeps those that list it."""
    capability: str | None = given.pop("capability", None)
    stmt = _TEAMS.query(session, scope, given)
    if not capability:
        return registry.paged(session, stmt, RescueTeam.id, limit, offset)
    rules.check_capabilities([capability])
    rows = [t for t in session.scalars(stmt.order_by(RescueTeam.id)) if capability in (t.capabilities or [])]
    end = None if limit is None else offset + limit
    return rows[offset:end], len(rows)


def update_team(*, session: Session, scope: Scope, team_id: int, patch: TeamPatch) -> RescueTeam:
    """Change a team: headcount, capabilities, equipment, base, readiness."""
    team = registry.writable(session, scope, RescueTeam, team_id, "team")
    before = audit.snapshot(team)
    values = registry.patch_values(session, team, patch, "team base")
    if "capabilities" in values:
        values["capabilities"] = rules.check_capabilities(values["capabilities"])
    if "specialty" in values:
        _specialty(values["specialty"])
    registry.save_patch(session, scope, team, before, values, entity="rescue_team")
    return team
