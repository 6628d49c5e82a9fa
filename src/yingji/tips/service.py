"""Tip operations: intake (public), status by tracking code (public), the staff inbox (scoped).

Photos are judged and re-encoded (:mod:`yingji.tips.photos`) before anything is written, so a refused file
leaves neither files nor rows. Files are named by content hash and written whole (a temporary name, then a
rename), so a retried or duplicate photo is one file.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.geo import service as geo_service
from yingji.geo.codes import normalise_code
from yingji.geo.models import Division
from yingji.tips import handling, rewards, tracking
from yingji.tips.models import Tip, TipMessage, TipPhoto, TipReward
from yingji.tips.photos import CleanPhoto
from yingji.tips.schemas import ActionIn, PromoteIn, RewardIn, TipIn

ENTITY = "tip"
IDENTITY_PERMISSION = "tips:identity"
PUBLIC = Scope(actor="public", division_code="", prefix="-", role="public")  # covers no division


def _division_of(session: Session, tip_in: TipIn) -> str:
    if tip_in.division is not None:
        # Only the code is read (names_of): loading the Division row would also load its boundary polygon,
        # which was the largest single cost of a submission (bench/tips.py).
        try:
            code = normalise_code(tip_in.division)
        except ValueError:
            code = ""
        if not code or not geo_service.names_of(session=session, codes=[code]):
            raise InvalidInput(f"division {tip_in.division} does not exist", field="division")
        return code
    assert tip_in.lon is not None and tip_in.lat is not None
    everywhere = Scope(actor="public", division_code="", prefix="")
    for level in ("township", "county"):
        found = geo_service.locate(session=session, scope=everywhere, lons=[tip_in.lon], lats=[tip_in.lat], level=level)
        if found[0] is not None:
            return found[0]
    raise InvalidInput("the point lies in no known division", field="lon")


def _store(directory: Path, photo: CleanPhoto) -> str:
    relative = f"{photo.sha256[:2]}/{photo.sha256}.{photo.extension}"
    target = directory / relative
    if target.exists():
        return relative
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(photo.content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return relative


def submit(
    *, session: Session, scope: Scope, tip_in: TipIn, photos: Sequence[CleanPhoto], photo_dir: Path
) -> tuple[Tip, str]:
    """Record a tip; return it with its tracking code (the only time the code exists in clear)."""
    division = _division_of(session, tip_in)
    code = tracking.new_code(secrets.token_bytes)
    now = utcnow()
    named = not tip_in.anonymous
    tip = Tip(
        code_digest=tracking.digest(code),
        category=tip_in.category,
        text=tip_in.text,
        division_code=division,
        lon=tip_in.lon,
        lat=tip_in.lat,
        anonymous=not named,
        reporter_name=tip_in.name if named else None,
        reporter_phone=tip_in.phone if named else None,
        status="received",
        created_at=now,
        updated_at=now,
    )
    for position, photo in enumerate(photos, start=1):
        tip.photos.append(
            TipPhoto(
                position=position,
                sha256=photo.sha256,
                path=_store(photo_dir, photo),
                media_type=photo.media_type,
                size=len(photo.content),
                width=photo.width,
                height=photo.height,
            )
        )
    session.add(tip)
    session.flush()
    audit.acted(
        session,
        scope,
        tip,
        entity=ENTITY,
        action="submit",
        after={"category": tip.category, "anonymous": tip.anonymous, "photos": len(photos)},
        division_code=division,
    )
    return tip, code


def status(*, session: Session, tracking_code: str) -> tuple[Tip, str]:
    """The tip a tracking code names, and its division's name; unknown or malformed codes are 404 alike."""
    if tracking.normalise(tracking_code) is None:
        raise NotFound("no tip has this tracking code")
    tip = session.scalar(select(Tip).where(Tip.code_digest == tracking.digest(tracking_code)))
    if tip is None:
        raise NotFound("no tip has this tracking code")
    names = geo_service.names_of(session=session, codes=[tip.division_code])
    return tip, names.get(tip.division_code, "")


def list_tips(
    *, session: Session, scope: Scope, status_is: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Tip], int]:
    scope.require("tips:read")
    stmt = select(Tip).where(scope.where_covered(Tip.division_code)).options(selectinload(Tip.photos))
    if status_is is not None:
        stmt = stmt.where(Tip.status == status_is)
    return paginate(session, stmt, Tip.created_at.desc(), Tip.id.desc(), limit=limit, offset=offset)


def get(*, session: Session, scope: Scope, tip_id: int) -> Tip:
    return access.get_covered(
        session=session, scope=scope, model=Tip, row_id=tip_id, what="tip", permission="tips:read"
    )


def reporter(*, session: Session, scope: Scope, tip_id: int) -> Tip:
    """The tip, for reading its reporter's name and phone: needs the identity permission (403 without), and
    every disclosure is audited (a write: callers use a writing transaction)."""
    tip = get(session=session, scope=scope, tip_id=tip_id)
    scope.require(IDENTITY_PERMISSION)
    audit.acted(session, scope, tip, entity=ENTITY, action="read_identity")
    return tip


# -- handling (staff) -------------------------------------------------------------------------------

HANDLE_PERMISSION = "tips:handle"


def _event_days(tip: Tip) -> dict[str, dt.date]:
    days = {"received": tip.created_at.date()}
    if tip.accepted_on is not None:
        days["accepted"] = tip.accepted_on
    if tip.closed_on is not None:
        days["rejected" if tip.outcome == "rejected" else "closed"] = tip.closed_on
    return days


def clocks_of(tip: Tip, today: dt.date) -> list[handling.Clock]:
    return handling.evaluate(_event_days(tip), today, extended=tip.extended)


def act(*, session: Session, scope: Scope, tip_id: int, action_in: ActionIn, today: dt.date | None = None) -> Tip:
    """Move a tip (accept, reject, assign, extend, verify, close); a refused move changes nothing (422)."""
    scope.require(HANDLE_PERMISSION)
    tip = get(session=session, scope=scope, tip_id=tip_id)
    day = today or utcnow().date()
    try:
        after = handling.next_status(tip.status, action_in.action)
        if action_in.action == "assign" and not action_in.assignee:
            raise handling.MoveRefused("assign needs the assignee")
        if action_in.action == "extend" and tip.extended:
            raise handling.MoveRefused("the handling period has already been extended once")
        if action_in.action in ("close", "reject") and not action_in.reply:
            raise handling.MoveRefused("closing needs a reply to the reporter (shown with the tracking code)")
        if action_in.action == "close" and action_in.outcome not in handling.OUTCOMES[:3]:
            raise handling.MoveRefused(f"closing needs an outcome: one of {', '.join(handling.OUTCOMES[:3])}")
    except handling.MoveRefused as exc:
        raise InvalidInput(str(exc), field="action") from None
    before = _handling(tip)
    if action_in.action == "accept":
        tip.accepted_on = day
    elif action_in.action == "assign":
        tip.assigned_to = action_in.assignee or ""
    elif action_in.action == "extend":
        tip.extended = True
    elif action_in.action in ("close", "reject"):
        tip.closed_on, tip.reply = day, action_in.reply or ""
        tip.outcome = "rejected" if action_in.action == "reject" else action_in.outcome or ""
    tip.status, tip.updated_at = after, utcnow()
    audit.acted(
        session,
        scope,
        tip,
        entity=ENTITY,
        action=action_in.action,
        before=before,
        after={**_handling(tip), "reason": action_in.reason},
    )
    return tip


def _handling(tip: Tip) -> dict[str, str | None]:
    """Where a tip stands in its handling, as its audit entries record it."""
    return {"status": tip.status, "assigned_to": tip.assigned_to, "outcome": tip.outcome}


def messages(*, session: Session, tip_id: int) -> list[TipMessage]:
    return list(session.scalars(select(TipMessage).where(TipMessage.tip_id == tip_id).order_by(TipMessage.id)))


def staff_message(*, session: Session, scope: Scope, tip_id: int, text: str) -> TipMessage:
    """A question or answer to the reporter, read through the tracking code."""
    scope.require(HANDLE_PERMISSION)
    tip = get(session=session, scope=scope, tip_id=tip_id)
    row = TipMessage(tip_id=tip.id, sender="staff", text=text, at=utcnow(), actor=scope.actor)
    audit.created(session, scope, row, entity="tip_message", division_code=tip.division_code)
    return row


def reporter_message(*, session: Session, tracking_code: str, text: str) -> TipMessage:
    """The reporter's message, by the tracking code alone (no identity asked or stored)."""
    tip, _ = status(session=session, tracking_code=tracking_code)
    if tip.status == "closed":
        raise InvalidInput("the tip is closed; submit a new tip for a new matter", field="text")
    row = TipMessage(tip_id=tip.id, sender="reporter", text=text, at=utcnow(), actor="reporter")
    audit.created(session, PUBLIC, row, entity="tip_message", division_code=tip.division_code)
    return row


def promote(*, session: Session, scope: Scope, tip_id: int, promote_in: PromoteIn, today: dt.date | None = None) -> Tip:
    """Make the tip a hazard of the work-safety register (source ``tip``) or a penalty case (立案), once each."""
    from yingji.enforcement.cases import service as case_service
    from yingji.enforcement.cases.schemas import CaseIn
    from yingji.hazards.register import service as hazard_service
    from yingji.hazards.register.schemas import HazardIn

    scope.require(HANDLE_PERMISSION)
    tip = get(session=session, scope=scope, tip_id=tip_id)
    text = f"{tip.text}\n（举报 #{tip.id}）"[:5000]
    if promote_in.to == "hazard":
        if tip.hazard_id is not None:
            raise Conflict("the tip is already a hazard")
        hazard = hazard_service.report(
            session=session,
            scope=scope,
            hazard_in=HazardIn(
                enterprise_id=promote_in.enterprise_id or 0, title=promote_in.title, description=text, source="tip"
            ),
        )
        tip.hazard_id = hazard.id
    elif promote_in.to == "case":
        if tip.case_id is not None:
            raise Conflict("the tip is already a case")
        assert promote_in.enterprise_id is not None  # PromoteIn checks it
        case = case_service.create_case(session=session, scope=scope, case_in=CaseIn(
            enterprise_id=promote_in.enterprise_id, title=promote_in.title, facts=text,
            filed_on=today or utcnow().date()))  # fmt: skip
        tip.case_id = case.id
    else:
        tip.incident_id = _promote_to_incident(session, scope, tip, promote_in, text)
    tip.updated_at = utcnow()
    audit.acted(
        session,
        scope,
        tip,
        entity=ENTITY,
        action=f"promote_{promote_in.to}",
        after={"hazard_id": tip.hazard_id, "case_id": tip.case_id, "incident_id": tip.incident_id},
    )
    return tip


def _promote_to_incident(session: Session, scope: Scope, tip: Tip, promote_in: PromoteIn, text: str) -> int:
    """An incident (Command) from the tip: its division, its point (or the one given, or the division's own),
    the time it was received, the tip's text as the description (needs incidents:write as well)."""
    from yingji.incidents import service as incidents_service
    from yingji.incidents.schemas import IncidentCreate

    if tip.incident_id is not None:
        raise Conflict("the tip is already an incident")
    lon, lat = promote_in.lon, promote_in.lat
    if lon is None or lat is None:
        lon, lat = tip.lon, tip.lat
    if lon is None or lat is None:
        point = session.execute(select(Division.lon, Division.lat).where(Division.code == tip.division_code)).first()
        lon, lat = (point[0], point[1]) if point is not None else (None, None)
    if lon is None or lat is None:
        raise InvalidInput("the tip and its division have no point: give lon and lat", field="lon")
    incident = incidents_service.create(session=session, scope=scope, incident_in=IncidentCreate(
        title=promote_in.title, incident_type=promote_in.incident_type, divisions=[tip.division_code], lon=lon,
        lat=lat, description=text[:4000], occurred_at=tip.created_at, reported_at=tip.created_at,
        figures_source=f"public tip #{tip.id}"))  # fmt: skip
    return incident.id


def duplicate_groups(
    *, session: Session, scope: Scope, days: int = 90, now: dt.datetime | None = None
) -> list[list[int]]:
    """Probable duplicates among the caller's tips of the last ``days`` days (see :func:`handling.near`)."""
    scope.require("tips:read")
    since = (now or utcnow()) - dt.timedelta(days=days)
    rows = session.execute(
        select(Tip.id, Tip.division_code, Tip.category, Tip.text, Tip.created_at, Tip.lon, Tip.lat)
        .where(scope.where_covered(Tip.division_code), Tip.created_at >= since)
        .order_by(Tip.created_at).limit(5000)
    ).all()  # fmt: skip
    return handling.groups([handling.TipPoint(*r) for r in rows])


def statistics(*, session: Session, division: str | None = None) -> dict[str, object]:
    """Public counts of tips by category, status, outcome and the divisions one level below ``division``
    (provinces by default), with the median days to close; small counts withheld (:func:`handling.publish`)."""
    from sqlalchemy import func

    from yingji.geo.codes import COUNTRY_CODE, child_of

    code = geo_service.get_unscoped(session=session, code=division).code if division else COUNTRY_CODE
    area = Scope(actor="public", division_code=code, prefix=_prefix(code))
    stmt = (
        select(Tip.category, Tip.status, Tip.outcome, Tip.division_code, func.count())
        .where(area.where_covered(Tip.division_code))
        .group_by(Tip.category, Tip.status, Tip.outcome, Tip.division_code)
    )
    by_category: dict[str, int] = {}
    by_outcome: dict[str, int] = {}
    by_place: dict[str, int] = {}
    cells: dict[tuple[str, ...], int] = {}  # (category, status, place): the three breakdowns withheld together
    for category, state, outcome, place, count in session.execute(stmt).all():
        by_category[category] = by_category.get(category, 0) + count
        if outcome:
            by_outcome[outcome] = by_outcome.get(outcome, 0) + count
        child = child_of(place, code)
        by_place[child] = by_place.get(child, 0) + count
        cells[(category, state, child)] = cells.get((category, state, child), 0) + count
    total = sum(by_category.values())
    closed = select(Tip.category, Tip.created_at, Tip.closed_on).where(
        Tip.closed_on.is_not(None), area.where_covered(Tip.division_code)
    )
    days: dict[str, list[int]] = {}
    for category, created, closed_on in session.execute(closed).all():
        if closed_on is not None:
            days.setdefault(category, []).append(max(0, (closed_on - created.date()).days))
    every = [d for values in days.values() for d in values]
    names = geo_service.names_of(session=session, codes=list(by_place))
    categories, statuses, places = handling.publish_together(cells) or [{}, {}, {}]
    return {
        "division": division or "",
        "total": handling.suppress(total),
        "by_category": categories,
        "by_status": statuses,
        "by_outcome": handling.publish(dict(sorted(by_outcome.items()))),
        "by_division": [{"code": p, "name": names.get(p, ""), "count": places[p]} for p in sorted(places)],
        "median_days_to_close": handling.median_days(every),
        "median_days_to_close_by_category": {k: handling.median_days(v) for k, v in sorted(days.items())},
        "suppressed_below": handling.SMALL_COUNT,
    }


def _prefix(code: str) -> str:
    from yingji.geo.codes import level_of, prefix

    return prefix(code, level_of(code))


PLACES_LIMIT = 5000


def public_places(*, session: Session) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """The public tip form's place choices: each prefecture (or province-level municipality) with its
    counties, as ``(prefecture name, prefecture code, [(county code, county name)])``, codes ordered. Names
    of administrative divisions are public; only code and name columns are read (no boundary)."""
    rows = session.execute(
        select(Division.code, Division.name, Division.level, Division.parent_code)
        .where(Division.level.in_(("prefecture", "county")))
        .order_by(Division.code)
        .limit(PLACES_LIMIT)
    ).all()
    prefectures = {code: name for code, name, level, _ in rows if level == "prefecture"}
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, name, level, parent in rows:
        if level == "county":
            groups.setdefault(parent if parent in prefectures else "", []).append((code, name))
    return [(prefectures.get(parent, ""), parent, counties) for parent, counties in groups.items()]


# -- rewards (举报奖励) --------------------------------------------------------------------------------

REWARD_PERMISSION = "tips:reward"
REWARD_ENTITY = "tip_reward"
REWARDABLE_OUTCOMES = ("substantiated", "partly")


def _public_reward(row: TipReward) -> dict[str, object]:
    """What the audit log keeps of a reward: never the claimant's name or phone."""
    return {"tip_id": row.tip_id, "kind": row.kind, "amount_yuan": row.amount_yuan, "status": row.status,
            "payment_ref": row.payment_ref}  # fmt: skip


def reward_of(*, session: Session, tip_id: int) -> TipReward | None:
    return session.scalar(select(TipReward).where(TipReward.tip_id == tip_id))


def _reward_for(session: Session, scope: Scope, tip_id: int) -> tuple[Tip, TipReward]:
    tip = get(session=session, scope=scope, tip_id=tip_id)
    row = reward_of(session=session, tip_id=tip.id)
    if row is None:
        raise NotFound("the tip has no reward")
    return tip, row


def propose_reward(*, session: Session, scope: Scope, tip_id: int, reward_in: RewardIn) -> TipReward:
    """Propose the reward of a tip closed as substantiated (or partly): the amount is computed from the rules
    (``standards/tips/rewards.yaml``) — for a violation from the fine of the penalty case the tip became,
    unless a fine is given."""
    scope.require(HANDLE_PERMISSION)
    tip = get(session=session, scope=scope, tip_id=tip_id)
    if tip.status != "closed" or tip.outcome not in REWARDABLE_OUTCOMES:
        raise Conflict("only a tip closed as substantiated (or partly) earns a reward")
    if reward_of(session=session, tip_id=tip.id) is not None:
        raise Conflict("the tip has a reward already")
    fine = reward_in.fine_yuan
    if reward_in.kind == "violation" and fine is None and tip.case_id is not None:
        from yingji.enforcement.cases.models import PenaltyCase

        fine = session.scalar(select(PenaltyCase.fine_yuan).where(PenaltyCase.id == tip.case_id))
    try:
        amount = rewards.compute(reward_in.kind, fine_yuan=fine, deaths=reward_in.deaths, grade=reward_in.grade)
    except rewards.RewardError as exc:
        raise InvalidInput(str(exc), field="kind") from None
    row = TipReward(tip_id=tip.id, kind=reward_in.kind, amount_yuan=amount.yuan, basis=amount.basis,
                    status="proposed", proposed_by=scope.actor, proposed_at=utcnow(), approved_by="", paid_by="",
                    payment_ref="")  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(session=session, scope=scope, action="propose", entity=REWARD_ENTITY, entity_id=row.id,
                 division_code=tip.division_code, after=_public_reward(row))  # fmt: skip
    return row


def _step(session: Session, scope: Scope, tip: Tip, row: TipReward, action: str) -> None:
    before = _public_reward(row)
    try:
        row.status = rewards.next_status(row.status, action)
    except rewards.RewardError as exc:
        raise Conflict(str(exc)) from None
    session.flush()
    audit.record(session=session, scope=scope, action=action, entity=REWARD_ENTITY, entity_id=row.id,
                 division_code=tip.division_code, before=before, after=_public_reward(row))  # fmt: skip


def approve_reward(*, session: Session, scope: Scope, tip_id: int) -> TipReward:
    """Approve a proposed reward: a second person with the reward permission (the proposer may not)."""
    scope.require(REWARD_PERMISSION)
    tip, row = _reward_for(session, scope, tip_id)
    if row.proposed_by == scope.actor:
        raise Forbidden("a reward is approved by someone other than its proposer")
    row.approved_by, row.approved_at = scope.actor, utcnow()
    _step(session, scope, tip, row, "approve")
    return row


def claim_reward(*, session: Session, tracking_code: str, name: str, phone: str) -> TipReward:
    """The tracking code's holder claims an approved reward, naming who is to be paid (seen only by the
    paying officer). Unknown codes and tips without an approved reward are alike to the caller."""
    tip, _ = status(session=session, tracking_code=tracking_code)
    row = reward_of(session=session, tip_id=tip.id)
    if row is None:
        raise NotFound("no reward to claim for this tracking code")
    row.claimant_name, row.claimant_phone, row.claimed_at = name, phone, utcnow()
    _step(session, PUBLIC, tip, row, "claim")
    return row


def pay_reward(*, session: Session, scope: Scope, tip_id: int, payment_ref: str) -> TipReward:
    """Record the payment of a claimed reward; the paying officer is shown the claimant (audited as a
    disclosure). The proposer may not pay."""
    scope.require(REWARD_PERMISSION)
    tip, row = _reward_for(session, scope, tip_id)
    if row.proposed_by == scope.actor:
        raise Forbidden("a reward is paid by someone other than its proposer")
    row.paid_by, row.paid_at, row.payment_ref = scope.actor, utcnow(), payment_ref
    _step(session, scope, tip, row, "pay")
    audit.record(session=session, scope=scope, action="read_claimant", entity=REWARD_ENTITY, entity_id=row.id,
                 division_code=tip.division_code)  # fmt: skip
    return row


def reward_view(*, session: Session, scope: Scope, tip_id: int) -> TipReward:
    """A tip's reward for its handlers (tips:read; the claimant is not part of this view)."""
    return _reward_for(session, scope, tip_id)[1]
