"""The information-officer register and the scheduler's escalation of overdue township reports."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.disasters import escalation, regime, review
from yingji.disasters import service as disaster_service
from yingji.disasters.models import (
    DisasterEscalation,
    DisasterEvent,
    DisasterOfficer,
    DisasterReport,
)
from yingji.disasters.officers.schemas import OfficerIn
from yingji.disasters.stabilised import service as stabilised
from yingji.errors import DomainError, InvalidInput, NotFound
from yingji.geo import service as geo_service
from yingji.incidents import service as incidents_service


def add_officer(*, session: Session, scope: Scope, officer_in: OfficerIn) -> DisasterOfficer:
    """Register an officer (rank 1) or a backup (2…) of a township in the caller's subtree."""
    scope.require(disaster_service.REPORT)
    township = geo_service.get(session=session, scope=scope, code=officer_in.township_code)
    scope.require_write(township.code, "township")
    if township.level != "township":
        raise InvalidInput(f"division {township.code} is not a township", field="township_code")
    officer = DisasterOfficer(**officer_in.model_dump(), active=True, created_by=scope.actor)
    audit.created(session, scope, officer, entity="disaster_officer", division_code=township.code)
    return officer


def list_officers(*, session: Session, scope: Scope, township: str | None = None) -> list[DisasterOfficer]:
    """Active officers of the caller's subtree (one township's with ``township``), in calling order."""
    scope.require(disaster_service.READ)
    stmt = select(DisasterOfficer).where(
        DisasterOfficer.active.is_(True), scope.where_covered(DisasterOfficer.township_code)
    )
    if township:
        stmt = stmt.where(DisasterOfficer.township_code == township)
    return list(session.scalars(stmt.order_by(DisasterOfficer.township_code, DisasterOfficer.rank, DisasterOfficer.id)))


def deactivate_officer(*, session: Session, scope: Scope, officer_id: int) -> DisasterOfficer:
    scope.require(disaster_service.REPORT)
    officer = session.get(DisasterOfficer, officer_id)
    if officer is None or not scope.covers(officer.township_code):
        raise NotFound("officer not found")
    before = audit.snapshot(officer)
    officer.active = False
    audit.changed(
        session,
        scope,
        officer,
        before,
        entity="disaster_officer",
        action="deactivate",
        division_code=officer.township_code,
    )
    return officer


def list_escalations(*, session: Session, scope: Scope, event_id: int) -> list[DisasterEscalation]:
    event = disaster_service.get_event(session=session, scope=scope, event_id=event_id)
    stmt = select(DisasterEscalation).where(
        DisasterEscalation.event_id == event.id, scope.where_covered(DisasterEscalation.township_code)
    )
    return list(session.scalars(stmt.order_by(DisasterEscalation.id)))


def _contacts(session: Session, townships: list[str]) -> dict[str, list[dict[str, Any]]]:
    stmt = select(DisasterOfficer).where(DisasterOfficer.active.is_(True), DisasterOfficer.township_code.in_(townships))
    out: dict[str, list[dict[str, Any]]] = {}
    for officer in session.scalars(stmt.order_by(DisasterOfficer.rank, DisasterOfficer.id)):
        out.setdefault(officer.township_code, []).append(
            {"officer_id": officer.id, "name": officer.name, "phone": officer.phone, "rank": officer.rank}
        )
    return out


def _escalate_follow_ups(*, session: Session, scope: Scope, event: DisasterEvent, now: dt.datetime) -> int:
    """Flag, once per due instant, each township that made an initial report and has no follow-up (or
    verified) report for the latest follow-up deadline that has passed (the regime's schedule for the
    event's kind: daily 09:00, or every n days). Returns how many were flagged."""
    schedule = [
        d
        for d in regime.default_regime().deadlines_for("follow_up", event.kind)
        if d.from_level == "county" and (d.daily_local_time or d.every_days)
    ]
    if not schedule:
        return 0
    window = escalation.follow_up_window(schedule[0], event.started_at, now)
    if window is None:
        return 0
    after, due = window
    rows = session.execute(
        select(DisasterReport.township_code, DisasterReport.report_type, DisasterReport.submitted_at).where(
            DisasterReport.event_id == event.id, DisasterReport.status != review.RETURNED
        )
    ).all()
    initial = sorted({t for t, kind, _ in rows if kind == "initial"})
    reported: dict[str, list[dt.datetime]] = {}
    for township, kind, at in rows:
        if kind in ("follow_up", "verified"):
            reported.setdefault(township, []).append(at if at.tzinfo else at.replace(tzinfo=dt.UTC))
    late = escalation.missed_follow_up(initial, reported, after, due)
    if not late:
        return 0
    return _flag_once(session, event, late, "follow_up", f"follow_up@{due:%Y%m%dT%H%MZ}", due, now)


def _escalate_verified(
    *, session: Session, event: DisasterEvent, counties: dict[str, dt.date], now: dt.datetime
) -> int:
    """Flag, once, each township that made an initial report and has no verified report (核报) once the regime's
    working days after the day its county stabilised have passed (the county's own day, else the event-wide
    day; nothing while neither is recorded). Returns how many were flagged."""
    days = {event.stabilised_on, *counties.values()}  # the event-wide day: a county without a day of its own
    dues = {day: stabilised.verified_due(event, day) for day in days}
    if not any(due is not None and escalation.verified_chased(due, now) for due in dues.values()):
        return 0
    rows = session.execute(
        select(DisasterReport.township_code, DisasterReport.report_type).where(
            DisasterReport.event_id == event.id, DisasterReport.status != review.RETURNED
        )
    ).all()
    initial = sorted({t for t, kind in rows if kind == "initial"})
    verified = {t for t, kind in rows if kind == "verified"}
    late: dict[dt.datetime, list[str]] = {}
    for township in escalation.missed_verified(initial, verified):
        due = dues[counties.get(review.reviewer_division(township, "county"), event.stabilised_on)]
        if due is not None and escalation.verified_chased(due, now):
            late.setdefault(due, []).append(township)
    return sum(_flag_once(session, event, group, "verified", "verified", due, now) for due, group in late.items())


def _flag_once(
    session: Session,
    event: DisasterEvent,
    late: Sequence[str],
    report_type: str,
    chase: str,
    due: dt.datetime,
    now: dt.datetime,
) -> int:
    """Flag each late township of one chase (named by ``chase`` in its escalation key) that is not flagged yet,
    naming its officers in calling order and the county bureau. Returns how many were flagged."""
    keys = {t: escalation.escalation_key(event.id, t, chase) for t in late}
    known = set(session.scalars(select(DisasterEscalation.key).where(DisasterEscalation.key.in_(keys.values()))))
    fresh = [t for t in late if keys[t] not in known]
    contacts = _contacts(session, fresh)
    for township in fresh:
        county = review.reviewer_division(township, "county")
        notified = [*contacts.get(township, []), {"division": county, "role": "county bureau"}]
        row = DisasterEscalation(key=keys[township], event_id=event.id, township_code=township,
                                 report_type=report_type, due_at=due, flagged_at=now, notified=notified)  # fmt: skip
        session.add(row)
    if fresh:
        session.flush()
    return len(fresh)


def escalate_overdue(*, session: Session, scope: Scope, now: dt.datetime, township_hours: float) -> dict[str, int]:
    """The scheduler's pass at ``now``: every township of a chased event without an initial report once its
    local deadline has passed is flagged once, and so is each township that reported but missed the latest
    follow-up deadline (:func:`_escalate_follow_ups`) (a row naming its officers in calling order and the county
    that receives the report); a linked incident gets one timeline line per event and pass."""
    if now.utcoffset() is None:
        raise InvalidInput("now must be timezone-aware", field="now")
    counts = {"events": 0, "escalated": 0}
    county_days = stabilised.county_days(session=session, scope=scope, event_ids=None)
    for event in session.scalars(select(DisasterEvent).order_by(DisasterEvent.id)):
        counties = county_days.get(event.id, {})
        late_verified = _escalate_verified(session=session, event=event, counties=counties, now=now)
        if late_verified:
            counts["events"] += 1
            counts["escalated"] += late_verified
        if not escalation.chased(event.started_at, now):
            continue
        late_follow_ups = _escalate_follow_ups(session=session, scope=scope, event=event, now=now)
        if late_follow_ups:
            counts["events"] += 0 if late_verified else 1  # an event counts once per pass
            counts["escalated"] += late_follow_ups
        due = escalation.initial_due(event.started_at, township_hours)
        if not escalation.is_overdue(due, now):
            continue
        area = geo_service.get(session=session, scope=scope, code=event.division_code)
        townships = [
            d.code for d in geo_service.descendants(session=session, scope=scope, code=area.code, level="township")
        ]
        if area.level == "township":
            townships = [area.code]
        reported = set(
            session.scalars(
                select(DisasterReport.township_code).where(
                    DisasterReport.event_id == event.id,
                    DisasterReport.report_type == "initial",
                    DisasterReport.status != review.RETURNED,
                )
            )
        )
        late = escalation.overdue(townships, reported, due, now)
        if not late:
            continue
        known = set(
            session.scalars(
                select(DisasterEscalation.township_code).where(
                    DisasterEscalation.event_id == event.id, DisasterEscalation.report_type == "initial"
                )
            )
        )
        fresh = [t for t in late if t not in known]
        if not fresh:
            continue
        contacts = _contacts(session, fresh)
        for township in fresh:
            county = review.reviewer_division(township, "county")
            notified = [*contacts.get(township, []), {"division": county, "role": "county bureau"}]
            session.add(
                DisasterEscalation(
                    key=escalation.escalation_key(event.id, township, "initial"),
                    event_id=event.id,
                    township_code=township,
                    report_type="initial",
                    due_at=due,
                    flagged_at=now,
                    notified=notified,
                )
            )
        counts["events"] += 0 if late_follow_ups or late_verified else 1  # an event counts once per pass
        counts["escalated"] += len(fresh)
        session.flush()
        if event.incident_id is not None:
            text = f"灾情初报逾期 / initial disaster reports overdue: {len(fresh)} townships of event {event.id}"
            data = {"event_id": event.id, "townships": fresh[:50], "due_at": due.isoformat()}
            with contextlib.suppress(DomainError):  # the incident is gone or closed to changes; the rows stand
                incidents_service.add_timeline_entry(
                    session=session, scope=scope, incident_id=event.incident_id, kind="disaster_reports_overdue",
                    text=text, data=data, at=now,
                )  # fmt: skip
    if counts["escalated"]:
        audit.record(
            session=session, scope=scope, action="escalate_overdue", entity="disaster_scheduler",
            entity_id=now.isoformat(), after=dict(counts),
        )  # fmt: skip
    return counts
