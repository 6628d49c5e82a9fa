"""The incident list in a jurisdiction, on both backends: every way an incident is readable (its own
division in the subtree, its own division an ancestor, another of its divisions in the subtree) is listed
once, counted once, and pages merge them newest first."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session
from tests.incidents.test_incidents_service import DINGRI, LAZI, T0, XIGAZE, new_incident, scope_of
from tests.positions import position_in

from yingji.incidents import service
from yingji.incidents.schemas import IncidentUpdate

MARK = "列表合并测试"


def listed(session: Session, username: str, **filters: object) -> tuple[list[int], int]:
    rows, total = service.list_incidents(
        session=session,
        scope=scope_of(session, username),
        q=MARK,
        **filters,  # type: ignore[arg-type]
    )
    return [r.id for r in rows], total


def at(hours: int) -> dict[str, object]:
    return {"title": f"{MARK} {hours}", "occurred_at": T0, "reported_at": T0 + dt.timedelta(hours=hours)}


def test_each_way_of_being_readable_is_listed_once_newest_first(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    own = new_incident(session, commander, divisions=[DINGRI], **at(1))
    prefecture = new_incident(session, commander, divisions=[XIGAZE], **at(2))
    elsewhere_first = new_incident(session, commander, divisions=[LAZI, DINGRI], **at(3))
    foreign = new_incident(session, commander, divisions=[LAZI], **at(4))
    ids, total = listed(session, "dingri_duty")
    assert ids == [elsewhere_first.id, prefecture.id, own.id]
    assert total == 3
    assert foreign.id not in ids
    pages = [listed(session, "dingri_duty", limit=1, offset=k)[0] for k in range(4)]
    assert pages == [[elsewhere_first.id], [prefecture.id], [own.id], []]


def test_filters_apply_to_every_part_of_the_jurisdiction(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    new_incident(session, commander, divisions=[DINGRI], incident_type="flood", **at(1))
    shared = new_incident(session, commander, divisions=[LAZI, DINGRI], incident_type="fire", **at(2))
    prefecture = new_incident(session, commander, divisions=[XIGAZE], incident_type="fire", **at(3))
    assert listed(session, "dingri_duty", incident_type="fire") == ([prefecture.id, shared.id], 2)
    assert listed(session, "dingri_duty", since=T0 + dt.timedelta(hours=2), until=T0 + dt.timedelta(hours=3)) == (
        [shared.id],
        1,
    )


def test_changing_divisions_moves_the_incident_between_lists(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    incident = new_incident(session, commander, divisions=[DINGRI], **at(1))
    assert listed(session, "lazi_duty") == ([], 0)
    change = IncidentUpdate(version=1, divisions=[LAZI, DINGRI])
    service.update_incident(session=session, scope=commander, incident_id=incident.id, change=change)
    assert listed(session, "lazi_duty") == ([incident.id], 1)
    assert listed(session, "dingri_duty") == ([incident.id], 1)
    lon, lat = position_in(LAZI)  # an incident moved to another county is placed there
    change = IncidentUpdate(version=2, divisions=[LAZI], lon=lon, lat=lat)
    service.update_incident(session=session, scope=commander, incident_id=incident.id, change=change)
    assert listed(session, "dingri_duty") == ([], 0)
    assert listed(session, "lazi_duty") == ([incident.id], 1)
