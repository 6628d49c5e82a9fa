"""Accident hazards (事故隐患) from report to closure: scoped reads, lifecycle moves with their rules, listed
supervision (挂牌督办), overdue escalation, the 动态清零 board. Services never commit."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from sqlalchemy import Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import DomainError, Forbidden, InvalidInput, NotFound
from yingji.geo.codes import PREFIX_LENGTH, level_of
from yingji.hazards import determination, lifecycle
from yingji.hazards.enterprises import service as enterprise_service
from yingji.hazards.errors import InvalidTransition, MissingRequirement
from yingji.hazards.lifecycle import HazardState, Level
from yingji.hazards.register.models import Hazard, HazardCloseDays, HazardCount, HazardEvent, HazardMonth
from yingji.hazards.register.rollups import service as rollups
from yingji.hazards.register.schemas import ActionIn, BoardRow, HazardIn, ListingIn, TrendMonth
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
    audit.created(session, scope, row, entity="hazard", division_code=row.division_code)
    rollups.count(session, row, +1)
    rollups.count_month(session, row, row.reported_at, "reported")
    _event(session, scope, row, "report", "", now=moment)
    return row


def _overdue(now: dt.datetime) -> Any:
    return and_(
        Hazard.state.in_([s.value for s in UNRECTIFIED]),
        or_(Hazard.deadline < now, Hazard.listed_deadline < now),
    )


def _listed(session: Session, scope: Scope) -> Select[Hazard]:
    scope.require(READ)
    return select(Hazard).where(_visible(session, scope))


_HAZARDS = access.Listing(
    Hazard,
    rows=_listed,
    order=(Hazard.id.desc(),),
    equal=("state", "level", "enterprise_id"),
    where={"division": lambda code: access.under(Hazard.division_code, code), "overdue_at": _overdue},
)


def list_hazards(
    *, session: Session, scope: Scope, limit: int | None = 100, offset: int = 0, **given: Any
) -> tuple[list[Hazard], int]:
    """Hazards the caller may see, newest first (filters: state, level, division, enterprise_id, overdue_at)."""
    stmt = _HAZARDS.query(session, scope, given)
    if (
        enterprise_service.is_enterprise_user(scope)
        or given.get("enterprise_id")
        or given.get("overdue_at") is not None
    ):
        return paginate(session, stmt, *_HAZARDS.order, limit=limit, offset=offset)
    # A regulator's list filtered by what the roll-up holds (division, state, level): the total is a sum over
    # a few thousand roll-up rows instead of a count over a province's hundreds of thousands of hazards.
    page = stmt.order_by(*_HAZARDS.order).offset(offset)
    rows = list(session.scalars(page.limit(limit) if limit is not None else page))
    state, level, division = given.get("state"), given.get("level"), given.get("division")
    total = rollups.reused(
        session,
        ("total", scope.prefix, state, level, division),
        lambda: rollups.total(session, scope, state=state, level=level, division=division),
    )
    return rows, int(total)


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
    rollups.count(session, row, -1)
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
    rollups.count(session, row, +1)
    if action == "close":
        rollups.count_closed(session, row)
        rollups.count_month(session, row, row.closed_at or moment, "closed")
    _event(session, scope, row, action, source.value, reason=body.reason, data=data, now=moment)
    audit.changed(session, scope, row, before, entity="hazard", action=action)
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
    audit.changed(session, scope, row, before, entity="hazard", action="list")
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
        health = monitoring_service.site_health(
            session=session, scope=scope, site_code=unit.monitoring_site, now=now, division_code=unit.division_code
        )
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
    health = monitoring_service.site_health(
        session=session, scope=scope, site_code=unit.monitoring_site, now=now, division_code=unit.division_code
    )
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


def _group_key(division: Any, category: Any, scope: Scope, group_by: str) -> Any:
    if group_by == "division":
        depth = {0: 2, 2: 4, 4: 6, 6: 9, 9: 12}.get(len(scope.prefix), PREFIX_LENGTH["village"])
        return func.substr(division, 1, depth)
    if group_by == "category":
        return category
    raise InvalidInput("group_by is division or category", field="group_by")


def _weighted_median(pairs: list[tuple[int, int]]) -> float | None:
    """The median of values given as (value, how many), sorted by value (days: whole days)."""
    total = sum(n for _, n in pairs)
    if total <= 0:
        return None
    ordered = sorted(pairs)
    values: list[float] = []
    for want in sorted({(total - 1) // 2, total // 2}):
        seen = 0
        for value, n in ordered:
            seen += n
            if seen > want:
                values.append(value)
                break
    return sum(values) / len(values)


def board(
    *, session: Session, scope: Scope, group_by: str = "division", now: dt.datetime | None = None
) -> list[BoardRow]:
    """动态清零 board: per child division (or per supervision category) of the caller's jurisdiction — open
    major and general hazards, overdue, closed, closure rate and median days to close (whole days).

    A regulator's board reads the roll-ups (``hazard_counts``, ``hazard_close_days``) and counts the overdue
    hazards through a partial index of the unrectified ones; an enterprise user's reads its own hazards."""
    scope.require(READ)
    if enterprise_service.is_enterprise_user(scope):
        return _board_from_hazards(session, scope, group_by, now or utcnow())
    if now is not None:
        return _board_from_rollups(session, scope, group_by, now)
    # The live board of a regulator: computed once per jurisdiction and grouping and reused (see rollups.reused).
    return list(rollups.reused(session, ("board", scope.prefix, group_by),
                               lambda: tuple(_board_from_rollups(session, scope, group_by, utcnow()))))  # fmt: skip


def _board_from_rollups(session: Session, scope: Scope, group_by: str, moment: dt.datetime) -> list[BoardRow]:
    open_states = [s.value for s in lifecycle.OPEN_STATES]
    key = _group_key(HazardCount.division_code, HazardCount.supervision_category, scope, group_by)
    is_open = HazardCount.state.in_(open_states)
    counts = session.execute(
        select(
            key,
            func.sum(case((and_(HazardCount.level == "major", is_open), HazardCount.count), else_=0)),
            func.sum(case((and_(HazardCount.level != "major", is_open), HazardCount.count), else_=0)),
            func.sum(case((HazardCount.state == "closed", HazardCount.count), else_=0)),
            func.sum(HazardCount.count),
        )
        .where(scope.where_covered(HazardCount.division_code))
        .group_by(key)
        .order_by(key)
    ).all()
    hkey = _group_key(Hazard.division_code, Hazard.supervision_category, scope, group_by)
    overdue: dict[Any, int] = dict(
        session.execute(
            select(hkey, func.count()).where(scope.where_covered(Hazard.division_code), _overdue(moment)).group_by(hkey)
        ).all()
    )
    dkey = _group_key(HazardCloseDays.division_code, HazardCloseDays.supervision_category, scope, group_by)
    days: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for k, d, n in session.execute(
        select(dkey, HazardCloseDays.days, func.sum(HazardCloseDays.count))
        .where(scope.where_covered(HazardCloseDays.division_code))
        .group_by(dkey, HazardCloseDays.days)
    ):
        days[str(k)].append((int(d), int(n)))
    return [
        _board_row(str(k or ""), open_major, open_general, overdue.get(k, 0), closed, total,
                   _weighted_median(days.get(str(k), [])))
        for k, open_major, open_general, closed, total in counts
        if total
    ]  # fmt: skip


def _board_row(key: str, open_major: Any, open_general: Any, overdue: Any, closed: Any, total: Any,
               median: float | None) -> BoardRow:  # fmt: skip
    total, closed = int(total or 0), int(closed or 0)
    return BoardRow(
        key=key, open_major=int(open_major or 0), open_general=int(open_general or 0), overdue=int(overdue or 0),
        closed=closed, total=total, closure_rate=closed / total if total else None,
        median_days_to_close=round(median, 2) if median is not None else None,
    )  # fmt: skip


def _board_from_hazards(session: Session, scope: Scope, group_by: str, moment: dt.datetime) -> list[BoardRow]:
    key = _group_key(Hazard.division_code, Hazard.supervision_category, scope, group_by)
    open_states = [s.value for s in lifecycle.OPEN_STATES]
    is_open = Hazard.state.in_(open_states)
    counts = session.execute(
        select(
            key,
            func.sum(case((and_(Hazard.level == "major", is_open), 1), else_=0)),
            func.sum(case((and_(or_(Hazard.level.is_(None), Hazard.level != "major"), is_open), 1), else_=0)),
            func.sum(case((_overdue(moment), 1), else_=0)),
            func.sum(case((Hazard.state == "closed", 1), else_=0)),
            func.count(),
        )
        .where(_visible(session, scope))
        .group_by(key)
        .order_by(key)
    ).all()
    days: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for k, reported, ended in session.execute(
        select(key, Hazard.reported_at, Hazard.closed_at).where(_visible(session, scope), Hazard.state == "closed")
    ):
        days[str(k)].append((rollups.whole_days(reported, ended), 1))
    return [
        _board_row(str(k or ""), a, b, c, d, e, _weighted_median(days.get(str(k), []))) for k, a, b, c, d, e in counts
    ]


def trend(*, session: Session, scope: Scope, now: dt.datetime | None = None,
          months: int = rollups.TREND_MONTHS) -> list[TrendMonth]:  # fmt: skip
    """Hazards reported and closed per month (China time) over the caller's jurisdiction, the last
    ``months`` months up to the current one, oldest first (months without any: zeros)."""
    scope.require(READ)
    wanted = rollups.last_months(now or utcnow(), months)
    figures: dict[str, list[int]] = {m: [0, 0] for m in wanted}
    since = rollups.month_start(wanted[0])
    if enterprise_service.is_enterprise_user(scope):
        for reported, closed in session.execute(
            select(Hazard.reported_at, Hazard.closed_at).where(
                _visible(session, scope),
                or_(Hazard.reported_at >= since, Hazard.closed_at >= since),
            )
        ):
            for moment, index in ((reported, 0), (closed, 1)):
                if moment is not None and rollups.month(moment) in figures:
                    figures[rollups.month(moment)][index] += 1
    else:
        query = (
            select(HazardMonth.month, func.sum(HazardMonth.reported), func.sum(HazardMonth.closed))
            .where(scope.where_covered(HazardMonth.division_code), HazardMonth.month.in_(wanted))
            .group_by(HazardMonth.month)
        )

        def compute() -> tuple[tuple[Any, ...], ...]:
            return tuple(tuple(r) for r in session.execute(query))

        found: tuple[tuple[Any, ...], ...] = (
            rollups.reused(session, ("trend", scope.prefix, *wanted), compute) if now is None else compute()
        )
        for month, reported, closed in found:
            figures[str(month)] = [int(reported or 0), int(closed or 0)]
    return [TrendMonth(month=m, reported=figures[m][0], closed=figures[m][1]) for m in wanted]


# The roll-ups are recounted through the register as well (bench/hazards.py, after a bulk load).
rebuild_rollups = rollups.rebuild
