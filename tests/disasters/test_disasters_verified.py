"""Verified reports (核报, issue #17 item 2): due by the end (24:00 北京时间) of the regime's second working day
after the day the disaster stabilised, which the event's bureau records; the due instant and the chase window
at every boundary on an injected clock (pure), the day's bounds, and the scheduler flagging a township that
reported initially but sent no 核报, once (service, both backends); the day through HTTP and jurisdiction."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.conftest import LiveServer
from tests.disasters.test_disasters_api import LAZI_T, T1, T2, event

from yingji.auth.scope import Scope, system_scope
from yingji.disasters import deadlines, escalation, regime, service
from yingji.disasters.models import DisasterEscalation
from yingji.disasters.officers import service as officers
from yingji.disasters.schemas import EventIn, ReportIn
from yingji.disasters.stabilised import service as stabilised
from yingji.errors import InvalidInput, NotFound

START = dt.datetime(2026, 6, 30, 17, 0, tzinfo=dt.UTC)  # 2026-07-01 01:00 北京时间 (a Wednesday)
EPS = dt.timedelta(microseconds=1)
SCOPE = system_scope("verified-test")


def deadline() -> regime.Deadline:
    return next(d for d in regime.default_regime().deadlines_for("verified", "flood") if d.from_level == "county")


def test_the_county_deadline_is_two_working_days() -> None:
    assert deadline().within_working_days == 2


@pytest.mark.parametrize(
    ("stabilised", "due_cst"),
    [
        (dt.date(2026, 7, 1), dt.datetime(2026, 7, 4, 0, 0)),  # Wed → Thu, Fri: due at Friday's end
        (dt.date(2026, 7, 2), dt.datetime(2026, 7, 7, 0, 0)),  # Thu → Fri, Mon
        (dt.date(2026, 7, 3), dt.datetime(2026, 7, 8, 0, 0)),  # Fri → Mon, Tue (the weekend does not count)
        (dt.date(2026, 7, 4), dt.datetime(2026, 7, 8, 0, 0)),  # Sat → Mon, Tue
        (dt.date(2026, 7, 5), dt.datetime(2026, 7, 8, 0, 0)),  # Sun → Mon, Tue
    ],
)
def test_the_verified_report_is_due_at_the_end_of_the_second_working_day(
    stabilised: dt.date, due_cst: dt.datetime
) -> None:
    due = escalation.verified_due(deadline(), START, stabilised)
    assert due == due_cst.replace(tzinfo=deadlines.CST)
    assert due is not None and due.utcoffset() == dt.timedelta(0)


def test_no_day_stabilised_means_no_deadline() -> None:
    assert escalation.verified_due(deadline(), START, None) is None


def test_the_chase_starts_one_instant_after_the_due_instant_and_ends_after_the_window() -> None:
    due = dt.datetime(2026, 7, 3, 16, 0, tzinfo=dt.UTC)
    assert not escalation.verified_chased(due, due)
    assert escalation.verified_chased(due, due + EPS)
    assert escalation.verified_chased(due, due + escalation.WINDOW)
    assert not escalation.verified_chased(due, due + escalation.WINDOW + EPS)


def test_missed_verified_keeps_the_order_of_the_initial_reports() -> None:
    assert escalation.missed_verified(["a", "b", "c"], {"b", "x"}) == ["a", "c"]


def _event(session: Session, division: str = "540223000000") -> int:
    ev = service.create_event(session=session, scope=SCOPE,
                              event_in=EventIn(name="定日洪涝", kind="flood", division_code=division,
                                               started_at=START))  # fmt: skip
    session.flush()
    return ev.id


def test_the_day_lies_between_the_start_day_in_beijing_time_and_today(session: Session) -> None:
    event_id = _event(session)
    now = dt.datetime(2026, 7, 5, 15, 59, tzinfo=dt.UTC)  # 07-05 23:59 北京时间
    with pytest.raises(InvalidInput):  # 06-30 is the UTC day of the start, not its day in Beijing
        service.set_stabilised(session=session, scope=SCOPE, event_id=event_id, on=dt.date(2026, 6, 30), now=now)
    row = service.set_stabilised(session=session, scope=SCOPE, event_id=event_id, on=dt.date(2026, 7, 1), now=now)
    assert row.stabilised_on == dt.date(2026, 7, 1)
    row = service.set_stabilised(session=session, scope=SCOPE, event_id=event_id, on=dt.date(2026, 7, 5), now=now)
    assert row.stabilised_on == dt.date(2026, 7, 5)  # a correction; today is allowed
    with pytest.raises(InvalidInput):  # tomorrow in Beijing
        service.set_stabilised(session=session, scope=SCOPE, event_id=event_id, on=dt.date(2026, 7, 6), now=now)
    later = now + dt.timedelta(minutes=1)  # 07-06 00:00 北京时间: now it is today
    row = service.set_stabilised(session=session, scope=SCOPE, event_id=event_id, on=dt.date(2026, 7, 6), now=later)
    assert row.stabilised_on == dt.date(2026, 7, 6)


def _report(session: Session, event_id: int, township: str, kind: str) -> None:
    report_in = ReportIn(township_code=township, report_type=kind, figures={"affected": 3})
    service.submit_report(session=session, scope=SCOPE, event_id=event_id, report_in=report_in)


def _flagged(session: Session, event_id: int) -> list[tuple[str, dt.datetime]]:
    rows = session.scalars(
        select(DisasterEscalation).where(
            DisasterEscalation.event_id == event_id, DisasterEscalation.report_type == "verified"
        )
    )
    return sorted((r.township_code, r.due_at.replace(tzinfo=dt.UTC) if r.due_at.tzinfo is None else r.due_at)
                  for r in rows)  # fmt: skip


def test_the_scheduler_flags_a_missing_verified_report_once(session: Session) -> None:
    event_id = _event(session)
    _report(session, event_id, T1, "initial")
    _report(session, event_id, T2, "initial")
    _report(session, event_id, T1, "verified")
    due = dt.datetime(2026, 7, 7, 16, 0, tzinfo=dt.UTC)  # stabilised Fri 07-03 → 07-08 00:00 北京时间
    far = due + dt.timedelta(days=3)
    officers.escalate_overdue(session=session, scope=SCOPE, now=far, township_hours=1000)
    assert _flagged(session, event_id) == []  # no day stabilised recorded: nothing is due
    at = dt.datetime(2026, 7, 3, 12, 0, tzinfo=dt.UTC)
    service.set_stabilised(session=session, scope=SCOPE, event_id=event_id, on=dt.date(2026, 7, 3), now=at)
    officers.escalate_overdue(session=session, scope=SCOPE, now=due, township_hours=1000)
    assert _flagged(session, event_id) == []  # at the due instant: still on time
    counts = officers.escalate_overdue(session=session, scope=SCOPE, now=due + EPS, township_hours=1000)
    assert _flagged(session, event_id) == [(T2, due)]
    assert counts["escalated"] >= 1
    officers.escalate_overdue(session=session, scope=SCOPE, now=far, township_hours=1000)
    assert _flagged(session, event_id) == [(T2, due)]  # once


def test_a_township_with_a_verified_report_in_time_is_not_flagged(session: Session) -> None:
    event_id = _event(session)
    _report(session, event_id, T2, "initial")
    service.set_stabilised(session=session, scope=SCOPE, event_id=event_id, on=dt.date(2026, 7, 1),
                           now=dt.datetime(2026, 7, 2, tzinfo=dt.UTC))  # fmt: skip
    _report(session, event_id, T2, "verified")
    due = dt.datetime(2026, 7, 3, 16, 0, tzinfo=dt.UTC)
    officers.escalate_overdue(session=session, scope=SCOPE, now=due + EPS, township_hours=1000)
    assert _flagged(session, event_id) == []


def test_the_day_through_http_by_the_event_bureau_only(live: LiveServer) -> None:
    county = live.client("dingri_duty")
    ev = event(county)
    assert ev["stabilised_on"] is None
    url = f"/api/v1/disasters/events/{ev['id']}/stabilised"
    r = county.post(url, json={"on": "2026-07-03"})
    assert r.status_code == 200, r.text
    assert r.json()["stabilised_on"] == "2026-07-03"
    assert county.get(f"/api/v1/disasters/events/{ev['id']}").json()["stabilised_on"] == "2026-07-03"
    assert county.post(url, json={"on": "2026-06-30"}).status_code == 422  # before the start day
    assert live.client("lazi_duty").post(url, json={"on": "2026-07-04"}).status_code == 404  # another county
    assert county.get(f"/api/v1/disasters/events/{ev['id']}").json()["stabilised_on"] == "2026-07-03"


# -- a day per county (issue #17 leftover) ------------------------------------------------------------------

PERMS = frozenset({service.READ, service.REPORT})
DINGRI, LAZI = "540223000000", "540225000000"
DINGRI_BUREAU = Scope(actor="dingri", division_code=DINGRI, prefix="540223", permissions=PERMS,
                      ancestors=("540200000000", "540000000000", "000000000000"))  # fmt: skip
LAZI_BUREAU = Scope(actor="lazi", division_code=LAZI, prefix="540225", permissions=PERMS,
                    ancestors=("540200000000", "540000000000", "000000000000"))  # fmt: skip
XIGAZE_BUREAU = Scope(actor="xigaze", division_code="540200000000", prefix="5402", permissions=PERMS,
                      ancestors=("540000000000", "000000000000"))  # fmt: skip
NOW = dt.datetime(2026, 7, 10, tzinfo=dt.UTC)


def test_a_county_bureau_records_its_own_day_through_the_event_call(session: Session) -> None:
    event_id = _event(session, "540200000000")
    event = service.set_stabilised(session=session, scope=DINGRI_BUREAU, event_id=event_id, on=dt.date(2026, 7, 3),
                                   now=NOW)  # fmt: skip
    assert event.stabilised_on is None  # the event-wide day is not the county's to set
    days = stabilised.county_days(session=session, scope=SCOPE, event_ids=[event_id])
    assert days == {event_id: {DINGRI: dt.date(2026, 7, 3)}}
    assert stabilised.day_for(DINGRI_BUREAU, event, days[event_id]) == dt.date(2026, 7, 3)
    assert stabilised.day_for(XIGAZE_BUREAU, event, days[event_id]) is None
    service.set_stabilised(session=session, scope=DINGRI_BUREAU, event_id=event_id, on=dt.date(2026, 7, 4), now=NOW)
    days = stabilised.county_days(session=session, scope=SCOPE, event_ids=[event_id])
    assert days == {event_id: {DINGRI: dt.date(2026, 7, 4)}}  # a correction, still one row
    # another county reads only its own
    assert stabilised.county_days(session=session, scope=LAZI_BUREAU, event_ids=[event_id]) == {}


def test_a_prefecture_records_a_county_of_its_subtree_and_another_county_is_not_found(session: Session) -> None:
    event_id = _event(session, "540200000000")
    service.set_county_stabilised(session=session, scope=XIGAZE_BUREAU, event_id=event_id, county_code=LAZI,
                                  on=dt.date(2026, 7, 5), now=NOW)  # fmt: skip
    assert stabilised.county_days(session=session, scope=LAZI_BUREAU, event_ids=[event_id]) == {
        event_id: {LAZI: dt.date(2026, 7, 5)}
    }
    with pytest.raises(NotFound):  # 拉孜 is not 定日's
        service.set_county_stabilised(session=session, scope=DINGRI_BUREAU, event_id=event_id, county_code=LAZI,
                                      on=dt.date(2026, 7, 5), now=NOW)  # fmt: skip
    dingri_event = _event(session)
    with pytest.raises(NotFound):  # 拉孜 is not in 定日's event
        service.set_county_stabilised(session=session, scope=XIGAZE_BUREAU, event_id=dingri_event, county_code=LAZI,
                                      on=dt.date(2026, 7, 5), now=NOW)  # fmt: skip
    with pytest.raises(NotFound):  # a prefecture is no county
        service.set_county_stabilised(session=session, scope=XIGAZE_BUREAU, event_id=event_id,
                                      county_code="540200000000", on=dt.date(2026, 7, 5), now=NOW)  # fmt: skip
    with pytest.raises(NotFound):  # 定日's own event is not 拉孜's to read
        service.set_stabilised(session=session, scope=LAZI_BUREAU, event_id=dingri_event, on=dt.date(2026, 7, 5),
                               now=NOW)  # fmt: skip


def test_a_county_day_lies_between_the_start_day_in_beijing_time_and_today(session: Session) -> None:
    event_id = _event(session, "540200000000")
    now = dt.datetime(2026, 7, 5, 15, 59, tzinfo=dt.UTC)  # 07-05 23:59 北京时间

    def record(day: dt.date, at: dt.datetime) -> dt.date:
        row = service.set_county_stabilised(session=session, scope=DINGRI_BUREAU, event_id=event_id,
                                            county_code=DINGRI, on=day, now=at)  # fmt: skip
        return row.stabilised_on

    with pytest.raises(InvalidInput):  # 06-30 is the UTC day of the start, not its day in Beijing
        record(dt.date(2026, 6, 30), now)
    assert record(dt.date(2026, 7, 1), now) == dt.date(2026, 7, 1)
    assert record(dt.date(2026, 7, 5), now) == dt.date(2026, 7, 5)  # today is allowed
    with pytest.raises(InvalidInput):  # tomorrow in Beijing
        record(dt.date(2026, 7, 6), now)
    assert record(dt.date(2026, 7, 6), now + dt.timedelta(minutes=1)) == dt.date(2026, 7, 6)  # 07-06 00:00


def test_each_townships_verified_deadline_follows_its_countys_day(session: Session) -> None:
    event_id = _event(session, "540200000000")
    for township in (T1, T2, LAZI_T):
        _report(session, event_id, township, "initial")
    _report(session, event_id, T1, "verified")
    at = dt.datetime(2026, 7, 3, 12, 0, tzinfo=dt.UTC)
    service.set_county_stabilised(session=session, scope=XIGAZE_BUREAU, event_id=event_id, county_code=DINGRI,
                                  on=dt.date(2026, 7, 1), now=at)  # fmt: skip
    service.set_stabilised(session=session, scope=XIGAZE_BUREAU, event_id=event_id, on=dt.date(2026, 7, 3), now=at)
    dingri_due = dt.datetime(2026, 7, 3, 16, 0, tzinfo=dt.UTC)  # Wed 07-01 → Fri's end, 07-04 00:00 北京时间
    lazi_due = dt.datetime(2026, 7, 7, 16, 0, tzinfo=dt.UTC)  # the event's Fri 07-03 → 07-08 00:00 北京时间
    officers.escalate_overdue(session=session, scope=SCOPE, now=dingri_due, township_hours=1000)
    assert _flagged(session, event_id) == []  # at 定日's due instant: still on time
    officers.escalate_overdue(session=session, scope=SCOPE, now=dingri_due + EPS, township_hours=1000)
    assert _flagged(session, event_id) == [(T2, dingri_due)]  # 拉孜 follows the event's later day
    officers.escalate_overdue(session=session, scope=SCOPE, now=lazi_due, township_hours=1000)
    assert _flagged(session, event_id) == [(T2, dingri_due)]
    officers.escalate_overdue(session=session, scope=SCOPE, now=lazi_due + EPS, township_hours=1000)
    assert _flagged(session, event_id) == [(T2, dingri_due), (LAZI_T, lazi_due)]


def test_a_countys_later_day_postpones_its_townships_past_the_event_day(session: Session) -> None:
    event_id = _event(session, "540200000000")
    _report(session, event_id, LAZI_T, "initial")
    at = dt.datetime(2026, 7, 6, 12, 0, tzinfo=dt.UTC)
    service.set_stabilised(session=session, scope=XIGAZE_BUREAU, event_id=event_id, on=dt.date(2026, 7, 1), now=at)
    service.set_stabilised(session=session, scope=LAZI_BUREAU, event_id=event_id, on=dt.date(2026, 7, 6), now=at)
    lazi_due = dt.datetime(2026, 7, 8, 16, 0, tzinfo=dt.UTC)  # Mon 07-06 → Tue, Wed: 07-09 00:00 北京时间
    officers.escalate_overdue(session=session, scope=SCOPE, now=lazi_due, township_hours=1000)
    assert _flagged(session, event_id) == []  # the event's day (due 07-04) does not apply to 拉孜
    officers.escalate_overdue(session=session, scope=SCOPE, now=lazi_due + EPS, township_hours=1000)
    assert _flagged(session, event_id) == [(LAZI_T, lazi_due)]
