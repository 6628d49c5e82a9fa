"""The statistics' filters, on both backends: the end of the period, the incident type, a division (the
incidents covering it or a division below it; a division outside the caller's jurisdiction is not found)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session
from tests.incidents.test_incidents_statistics import DINGRI, LAZI, SINCE, reported, scope_of

from yingji.errors import NotFound
from yingji.incidents import service


def test_until_ends_the_period_for_the_status_counts_too(session: Session) -> None:
    scope = scope_of(session, "xigaze_commander")
    reported(session, scope, SINCE + dt.timedelta(days=1))
    reported(session, scope, SINCE + dt.timedelta(days=20))  # after the period
    stats = service.statistics(session=session, scope=scope, since=SINCE, weeks=1, until=SINCE + dt.timedelta(days=7))
    assert stats.weeks == [{"geological_hazard": 1}] and stats.by_status == {"reported": 1}


def test_type_and_division_narrow_the_counts(session: Session) -> None:
    scope = scope_of(session, "xigaze_commander")
    hour = dt.timedelta(hours=1)
    reported(session, scope, SINCE + hour, county=DINGRI)
    reported(session, scope, SINCE + 2 * hour, county=DINGRI, kind="flood")
    reported(session, scope, SINCE + 3 * hour, county=LAZI, kind="flood")
    only_floods = service.statistics(session=session, scope=scope, since=SINCE, weeks=1, incident_type="flood")
    assert only_floods.weeks == [{"flood": 2}]
    dingri = service.statistics(session=session, scope=scope, since=SINCE, weeks=1, division="540223")
    assert dingri.weeks == [{"geological_hazard": 1, "flood": 1}]
    both = service.statistics(session=session, scope=scope, since=SINCE, weeks=1, division=LAZI, incident_type="flood")
    assert both.weeks == [{"flood": 1}]


def test_a_division_outside_the_jurisdiction_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        service.statistics(session=session, scope=scope_of(session, "dingri_duty"), since=SINCE, weeks=1, division=LAZI)
