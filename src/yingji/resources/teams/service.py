"""Rescue teams: registration and changes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.errors import InvalidInput
from yingji.resources import rules
from yingji.resources.models import (
    RescueTeam,
)
from yingji.resources.registry.service import (
    WRITE,
    _page,
    _readable,
    _registering_division,
    _writable,
    check_position,
    patch_values,
    register,
    registered_rows,
    save_patch,
)
from yingji.resources.schemas import (
    TeamIn,
    TeamPatch,
)

# -- rescue teams ---------------------------------------------------------------------------------------


def _specialty(value: str) -> str:
    if value not in rules.SPECIALTIES:
        raise InvalidInput(f"unknown specialty {value!r}; one of {', '.join(rules.SPECIALTIES)}", field="specialty")
    return value


def create_team(*, session: Session, scope: Scope, team_in: TeamIn, source: str = "") -> RescueTeam:
    """Register a rescue team: kind, specialty, headcount, capabilities, equipment, base, readiness."""
    scope.require(WRITE)
    division = _registering_division(session, scope, team_in.division_code)
    check_position(session, division, team_in.lon, team_in.lat, "team base")
    if team_in.kind == "professional" and not team_in.specialty:
        raise InvalidInput(
            "a professional team names its specialty (mine, hazmat, water, aviation …)", field="specialty"
        )
    return register(
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
    return _readable(session, scope, RescueTeam, team_id, "team")


def list_teams(
    *,
    session: Session,
    scope: Scope,
    kind: str | None = None,
    capability: str | None = None,
    readiness: str | None = None,
    division: str | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[RescueTeam], int]:
    stmt = registered_rows(session, scope, RescueTeam, division, kind=kind, readiness=readiness)
    if capability:
        rules.check_capabilities([capability])
        rows = [t for t in session.scalars(stmt.order_by(RescueTeam.id)) if capability in (t.capabilities or [])]
        end = None if limit is None else offset + limit
        return rows[offset:end], len(rows)
    return _page(session, stmt, RescueTeam.id, limit, offset)


def update_team(*, session: Session, scope: Scope, team_id: int, patch: TeamPatch) -> RescueTeam:
    """Change a team: headcount, capabilities, equipment, base, readiness."""
    team = _writable(session, scope, RescueTeam, team_id, "team")
    before = audit.snapshot(team)
    values = patch_values(session, team, patch, "team base")
    if "capabilities" in values:
        values["capabilities"] = rules.check_capabilities(values["capabilities"])
    if "specialty" in values:
        _specialty(values["specialty"])
    save_patch(session, scope, team, before, values, entity="rescue_team")
    return team
