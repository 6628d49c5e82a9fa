"""Digital response plans (预案) kept in the database, per jurisdiction.

A bureau stores its own plans in the ``response_plans.yaml`` entry format (``plans.py`` checks them first:
a broken plan is refused, never stored). A plan is registered for one division and applies to incidents
whose own division lies in that division's subtree; when several divisions on the chain township → county
→ prefecture → province → nation have a plan for the incident's type, the deepest one applies, and where
none has, the packaged example plans do. A division has at most one active plan per incident type: a plan
that overlaps an active one is refused (409) unless the caller asks to replace it, which retires the old
one in the same transaction — a bureau revising its plan never has a moment without one, and never loses
a plan it did not mean to touch. Plans are retired, not deleted, so tasks created from them stay traceable.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import paginate
from yingji.errors import Conflict
from yingji.geo import service as division_service
from yingji.geo.codes import COUNTRY_CODE, PREFIX_LENGTH
from yingji.incidents import plans
from yingji.incidents.models import ResponsePlan, ResponsePlanType
from yingji.incidents.schemas import ResponsePlanIn


@dataclass(frozen=True)
class AppliedPlan:
    """The plan an activation uses: a stored one (its row and owning division) or a packaged example."""

    plan: plans.Plan
    response_plan_id: int | None = None
    division_code: str | None = None

    def describe(self) -> str:
        where = f"stored plan {self.response_plan_id} of {self.division_code}" if self.response_plan_id else "packaged"
        return f"{self.plan.title} ({self.plan.id}, {where})"


def _document(body: ResponsePlanIn) -> plans.Plan:
    """The body's plan checked by ``plans.parse_plan`` (what pydantic cannot see: repeated keys or types)."""
    raw = body.plan.model_dump(mode="json")
    return plans.parse_plan(raw)


def _active_overlaps(session: Session, division_code: str, plan: plans.Plan) -> list[ResponsePlan]:
    covers = exists().where(
        ResponsePlanType.response_plan_id == ResponsePlan.id,
        ResponsePlanType.incident_type.in_(plan.incident_types),
    )
    stmt = select(ResponsePlan).where(
        ResponsePlan.division_code == division_code,
        ResponsePlan.active.is_(True),
        or_(covers, ResponsePlan.plan_id == plan.id),
    )
    return list(session.scalars(stmt.order_by(ResponsePlan.id)))


def add(*, session: Session, scope: Scope, body: ResponsePlanIn) -> tuple[ResponsePlan, list[int]]:
    """Store a plan for a division of the caller's subtree (checked first); returns it and the ids of the
    plans it replaced (retired now; only with ``body.replace``)."""
    scope.require("incidents:command")
    scope.require_write(body.division_code, "division")
    division_service.get(session=session, scope=scope, code=body.division_code)  # exists (404 otherwise)
    plan = _document(body)
    overlapping = _active_overlaps(session, body.division_code, plan)
    if overlapping and not body.replace:
        names = ", ".join(f"{row.id} ({row.plan_id}: {', '.join(row.incident_types)})" for row in overlapping)
        raise Conflict(
            f"division {body.division_code} already has an active plan for these types or with this id: {names}; "
            "retire it first or ask to replace it",
            conflicting=[row.id for row in overlapping],
        )
    for row in overlapping:
        retire(session=session, scope=scope, response_plan_id=row.id)
    session.flush()  # the retired types leave the partial unique index before the new ones enter it
    row = ResponsePlan(
        division_code=body.division_code,
        plan_id=plan.id,
        title=plan.title,
        incident_types=list(plan.incident_types),
        document=plan.as_document(),
        active=True,
        created_by=scope.actor,
    )
    audit.created(session, scope, row, entity="response_plan", division_code=body.division_code)
    session.add_all(
        ResponsePlanType(response_plan_id=row.id, incident_type=t, division_code=row.division_code, active=True)
        for t in plan.incident_types
    )
    session.flush()
    return row, [r.id for r in overlapping]


_ROWS = access.RuleRows(ResponsePlan, "response_plan", "response plan", "incidents:read", "incidents:command")


def get(*, session: Session, scope: Scope, response_plan_id: int) -> ResponsePlan:
    return _ROWS.get(session=session, scope=scope, row_id=response_plan_id)


def retire(*, session: Session, scope: Scope, response_plan_id: int) -> ResponsePlan:
    """Stop applying a plan (kept, with the time it was retired)."""

    def retire_types(row: ResponsePlan) -> None:
        for covered in session.scalars(select(ResponsePlanType).where(ResponsePlanType.response_plan_id == row.id)):
            covered.active = False

    return _ROWS.retire(session=session, scope=scope, row_id=response_plan_id, also=retire_types)


def list_plans(
    *,
    session: Session,
    scope: Scope,
    limit: int | None,
    offset: int = 0,
    incident_type: str | None = None,
    active_only: bool = True,
) -> tuple[list[ResponsePlan], int]:
    """The plans the caller may read: their subtree's and their ancestors' (which apply to them too)."""
    stmt = access.readable_rows(scope, ResponsePlan, "incidents:read")
    if active_only:
        stmt = stmt.where(ResponsePlan.active.is_(True))
    if incident_type is not None:
        stmt = stmt.where(
            exists().where(
                ResponsePlanType.response_plan_id == ResponsePlan.id, ResponsePlanType.incident_type == incident_type
            )
        )
    return paginate(session, stmt, ResponsePlan.division_code, ResponsePlan.id, limit=limit, offset=offset)


def _chain(code: str) -> list[str]:
    """``code``, the 12-digit codes of the township, county, prefecture and province it lies in, and the
    national root: the divisions whose plans can apply to it, read off the code itself (codes nest)."""
    return sorted({code, COUNTRY_CODE, *(code[:n].ljust(12, "0") for n in PREFIX_LENGTH.values() if 0 < n < 12)})


def plan_for(session: Session, incident_type: str, division_code: str) -> AppliedPlan | None:
    """The plan an incident of ``incident_type`` whose own division is ``division_code`` activates: the
    deepest active stored plan on the division's chain, else the packaged example covering the type."""
    chain = _chain(division_code)
    # On one chain a deeper division's code is the larger string (it adds non-zero digits to its parent's).
    found = session.execute(
        select(ResponsePlanType.response_plan_id, ResponsePlanType.division_code)
        .where(
            ResponsePlanType.active.is_(True),
            ResponsePlanType.incident_type == incident_type,
            ResponsePlanType.division_code.in_(chain),
        )
        .order_by(ResponsePlanType.division_code.desc())
        .limit(1)
    ).first()
    if found is not None:
        row = session.get(ResponsePlan, found.response_plan_id)
        assert row is not None
        return AppliedPlan(plans.parse_plan(row.document), row.id, row.division_code)
    packaged = plans.plan_for(incident_type)
    return AppliedPlan(packaged) if packaged is not None else None
