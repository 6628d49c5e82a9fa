"""The day each county of a disaster event stabilised (灾情稳定), the event-wide day of the counties that record
none, and when each county's townships' verified reports (核报) are due. The caller has read the event already
(``disasters.service`` does, then comes here). Services never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.disasters import deadlines, escalation, regime
from yingji.disasters.models import DisasterEvent, DisasterStabilisedDay
from yingji.errors import InvalidInput, NotFound
from yingji.geo import service as geo_service
from yingji.geo.codes import code_range, level_of, prefix


def bureau_county(scope: Scope) -> str | None:
    """The county whose bureau the caller is (a county user's jurisdiction), else None."""
    return scope.division_code if scope.prefix and level_of(scope.division_code) == "county" else None


def check_day(event: DisasterEvent, on: dt.date, now: dt.datetime | None) -> None:
    """Not before the event's start day, not after today (北京时间; ``now``, the clock, injected in tests)."""
    today = deadlines.local_day(now or utcnow())
    if on < deadlines.local_day(event.started_at):
        raise InvalidInput(f"the event started on {deadlines.local_day(event.started_at)}, after {on}", field="on")
    if on > today:
        raise InvalidInput(f"{on} is after today ({today})", field="on")


def verified_due(event: DisasterEvent, day: dt.date | None) -> dt.datetime | None:
    """When the verified reports (核报) of a county that stabilised on ``day`` are due (None without a day)."""
    deadline = next(
        (d for d in regime.default_regime().deadlines_for("verified", event.kind) if d.from_level == "county"), None
    )
    started = event.started_at if event.started_at.tzinfo else event.started_at.replace(tzinfo=dt.UTC)
    return escalation.verified_due(deadline, started, day) if deadline else None


def event_counties(event_division: str) -> tuple[str, str]:
    """The range of county codes an event's area holds (a township's event: its one county)."""
    level = level_of(event_division)
    area = prefix(event_division, "county" if level in ("township", "village") else level)
    return code_range(area)


def record_county_day(
    *, session: Session, scope: Scope, event: DisasterEvent, county_code: str, on: dt.date, now: dt.datetime | None
) -> DisasterStabilisedDay:
    """Record (or correct) one county's day for an event the caller has read."""
    low, high = event_counties(event.division_code)
    if not scope.covers(county_code) or not low <= county_code <= high or level_of(county_code) != "county":
        raise NotFound("county not found")
    geo_service.get(session=session, scope=scope, code=county_code)  # a loaded division
    check_day(event, on, now)
    row = session.scalar(
        select(DisasterStabilisedDay).where(
            DisasterStabilisedDay.event_id == event.id, DisasterStabilisedDay.county_code == county_code
        )
    )
    if row is None:
        row = DisasterStabilisedDay(event_id=event.id, county_code=county_code, stabilised_on=on,
                                    recorded_by=scope.actor, recorded_at=now or utcnow())  # fmt: skip
        audit.created(session, scope, row, entity="disaster_stabilised_day", division_code=county_code,
                      action="stabilised")  # fmt: skip
        return row
    before = audit.snapshot(row)
    row.stabilised_on, row.recorded_by, row.recorded_at = on, scope.actor, now or utcnow()
    audit.changed(session, scope, row, before, entity="disaster_stabilised_day", action="stabilised",
                  division_code=county_code)  # fmt: skip
    return row


def county_days(*, session: Session, scope: Scope, event_ids: list[int] | None) -> dict[int, dict[str, dt.date]]:
    """Per event (of ``event_ids``, events the caller has read already; None: every event), the counties' own
    days the caller covers."""
    out: dict[int, dict[str, dt.date]] = {}
    if event_ids is not None and not event_ids:
        return out
    stmt = select(
        DisasterStabilisedDay.event_id, DisasterStabilisedDay.county_code, DisasterStabilisedDay.stabilised_on
    ).where(scope.where_covered(DisasterStabilisedDay.county_code))
    if event_ids is not None:
        stmt = stmt.where(DisasterStabilisedDay.event_id.in_(event_ids))
    for event_id, county, day in session.execute(stmt.order_by(DisasterStabilisedDay.county_code)):
        out.setdefault(event_id, {})[county] = day
    return out


def day_for(scope: Scope, event: DisasterEvent, counties: dict[str, dt.date]) -> dt.date | None:
    """The day as it applies to the caller: a county's own day for its bureau, else the event-wide day."""
    county = bureau_county(scope)
    return event.stabilised_on if county is None else counties.get(county, event.stabilised_on)
