"""Demo disaster statistics for the demo region (定日 county of Xigaze): one flood event, information
officers for its first townships, reports at several stages of review, and the escalation of the townships
that have not sent an initial report. Synthetic and labelled so (“（演示）” in names); deterministic; loading
twice adds nothing. The ledgers need the settings' key and are left empty here."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.disasters import service
from yingji.disasters.models import DisasterEvent
from yingji.disasters.officers import service as officers
from yingji.disasters.officers.schemas import OfficerIn
from yingji.disasters.schemas import EventIn, ReportIn, ReviewIn
from yingji.geo import service as geo_service

NAME = "定日县洪涝（演示）"
COUNTY = "540223000000"
START = dt.datetime(2026, 7, 1, 2, 0, tzinfo=dt.UTC)


def load_demo_disasters(*, session: Session, scope: Scope) -> dict[str, int]:
    if session.scalar(select(DisasterEvent.id).where(DisasterEvent.name == NAME)) is not None:
        return {"disaster events": 0}
    townships = [d.code for d in geo_service.descendants(session=session, scope=scope, code=COUNTY, level="township")]
    if len(townships) < 3:
        return {"disaster events": 0}
    event = service.create_event(
        session=session,
        scope=scope,
        event_in=EventIn(name=NAME, kind="flood", division_code=COUNTY, started_at=START),
    )
    for number, code in enumerate(townships[:3], start=1):
        officers.add_officer(
            session=session,
            scope=scope,
            officer_in=OfficerIn(township_code=code, name=f"信息员{number}（演示）", phone=f"1380000000{number}"),
        )
    figures = [
        {"affected": 1200, "deaths": 1, "missing": 2, "relocated": 300, "houses_collapsed_households": 12},
        {"affected": 640, "deaths": 0, "missing": 0, "relocated": 80, "houses_collapsed_households": 3},
        {"affected": 90, "deaths": 0, "missing": 0, "relocated": 0, "houses_collapsed_households": 0},
    ]
    for index, (code, values) in enumerate(zip(townships[:3], figures, strict=True)):
        report = service.submit_report(
            session=session,
            scope=scope,
            event_id=event.id,
            report_in=ReportIn(township_code=code, report_type="initial", figures=values),
        )
        if index < 2:  # two accepted by the county, the third waits in the queue
            service.review_report(
                session=session, scope=scope, report_id=report.id, review_in=ReviewIn(action="accept")
            )
    counts = officers.escalate_overdue(
        session=session, scope=scope, now=START + dt.timedelta(hours=3), township_hours=1
    )
    return {"disaster events": 1, "disaster reports": 3, "overdue township reports": counts["escalated"]}
