"""Accident hazards (事故隐患) from report to closure: scoped reads, lifecycle moves with their rules, listed
supervision (挂牌督办), overdue escalation, the 动态清零 board. Services never commit."""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import is_postgres, paginate, utcnow
from yingji.errors import DomainError, Forbidden, InvalidInput, NotFound
from yingji.geo.codes import PREFIX_LENGTH, code_range, level_of, normalise_code, prefix
from yingji.hazards import determination, lifecycle
from yingji.hazards.enterprises import service as enterprise_service
from yingji.hazards.errors import InvalidTransition, MissingRequirement
from yingji.hazards.lifecycle import HazardState, Level
from yingji.hazards.register.models import Hazard, HazardEvent
from yingji.hazards.register.schemas import ActionIn, BoardRow, HazardIn, ListingIn
from yingji.incidents import service as incident_service

READ, WRITE = enterprise_service.READ, enterprise_service.WRITE
# Not yet rectified: a passed deadline makes these overdue.
UNRECTIFIED = (HazardState.REPORTED, HazardState.DETERMINED, HazardState.PLANNED, HazardState.RECTIFYING)


def _visible(session: Session, scope: Scope) -> Any:
    return enterprise_service.visible(
        session=session, scope=scope, enterprise_id=Hazard.enterprise_id, division_code=Hazard.division_code
    )


def get(*, session: Session, scope: Scope, hazard_id: int) -> Hazard:
    scope.require(READ)
    row = session.get(Hazard, hazard_id)
    if row is None:
        raise NotFound("hazard not found")
    if enterprise_service.is_enterprise_user(scope):
        if row.enterprise_id not in enterprise_service.member_ids(session=session, scope=scope):
            raise NotFound("hazard not found")
    elif not scope.covers(row.division_code):
        raise NotFound("hazard not found")
    return row


def _event(session: Session, scope: Scope, hazard: Hazard, action: str, source: str, reason: str = "",
           data: dict[str, Any] | None = None, now: dt.datetime | None = None) -> None:  # fmt: skip
    session.add(
        HazardEvent(
            hazard_id=hazard.id, at=now or utcnow(), actor=scope.actor, action=action, from_state=source,
            to_state=hazard.state, reason=reason, data=data or {},
        )
    )  # fmt: skip


def report(*, session: Session, scope: Scope, hazard_in: HazardIn, now: dt.datetime | None = None) -> Hazard:
    """Report a hazard found at an enterprise the caller may see (an enterprise user: their own)."""
    scope.require(WRITE)
    enterprise = enterprise_service.get(session=session, scope=scope, enterprise_id=hazard_in.enterprise_id)
    if hazard_in.installation_id is not None:
        from yingji.hazards.installations import service as installation_service

        inst = installation_service.get(session=session, scope=scope, installation_id=hazard_in.installation_id)
        if inst.enterprise_id != enterprise.id:
            raise InvalidInput("the installation belongs to another enterprise", field="installation_id")
    moment = now or utcnow()
    state = HazardState.PROPOSED if hazard_in.source == "monitoring" else HazardState.REPORTED
    row = Hazard(
        enterprise_id=enterprise.id, installation_id=hazard_in.installation_id,
        division_code=enterprise.division_code, supervision_category=enterprise.supervision_category,
        title=hazard_in.title, description=hazard_in.description, source=hazard_in.source, state=state.value,
        level=None, items=[], plan={}, verified=False, listed_level="", listed_notice="",
        reported_at=moment, reported_by=scope.actor, updated_at=moment,
    )  # fmt: skip
    audit.created(session=session, scope=scope, row=row, entity="hazard", division_code=row.division_code)
    _event(session, scope, row, "report", "", now=moment)
    return row


def list_hazards(
    *,
    session: Session,
    scope: Scope,
    state: str | None = None,
    level: str | None = None,
    division: str | None = None,
    enterprise_id: int | None = None,
    overdue_at: dt.datetime | None = None,
    limit: int | None = 100,
    offset: int = 0,
) -> tuple[list[Hazard], int]:
    scope.require(READ)
    stmt: Select[Hazard] = select(Hazard).where(_visible(session, scope))
    if state:
        stmt = stmt.where(Hazard.state == state)
    if level:
        stmt = stmt.where(Hazard.level == level)
    if division:
        code = normalise_code(division)
        low, high = code_range(prefix(code, level_of(code)))
        stmt = stmt.where(and_(Hazard.division_code >= low, Hazard.division_code <= high))
    if enterprise_id:
        stmt = stmt.where(Hazard.enterprise_id == enterprise_id)
    if overdue_at is not None:
        stmt = stmt.where(_overdue(overdue_at))
    return paginate(session, stmt, Hazard.id.desc(), limit=limit, offset=offset)


def _overdue(now: dt.datetime) -> Any:
    return and_(
        Hazard.state.in_([s.value for s in UNRECTIFIED]),
        or_(Hazard.deadline < now, Hazard.listed_deadline < now),
    )


def history(*, session: Session, scope: Scope, hazard_id: int) -> list[HazardEvent]:
    get(session=session, scope=scope, hazard_id=hazard_id)
    return list(session.scalars(select(HazardEvent).where(HazardEvent.hazard_id == hazard_id).order_by(HazardEvent.id)))


def act(
    *, session: Session, scope: Scope, hazard_id: int, action: str, body: ActionIn, now: dt.datetime | None = None
) -> Hazard:
    """Move a hazard along its lifecycle (``lifecycle.MOVES``), checking the move's requirements."""
    row = get(session=session, scope=scope, hazard_id=hazard_id)
    scope.require(WRITE)
    if action not in lifecycle.ACTIONS:
        raise NotFound(f"unknown action {action!r}")
    if action in lifecycle.REGULATOR_ONLY and enterprise_service.is_enterprise_user(scope):
        raise Forbidden(f"{action} is the regulator's")
    if not enterprise_service.is_enterprise_user(scope):
        scope.require_write(row.division_code, "hazard")
    source = HazardState(row.state)
    move = lifecycle.move_for(source, action)
    level = Level(body.level) if action == "determine" and body.level else (Level(row.level) if row.level else None)
    items = tuple(body.items) if action == "determine" else tuple(row.items or ())
    unknown = determination.unknown_items(items)
    if unknown:
        raise InvalidInput(f"unknown determination item(s): {', '.join(unknown)}", field="items")
    plan = body.plan.model_dump(mode="json") if body.plan is not None else {}
    lifecycle.check(move, level=level, items=items, plan=plan, reason=body.reason, verified=row.verified)
    moment = now or utcnow()
    if action == "close":
        _require_back_to_normal(session, scope, row, moment)
    before = audit.snapshot(row)
    data: dict[str, Any] = {}
    if action == "determine":
        row.level, row.items = level.value if level else None, list(items)
        data = {"level": row.level, "items": row.items}
    elif action == "return_determination":
        row.level, row.items = None, []
    elif action == "plan":
        row.plan, data = plan, {"plan": plan}
        row.deadline = body.plan.deadline if body.plan is not None else None
    elif action == "verify":
        row.verified, data = True, {"note": body.note, "evidence": body.evidence}  # the verification record
    elif action in ("fail_verification", "reject"):
        row.verified = False
    elif action == "close":
        row.closed_at = moment
    if body.note or body.evidence:
        data = {**data, "note": body.note, "evidence": body.evidence}
    row.state = move.target.value
    row.updated_at = moment
    _event(session, scope, row, action, source.value, reason=body.reason, data=data, now=moment)
    session.flush()
    audit.record(
        session=session, scope=scope, action=action, entity="hazard", entity_id=row.id,
        division_code=row.division_code, before=before, after=audit.snapshot(row),
    )  # fmt: skip
    return row


def progress(
    *, session: Session, scope: Scope, hazard_id: int, body: ActionIn, now: dt.datetime | None = None
) -> Hazard:
    """Record rectification progress or evidence (the state does not change)."""
    row = get(session=session, scope=scope, hazard_id=hazard_id)
    scope.require(WRITE)
    if row.state != HazardState.RECTIFYING:
        raise InvalidTransition(f"progress is recorded while rectifying, not in state {row.state}")
    _event(session, scope, row, "progress", row.state, data={"note": body.note, "evidence": body.evidence}, now=now)
    session.flush()
    return row


def list_for_supervision(*, session: Session, scope: Scope, hazard_id: int, listing: ListingIn,
                         now: dt.datetime | None = None) -> Hazard:  # fmt: skip
    """挂牌督办: a major hazard listed for supervision by a level of government, with its own deadline and
    public notice text (regulators of the hazard's division or above)."""
    row = get(session=session, scope=scope, hazard_id=hazard_id)
    scope.require(WRITE)
    if enterprise_service.is_enterprise_user(scope):
        raise Forbidden("listing for supervision is the regulator's")
    if row.level != Level.MAJOR or row.state in (HazardState.CLOSED, HazardState.DISMISSED):
        raise MissingRequirement("only an open major hazard is listed for supervision (挂牌督办)")
    before = audit.snapshot(row)
    row.listed_level, row.listed_deadline, row.listed_notice = listing.level, listing.deadline, listing.notice
    _event(session, scope, row, "list", row.state, data=listing.model_dump(mode="json"), now=now)
    session.flush()
    audit.record(
        session=session, scope=scope, action="list", entity="hazard", entity_id=row.id,
        division_code=row.division_code, before=before, after=audit.snapshot(row),
    )  # fmt: skip
    return row


def _parent_code(code: str) -> str | None:
    level = level_of(code)
    if level in ("country", "province"):
        return None
    parent_len = {"prefecture": 2, "county": 4, "township": 6, "village": 9}[level]
    return code[:parent_len].ljust(12, "0")


@cache
def monitoring_policy() -> dict[str, Any]:
    """standards/hazard_monitoring.yaml: when device-health alarms propose hazards and when those close."""
    policy: dict[str, Any] = yaml.safe_load(
        files("yingji.standards").joinpath("hazard_monitoring.yaml").read_text("utf-8")
    )
    return policy


def propose_from_monitoring(*, session: Session, scope: Scope, now: dt.datetime) -> int:
    """The scheduler's step: an installation whose online monitoring has had a device-health alarm (stale,
    flat-lined, out of service) active longer than the policy's time gets a *proposed* major hazard with
    the signal's trend attached — one open proposal per installation; a person confirms or dismisses it."""
    from yingji.hazards.installations import service as installation_service
    from yingji.monitoring import service as monitoring_service

    policy = monitoring_policy()
    after = dt.timedelta(minutes=int(policy["propose_after_minutes"]))
    made = 0
    for unit in installation_service.monitored(session=session, scope=scope):
        health = monitoring_service.site_health(session=session, scope=scope, site_code=unit.monitoring_site, now=now)
        due = [a for a in (health or {}).get("device_alarms", []) if a["since"] <= now - after]
        if not due:
            continue
        open_proposal = session.scalar(
            select(Hazard.id).where(
                Hazard.installation_id == unit.id,
                Hazard.source == "monitoring",
                Hazard.state.in_([s.value for s in lifecycle.OPEN_STATES]),
            )
        )
        if open_proposal is not None:
            continue
        alarm = due[0]
        since = now - dt.timedelta(minutes=int(policy["trend_minutes"]))
        try:
            trend = monitoring_service.sensor_readings(
                session=session, scope=scope, sensor_code=alarm["sensor"], since=since, until=now
            )
        except DomainError:
            trend = []
        hazard_in = HazardIn(
            enterprise_id=unit.enterprise_id, installation_id=unit.id, source="monitoring",
            title=f"在线监测设备异常 / monitoring device fault: {alarm['sensor']} ({alarm['kind']})",
            description=f"{unit.name}: {alarm['rule']} since {alarm['since'].isoformat()}",
        )  # fmt: skip
        row = report(session=session, scope=scope, hazard_in=hazard_in, now=now)
        suggested = policy.get("suggested_items", {}).get(row.supervision_category, [])
        _event(session, scope, row, "monitoring", row.state, now=now,
               data={"alarm": {**alarm, "since": alarm["since"].isoformat()}, "trend": trend,
                     "suggested_items": suggested})  # fmt: skip
        made += 1
    session.flush()
    return made


def _require_back_to_normal(session: Session, scope: Scope, row: Hazard, now: dt.datetime) -> None:
    """A hazard proposed from monitoring closes only when the signal has been normal for the policy's time."""
    if row.source != "monitoring" or row.installation_id is None:
        return
    from yingji.hazards.installations import service as installation_service
    from yingji.monitoring import service as monitoring_service

    unit = installation_service.get(session=session, scope=scope, installation_id=row.installation_id)
    if not unit.monitoring_site:
        return
    hold = dt.timedelta(minutes=int(monitoring_policy()["normal_hold_minutes"]))
    health = monitoring_service.site_health(session=session, scope=scope, site_code=unit.monitoring_site, now=now)
    if health is None:
        return
    cleared = health["last_device_clear"]
    if health["device_alarms"] or (cleared is not None and cleared > now - hold):
        raise MissingRequirement(
            f"the monitoring signal must be back to normal for {hold.total_seconds() / 60:.0f} minutes before closing"
        )


def flag_overdue(*, session: Session, scope: Scope, now: dt.datetime) -> int:
    """The scheduler's step: each hazard past its rectification or listing deadline and not rectified is
    flagged once — a history entry and a notification to its division, and for a major hazard also to the
    level above (escalation)."""
    rows = session.scalars(
        select(Hazard).where(
            _overdue(now), Hazard.overdue_flagged_at.is_(None), scope.where_covered(Hazard.division_code)
        )
    ).all()
    for row in rows:
        row.overdue_flagged_at = now
        _event(session, scope, row, "overdue", row.state, data={"deadline": str(row.deadline or row.listed_deadline)},
               now=now)  # fmt: skip
        text = f"隐患整改逾期 / hazard rectification overdue: #{row.id} {row.title}"
        targets = [row.division_code]
        parent = _parent_code(row.division_code)
        if row.level == Level.MAJOR and parent:
            targets.append(parent)
        for code in targets:
            incident_service.notify(
                session=session, key=f"hazard_overdue:{row.id}:{code}", division_code=code, kind="hazard_overdue",
                text=text, now=now, data={"hazard_id": row.id},
            )  # fmt: skip
    session.flush()
    return len(rows)


def _median_days_to_close(session: Session, scope: Scope, key: Any) -> dict[str, float]:
    """Median days from report to closure per group: in SQL on PostgreSQL (percentile_cont), else in Python."""
    closed = and_(_visible(session, scope), Hazard.state == "closed")
    if is_postgres(session):
        days = func.extract("epoch", Hazard.closed_at - Hazard.reported_at) / 86400
        stmt = select(key, func.percentile_cont(0.5).within_group(days)).where(closed).group_by(key)
        return {str(k): float(v) for k, v in session.execute(stmt) if v is not None}
    durations: dict[str, list[float]] = defaultdict(list)
    for k, reported, ended in session.execute(select(key, Hazard.reported_at, Hazard.closed_at).where(closed)):
        durations[str(k)].append((ended - reported).total_seconds() / 86400)
    return {k: statistics.median(v) for k, v in durations.items()}


def board(
    *, session: Session, scope: Scope, group_by: str = "division", now: dt.datetime | None = None
) -> list[BoardRow]:
    """动态清零 board: per child division (or per supervision category) of the caller's jurisdiction — open
    major and general hazards, overdue, closed, closure rate and median days to close."""
    scope.require(READ)
    moment = now or utcnow()
    key: Any
    if group_by == "division":
        depth = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}.get(len(scope.prefix), PREFIX_LENGTH["village"])
        key = func.substr(Hazard.division_code, 1, depth)
    elif group_by == "category":
        key = Hazard.supervision_category
    else:
        raise InvalidInput("group_by is division or category", field="group_by")
    open_states = [s.value for s in lifecycle.OPEN_STATES]
    counts = session.execute(
        select(
            key.label("k"),
            func.sum(case((and_(Hazard.level == "major", Hazard.state.in_(open_states)), 1), else_=0)),
            func.sum(
                case(
                    (and_(or_(Hazard.level.is_(None), Hazard.level != "major"), Hazard.state.in_(open_states)), 1),
                    else_=0,
                )
            ),
            func.sum(case((_overdue(moment), 1), else_=0)),
            func.sum(case((Hazard.state == "closed", 1), else_=0)),
            func.count(),
        )
        .where(_visible(session, scope))
        .group_by(key)
        .order_by(key)
    ).all()
    medians = _median_days_to_close(session, scope, key)
    rows = []
    for k, open_major, open_general, overdue, closed, total in counts:
        median = medians.get(str(k))
        rows.append(
            BoardRow(
                key=str(k or ""), open_major=int(open_major or 0), open_general=int(open_general or 0),
                overdue=int(overdue or 0), closed=int(closed or 0), total=int(total),
                closure_rate=(int(closed or 0) / int(total)) if total else None,
                median_days_to_close=round(median, 2) if median is not None else None,
            )
        )  # fmt: skip
    return rows
