"""The statistics page's figures and the map layer's points, counted by the database, on both backends:
weeks, types and statuses, median response delays, exercises left out, jurisdiction kept."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session
from tests.positions import position_in

from yingji.auth import service as auth_service
from yingji.auth.scope import Scope
from yingji.incidents import service
from yingji.incidents.schemas import IncidentCreate

DINGRI, LAZI = "540223000000", "540225000000"
SINCE = dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.UTC)


def scope_of(session: Session, username: str) -> Scope:
    user = auth_service.get_by_username(session=session, username=username)
    assert user is not None
    return auth_service.scope_for(session=session, user=user)


def reported(
    session: Session,
    scope: Scope,
    at: dt.datetime,
    *,
    kind: str = "geological_hazard",
    county: str = DINGRI,
    exercise: bool = False,
    response_minutes: float | None = None,
    status: str | None = None,
) -> service.Incident:
    incident = service.create(
        session=session,
        scope=scope,
        incident_in=IncidentCreate.model_validate(
            {
                "title": f"{kind} {at:%m-%d %H:%M}",
                "incident_type": kind,
                "divisions": [county],
                "lon": position_in(county)[0],
                "lat": position_in(county)[1],
                "occurred_at": at - dt.timedelta(minutes=5),
                "reported_at": at,
                "exercise": exercise,
            }
        ),
    )
    if response_minutes is not None:
        incident.response_at = at + dt.timedelta(minutes=response_minutes)
    if status is not None:
        incident.status = status
    session.flush()
    return incident


def test_counts_by_week_type_and_status_leave_exercises_and_older_incidents_out(session: Session) -> None:
    prefecture = scope_of(session, "xigaze_commander")
    day = dt.timedelta(days=1)
    reported(session, prefecture, SINCE + day)
    reported(session, prefecture, SINCE + 7 * day)  # the first moment of the second week
    reported(session, prefecture, SINCE + 8 * day, kind="flood", status="closed")
    reported(session, prefecture, SINCE + 8 * day, kind="flood", county=LAZI)
    reported(session, prefecture, SINCE + 2 * day, exercise=True)
    reported(session, prefecture, SINCE - day)
    reported(session, prefecture, SINCE + 30 * day)  # after the last week: counted by status only

    stats = service.statistics(session=session, scope=prefecture, since=SINCE, weeks=3)
    assert stats.weeks == [{"geological_hazard": 1}, {"geological_hazard": 1, "flood": 2}, {}]
    assert stats.by_status == {"reported": 4, "closed": 1}


def test_counts_keep_to_the_callers_jurisdiction(session: Session) -> None:
    prefecture = scope_of(session, "xigaze_commander")
    reported(session, prefecture, SINCE + dt.timedelta(hours=1), county=DINGRI)
    reported(session, prefecture, SINCE + dt.timedelta(hours=2), county=LAZI, kind="flood")

    stats = service.statistics(session=session, scope=scope_of(session, "dingri_duty"), since=SINCE, weeks=1)
    assert stats.weeks == [{"geological_hazard": 1}] and stats.by_status == {"reported": 1}


def test_the_median_response_delay_is_the_upper_middle_one_per_type(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    for i, minutes in enumerate([40, 10, 30, 20]):
        reported(session, scope, SINCE + dt.timedelta(hours=i), response_minutes=minutes)
    for i, minutes in enumerate([100, 5, 7]):
        reported(session, scope, SINCE + dt.timedelta(hours=i), kind="flood", response_minutes=minutes)
    reported(session, scope, SINCE + dt.timedelta(hours=9), kind="flood", response_minutes=1, exercise=True)
    reported(session, scope, SINCE + dt.timedelta(hours=9), kind="flood")  # no response yet

    medians = service.statistics(session=session, scope=scope, since=SINCE, weeks=1).median_response_minutes
    assert medians.keys() == {"geological_hazard", "flood"}
    assert abs(medians["geological_hazard"] - 30) < 0.01 and abs(medians["flood"] - 7) < 0.01


def test_map_points_are_the_open_incidents_in_scope_newest_first(session: Session) -> None:
    prefecture = scope_of(session, "xigaze_commander")
    older = reported(session, prefecture, SINCE)
    newer = reported(session, prefecture, SINCE + dt.timedelta(hours=1))
    reported(session, prefecture, SINCE + dt.timedelta(hours=2), status="closed")
    foreign = reported(session, prefecture, SINCE + dt.timedelta(hours=3), county=LAZI)

    points = service.map_points(session=session, scope=scope_of(session, "dingri_duty"))
    assert [p[0] for p in points] == [newer.id, older.id]
    assert tuple(points[0]) == (newer.id, newer.grade, 87.1, 28.6)
    assert [p[0] for p in service.map_points(session=session, scope=prefecture, limit=1)] == [foreign.id]


def test_an_incident_led_by_another_county_counts_where_it_also_lies(session: Session) -> None:
    prefecture = scope_of(session, "xigaze_commander")
    shared = service.create(
        session=session,
        scope=prefecture,
        incident_in=IncidentCreate.model_validate(
            {
                "title": "跨县洪水",
                "incident_type": "flood",
                "divisions": [LAZI, DINGRI],
                "lon": 87.6,
                "lat": 29.1,
                "occurred_at": SINCE,
                "reported_at": SINCE + dt.timedelta(hours=1),
            }
        ),
    )
    dingri = scope_of(session, "dingri_duty")
    assert [p[0] for p in service.map_points(session=session, scope=dingri)] == [shared.id]
    assert service.statistics(session=session, scope=dingri, since=SINCE, weeks=1).weeks == [{"flood": 1}]
