"""Enforcement operations: the inspector register and recusal ties, annual plans, stored random draws (made,
listed, verified, published). Services never commit.

Scope: inspectors, plans and draws belong to a division; the caller reads and writes those in its subtree
(404 outside). Enterprises are read through the work-safety domain's services with the caller's scope.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.config import Settings
from yingji.db import rows_by, utcnow
from yingji.enforcement import beacon, plandraw
from yingji.enforcement import draw as pure_draw
from yingji.enforcement.models import Draw, Inspector, Plan, Recusal
from yingji.enforcement.schemas import DrawIn, InspectorIn, InspectorPatch, PlanIn, RecusalIn
from yingji.errors import Conflict, InvalidInput, NotFound, ServiceUnavailable
from yingji.geo import service as geo_service
from yingji.hazards.enterprises import service as enterprise_service
from yingji.hazards.installations import service as installation_service

READ, WRITE = "enforcement:read", "enforcement:write"
SEED_SOURCE = "csprng"


class DrawRefused(InvalidInput):
    code = "draw_refused"


def _new_seed() -> str:
    return secrets.token_hex(16)  # 128 bits from the system's CSPRNG


def beacon_seed(
    url: str, *, timeout_s: float = 5.0, chain: beacon.Chain | None = None, clock: Callable[[], float] = time.time
) -> Callable[[], tuple[str, str]]:
    """A seed source reading the public beacon at ``url`` when the draw is made: ``(randomness, "beacon:<round>")``.
    With ``chain``, the answer's signature, randomness and round are checked first (``beacon.check``). A beacon
    that cannot be read, or fails a check, refuses the draw (503); nothing falls back to another source."""

    def read() -> tuple[str, str]:
        import httpx

        try:
            answer = httpx.get(url, timeout=timeout_s, follow_redirects=False)
            answer.raise_for_status()
            payload = answer.json()
            number, value = beacon.check(payload, chain, clock()) if chain else beacon.parse(payload)
        except (httpx.HTTPError, ValueError) as exc:
            raise ServiceUnavailable(f"the randomness beacon could not be read: {exc}") from None
        return value, beacon.origin(number)

    return read


def seed_source_for(settings: Settings) -> Callable[[], str | tuple[str, str]]:
    """The draws' seed source: the configured beacon, else the CSPRNG."""
    if not settings.draw_beacon_url:
        return _new_seed
    chain = None
    if settings.draw_beacon_public_key:
        chain = beacon.Chain(settings.draw_beacon_public_key.lower(), settings.draw_beacon_genesis,
                             settings.draw_beacon_period_s)  # fmt: skip
    return beacon_seed(settings.draw_beacon_url, chain=chain)


# -- inspectors --------------------------------------------------------------------------------------


def get_inspector(*, session: Session, scope: Scope, inspector_id: int) -> Inspector:
    return access.get_covered(
        session=session, scope=scope, model=Inspector, row_id=inspector_id, what="inspector", permission=READ
    )


def create_inspector(*, session: Session, scope: Scope, inspector_in: InspectorIn) -> Inspector:
    scope.require(WRITE)
    scope.require_write(inspector_in.division_code, "division")
    geo_service.get_unscoped(session=session, code=inspector_in.division_code)
    if session.scalar(select(Inspector.id).where(Inspector.certificate_no == inspector_in.certificate_no)):
        raise Conflict("this certificate number is already registered")  # says nothing of where
    row = Inspector(**inspector_in.model_dump(), active=True, created_at=utcnow())
    audit.created(session, scope, row, entity="inspector", division_code=row.division_code)
    return row


def update_inspector(*, session: Session, scope: Scope, inspector_id: int, patch: InspectorPatch) -> Inspector:
    scope.require(WRITE)
    row = get_inspector(session=session, scope=scope, inspector_id=inspector_id)
    before = {"unit": row.unit, "active": row.active}
    for field, value in patch.model_dump(exclude_none=True).items():
        setattr(row, field, value)
    after = {"unit": row.unit, "active": row.active}
    audit.acted(session, scope, row, entity="inspector", action="update", before=before, after=after)
    return row


list_inspectors = access.Listing.covered(Inspector, READ, order=(Inspector.id,), equal=("active",))


def recusals_of(*, session: Session, inspector_ids: list[int]) -> dict[int, list[Recusal]]:
    return rows_by(session, Recusal.inspector_id, inspector_ids)


def add_recusal(*, session: Session, scope: Scope, inspector_id: int, recusal_in: RecusalIn) -> Recusal:
    """Tie an inspector to an enterprise (回避). The enterprise must be one the caller may see."""
    scope.require(WRITE)
    inspector = get_inspector(session=session, scope=scope, inspector_id=inspector_id)
    enterprise = enterprise_service.get(session=session, scope=scope, enterprise_id=recusal_in.enterprise_id)
    exists = session.scalar(
        select(Recusal).where(Recusal.inspector_id == inspector.id, Recusal.enterprise_id == enterprise.id)
    )
    if exists is not None:
        raise Conflict("this inspector is already tied to this enterprise")
    row = Recusal(inspector_id=inspector.id, enterprise_id=enterprise.id, reason=recusal_in.reason, created_at=utcnow())
    audit.created(session, scope, row, entity="recusal", division_code=inspector.division_code)
    return row


# -- plans -------------------------------------------------------------------------------------------


def get_plan(*, session: Session, scope: Scope, plan_id: int) -> Plan:
    return access.get_covered(session=session, scope=scope, model=Plan, row_id=plan_id, what="plan", permission=READ)


def _major_hazard_enterprises(session: Session, scope: Scope, division: str) -> list[int]:
    rows, _ = installation_service.list_installations(session=session, scope=scope, major=True, limit=None)
    return sorted({r.enterprise_id for r in rows if r.division_code.startswith(_prefix(division))})


def _prefix(code: str) -> str:
    from yingji.geo.codes import level_of, prefix

    return prefix(code, level_of(code))


def create_plan(*, session: Session, scope: Scope, plan_in: PlanIn) -> Plan:
    """The plan of a division for a year (one per division and year). Key enterprises are fixed now: those
    listed, and (by default) every enterprise of the division with a major hazard installation."""
    scope.require(WRITE)
    scope.require_write(plan_in.division_code, "division")
    geo_service.get_unscoped(session=session, code=plan_in.division_code)
    same = (Plan.division_code == plan_in.division_code, Plan.year == plan_in.year)
    if session.scalar(select(Plan.id).where(*same)) is not None:
        raise Conflict(f"the division already has a plan for {plan_in.year}")
    keys = set()
    for enterprise_id in plan_in.key_enterprise_ids:
        enterprise = enterprise_service.get(session=session, scope=scope, enterprise_id=enterprise_id)
        if not enterprise.division_code.startswith(_prefix(plan_in.division_code)):
            raise InvalidInput(
                f"enterprise {enterprise_id} lies outside the plan's division", field="key_enterprise_ids"
            )
        keys.add(enterprise.id)
    rule = ["listed by the plan"] if keys else []
    if plan_in.include_major_hazards:
        keys |= set(_major_hazard_enterprises(session, scope, plan_in.division_code))
        rule.append("major hazard installation (重大危险源)")
    row = Plan(
        division_code=plan_in.division_code, year=plan_in.year, title=plan_in.title,
        category_counts={k: v for k, v in plan_in.category_counts.items() if v > 0},
        random_share_pct=plan_in.random_share_pct, key_enterprise_ids=sorted(keys), key_rule="; ".join(rule),
        created_by=scope.actor, created_at=utcnow(),
    )  # fmt: skip
    audit.created(session, scope, row, entity="enforcement_plan", division_code=row.division_code)
    return row


list_plans = access.Listing.covered(Plan, READ, order=(Plan.year.desc(), Plan.id.desc()), equal=("year",))


# -- draws -------------------------------------------------------------------------------------------


def _pools(session: Session, scope: Scope, plan: Plan) -> list[plandraw.Pool]:
    """The key enterprises, then one pool per category of the plan: the division's active enterprises of
    that category that are not key."""
    rows, _ = enterprise_service.list_enterprises(session=session, scope=scope, division=plan.division_code, limit=None)
    active = [e for e in rows if e.status == "active"]
    keys = set(plan.key_enterprise_ids)
    pools = [plandraw.Pool(plandraw.KEY_LABEL, tuple(str(e.id) for e in active if e.id in keys), len(keys))]
    for category in sorted(plan.category_counts):
        members = tuple(str(e.id) for e in active if e.supervision_category == category and e.id not in keys)
        planned = plandraw.random_count(plan.category_counts[category], plan.random_share_pct)
        pools.append(plandraw.Pool(category, members, planned))
    return pools


def _inspectors(session: Session, plan: Plan) -> tuple[list[str], dict[str, frozenset[str]]]:
    """Active inspectors of the plan's division subtree, and each enterprise's tied inspectors."""
    low = _prefix(plan.division_code)
    rows = [
        i for i in session.scalars(select(Inspector).where(Inspector.active.is_(True)).order_by(Inspector.id))
        if i.division_code.startswith(low)
    ]  # fmt: skip
    ties: dict[str, set[str]] = {}
    for inspector_id, recusals in recusals_of(session=session, inspector_ids=[i.id for i in rows]).items():
        for recusal in recusals:
            ties.setdefault(str(recusal.enterprise_id), set()).add(str(inspector_id))
    return [str(i.id) for i in rows], {e: frozenset(t) for e, t in ties.items()}


def _plan_draws(session: Session, plan_id: int) -> list[Draw]:
    return list(session.scalars(select(Draw).where(Draw.plan_id == plan_id).order_by(Draw.sequence)))


def make_draw(
    *, session: Session, scope: Scope, plan_id: int, draw_in: DrawIn,
    seed_source: Callable[[], str | tuple[str, str]] = _new_seed, now: dt.datetime | None = None,
) -> Draw:  # fmt: skip
    """Draw a plan (双随机). The seed is taken from the CSPRNG and written (flushed, with its time) before the
    result is computed; a re-draw needs a reason and names every earlier draw, which stay as they were."""
    scope.require(WRITE)
    plan = get_plan(session=session, scope=scope, plan_id=plan_id)
    scope.require_write(plan.division_code, "plan")
    earlier = _plan_draws(session, plan.id)
    if earlier and not draw_in.reason:
        raise InvalidInput("a re-draw needs a reason (the earlier draws stay listed)", field="reason")
    moment = now or utcnow()
    seed = seed_source()
    seed, origin = seed if isinstance(seed, tuple) else (seed, SEED_SOURCE)
    row = Draw(
        plan_id=plan.id, division_code=plan.division_code, sequence=len(earlier) + 1, state="drawing",
        algorithm=pure_draw.ALGORITHM, seed=seed, seed_source=origin, seed_recorded_at=moment,
        parts=[], digest="", reason=draw_in.reason, earlier_draw_ids=[d.id for d in earlier],
        created_by=scope.actor, created_at=moment,
    )  # fmt: skip
    session.add(row)
    try:
        session.flush()  # the seed is on record before any pair exists
    except IntegrityError:
        raise Conflict("another draw of this plan was made at the same moment; try again") from None
    inspectors, ties = _inspectors(session, plan)
    try:
        parts = plandraw.draw_parts(_pools(session, scope, plan), inspectors, ties, seed=row.seed)
    except pure_draw.DrawError as exc:
        raise DrawRefused(f"the plan cannot be drawn: {exc}") from None
    if not parts:
        raise DrawRefused("the plan cannot be drawn: no enterprise is in any of its pools")
    row.parts, row.digest, row.state = parts, plandraw.digest(parts), "drawn"
    audit.acted(
        session,
        scope,
        row,
        entity="enforcement_draw",
        action="draw",
        after={
            "plan": plan.id,
            "sequence": row.sequence,
            "seed": row.seed,
            "seed_source": row.seed_source,
            "digest": row.digest,
            "reason": row.reason,
            "earlier": row.earlier_draw_ids,
        },
    )
    return row


def get_draw(*, session: Session, scope: Scope, draw_id: int) -> Draw:
    return access.get_covered(session=session, scope=scope, model=Draw, row_id=draw_id, what="draw", permission=READ)


def list_draws(*, session: Session, scope: Scope, plan_id: int) -> list[Draw]:
    plan = get_plan(session=session, scope=scope, plan_id=plan_id)
    return _plan_draws(session, plan.id)


def verify_draw(*, session: Session, scope: Scope, draw_id: int) -> tuple[bool, str, bool]:
    """Re-run a stored draw from its stored inputs: (verified, detail, whether today's register still gives
    the same input lists)."""
    row = get_draw(session=session, scope=scope, draw_id=draw_id)
    try:
        plandraw.verify_parts(row.parts, row.digest)
    except pure_draw.DrawError as exc:
        return False, str(exc), False
    plan = session.get(Plan, row.plan_id)
    assert plan is not None
    inspectors, ties = _inspectors(session, plan)
    current = {p.label: p.enterprises for p in _pools(session, scope, plan)}
    same = all(
        plandraw.part_inputs(p).digests
        == plandraw.part_inputs({"enterprises": current.get(p["label"], ()), "inspectors": [
            {"id": i, "ties": sorted(e for e, t in ties.items() if i in t)} for i in inspectors]}).digests
        for p in row.parts
    )  # fmt: skip
    return True, f"re-run gives the same {sum(len(p['pairs']) for p in row.parts)} pairs", same


def publish_draw(*, session: Session, scope: Scope, draw_id: int, now: dt.datetime | None = None) -> Draw:
    """Publish the plan's latest draw (公开); a published draw never changes."""
    scope.require(WRITE)
    row = get_draw(session=session, scope=scope, draw_id=draw_id)
    if row.state == "published":
        raise Conflict("this draw is already published; a published draw does not change")
    latest = max(d.sequence for d in _plan_draws(session, row.plan_id))
    if row.sequence != latest:
        raise Conflict("only the plan's latest draw can be published")
    row.state, row.published_at, row.published_by = "published", now or utcnow(), scope.actor
    audit.acted(session, scope, row, entity="enforcement_draw", action="publish", after={"digest": row.digest})
    return row


def pairs_of(draw: Draw) -> list[tuple[str, int, list[int]]]:
    """(part, enterprise id, inspector ids) of every pair, in drawn order."""
    return [
        (part["label"], int(p["enterprise"]), [int(i) for i in p["inspectors"]])
        for part in draw.parts for p in part["pairs"]
    ]  # fmt: skip


def names(session: Session, draw: Draw) -> tuple[dict[int, str], dict[int, Inspector]]:
    """Enterprise names and inspectors of a draw's pairs. The enterprises are read through the work-safety
    service in the draw's own division (a draw holds only enterprises of its division)."""
    pairs = pairs_of(draw)
    wanted = {e for _, e, _ in pairs}
    division_scope = Scope(actor="enforcement", division_code=draw.division_code, prefix=_prefix(draw.division_code),
                           role="reader", permissions=frozenset({enterprise_service.READ}))  # fmt: skip
    rows, _ = enterprise_service.list_enterprises(session=session, scope=division_scope, limit=None)
    enterprises = {e.id: e.name for e in rows if e.id in wanted}
    inspector_ids = sorted({i for _, _, ids in pairs for i in ids})
    inspectors = {i.id: i for i in session.scalars(select(Inspector).where(Inspector.id.in_(inspector_ids)))}
    return enterprises, inspectors


def published(*, session: Session, draw_id: int) -> tuple[Draw, Plan]:
    """A published draw, for the public list (no sign-in); anything else is 404."""
    row = session.get(Draw, draw_id)
    if row is None or row.state != "published":
        raise NotFound("no published draw has this number")
    plan = session.get(Plan, row.plan_id)
    assert plan is not None
    return row, plan


def draw_summary(row: Draw) -> dict[str, Any]:
    return {"id": row.id, "sequence": row.sequence, "state": row.state, "digest": row.digest}
