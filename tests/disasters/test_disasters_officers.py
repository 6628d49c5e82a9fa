"""Information officers and the escalation of overdue township initial reports (issue #17 item 2): the
register through real HTTP, the scheduler's pass through the service with an injected clock at the
deadline's boundary (both backends)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import LiveServer
from tests.disasters.test_disasters_api import T1, T2, event, submit

from yingji.auth.scope import system_scope
from yingji.disasters import escalation, service
from yingji.disasters.models import DisasterEscalation
from yingji.disasters.officers import service as officers
from yingji.disasters.officers.schemas import OfficerIn
from yingji.disasters.schemas import EventIn, ReportIn, ReviewIn
from yingji.geo import service as geo_service

START = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)
SCOPE = system_scope("officer-test")
EPS = dt.timedelta(microseconds=1)


def test_the_register_keeps_officers_in_calling_order(live: LiveServer) -> None:
    county = live.client("dingri_duty")
    backup = county.post(
        "/api/v1/disasters/officers", json={"township_code": T1, "name": "次仁", "phone": "0892-1234567", "rank": 2}
    )
    first = county.post(
        "/api/v1/disasters/officers", json={"township_code": T1, "name": "扎西", "phone": "13800000000"}
    )
    assert backup.status_code == 201 and first.status_code == 201, first.text
    bad = county.post("/api/v1/disasters/officers", json={"township_code": T1, "name": "x", "phone": "<script>"})
    assert bad.status_code == 422
    listed = county.get("/api/v1/disasters/officers", params={"township": T1}).json()
    assert [o["name"] for o in listed] == ["扎西", "次仁"]
    off = county.post(f"/api/v1/disasters/officers/{first.json()['id']}/deactivate")
    assert off.status_code == 200 and off.json()["active"] is False
    assert [o["name"] for o in county.get("/api/v1/disasters/officers", params={"township": T1}).json()] == ["次仁"]
    # townships that report are not escalated; the list answers through the API
    ev = event(county)
    assert submit(county, ev["id"], T1, affected=1).status_code == 201
    assert county.get(f"/api/v1/disasters/events/{ev['id']}/escalations").json() == []


def test_escalation_starts_one_instant_after_the_deadline_and_flags_once(session: Session) -> None:
    ev = service.create_event(
        session=session, scope=SCOPE,
        event_in=EventIn(name="定日洪涝", kind="flood", division_code="540223000000", started_at=START),
    )  # fmt: skip
    officers.add_officer(
        session=session, scope=SCOPE, officer_in=OfficerIn(township_code=T2, name="扎西", phone="13800000000")
    )
    report = service.submit_report(
        session=session, scope=SCOPE, event_id=ev.id,
        report_in=ReportIn(township_code=T1, report_type="initial", figures={"affected": 3}),
    )  # fmt: skip
    due = START + dt.timedelta(hours=2)
    assert officers.escalate_overdue(session=session, scope=SCOPE, now=due, township_hours=2)["escalated"] == 0
    counts = officers.escalate_overdue(session=session, scope=SCOPE, now=due + EPS, township_hours=2)
    townships = [
        d.code for d in geo_service.descendants(session=session, scope=SCOPE, code="540223000000", level="township")
    ]
    assert counts == {"events": 1, "escalated": len(townships) - 1}
    rows = {
        r.township_code: r
        for r in session.scalars(select(DisasterEscalation).where(DisasterEscalation.event_id == ev.id))
    }
    assert T1 not in rows and rows[T2].notified[0]["name"] == "扎西"
    assert rows[T2].notified[-1] == {"division": "540223000000", "role": "county bureau"}
    assert rows[T2].due_at == due
    # a second pass flags nothing new; a returned report counts as not reported
    assert (
        officers.escalate_overdue(session=session, scope=SCOPE, now=due + dt.timedelta(hours=1), township_hours=2)[
            "escalated"
        ]
        == 0
    )
    service.review_report(
        session=session, scope=SCOPE, report_id=report.id, review_in=ReviewIn(action="return", reason="缺项")
    )
    again = officers.escalate_overdue(session=session, scope=SCOPE, now=due + dt.timedelta(hours=2), township_hours=2)
    assert again["escalated"] == 1
    # past the window an event is no longer chased
    assert not escalation.chased(START, START + escalation.WINDOW + EPS) and escalation.chased(
        START, START + escalation.WINDOW
    )


def test_the_clock_must_carry_its_offset(session: Session) -> None:
    from yingji.errors import InvalidInput

    with pytest.raises(InvalidInput):
        officers.escalate_overdue(session=session, scope=SCOPE, now=dt.datetime(2026, 7, 1), township_hours=1)
