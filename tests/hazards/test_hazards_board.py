"""The 动态清零 board's figures, on both backends (the median is SQL on PostgreSQL, Python on SQLite)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session
from tests.api.cases_hazards import new_credit_code

from yingji.auth.scope import system_scope
from yingji.hazards.enterprises import service as enterprises
from yingji.hazards.enterprises.schemas import EnterpriseIn
from yingji.hazards.register import service
from yingji.hazards.register.models import HazardCount
from yingji.hazards.register.rollups import service as rollups
from yingji.hazards.register.schemas import ActionIn, HazardIn, PlanIn

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _closed_general(session: Session, enterprise_id: int, days: int) -> None:
    scope = system_scope()
    h = service.report(session=session, scope=scope, hazard_in=HazardIn(enterprise_id=enterprise_id, title="x"), now=T0)
    end = T0 + dt.timedelta(days=days)
    plan = PlanIn(responsible="a", measures="b", deadline=end)
    for action, body in (("determine", ActionIn(level="general")), ("plan", ActionIn(plan=plan)),
                         ("start", ActionIn()), ("complete", ActionIn()), ("close", ActionIn())):  # fmt: skip
        service.act(session=session, scope=scope, hazard_id=h.id, action=action, body=body, now=end)


def test_board_counts_rates_and_median_per_county(session: Session) -> None:
    scope = system_scope()
    ent = enterprises.create(session=session, scope=scope, enterprise_in=EnterpriseIn(
        name="甲", credit_code=new_credit_code(), division_code="540223", supervision_category="工贸"))  # fmt: skip
    for days in (2, 4, 9):
        _closed_general(session, ent.id, days)
    open_major = service.report(session=session, scope=scope, hazard_in=HazardIn(enterprise_id=ent.id, title="y"))
    service.act(session=session, scope=scope, hazard_id=open_major.id, action="determine",
                body=ActionIn(level="major", items=["GM2023-14"]))  # fmt: skip
    service.report(session=session, scope=scope, hazard_in=HazardIn(enterprise_id=ent.id, title="z"))
    prefecture = scope.__class__(actor="x", division_code="540200000000", prefix="5402",
                                 permissions=scope.permissions)  # fmt: skip
    (row,) = service.board(session=session, scope=prefecture)
    assert row.key == "540223" and (row.open_major, row.open_general, row.closed, row.total) == (1, 1, 3, 5)
    assert row.closure_rate == 0.6 and row.median_days_to_close == 4
    (by_category,) = service.board(session=session, scope=prefecture, group_by="category")
    assert by_category.key == "工贸" and by_category.total == 5


def test_rebuilt_rollups_equal_the_ones_kept_change_by_change(session: Session) -> None:
    scope = system_scope()
    ent = enterprises.create(session=session, scope=scope, enterprise_in=EnterpriseIn(
        name="乙", credit_code=new_credit_code(), division_code="540225", supervision_category="煤矿"))  # fmt: skip
    for days in (1, 3):
        _closed_general(session, ent.id, days)
    service.report(session=session, scope=scope, hazard_in=HazardIn(enterprise_id=ent.id, title="open"))
    kept = service.board(session=session, scope=scope, group_by="category")
    assert service.rebuild_rollups(session=session, scope=scope) == 3
    assert service.board(session=session, scope=scope, group_by="category") == kept


def test_a_regulators_list_total_from_the_rollup_equals_the_rows_it_filters(session: Session) -> None:
    """The list's total of a regulator comes from ``hazard_counts``; it must equal the rows the same filters
    select, for every combination of state, level and division (and the count path for an enterprise)."""
    scope = system_scope()
    ents = [enterprises.create(session=session, scope=scope, enterprise_in=EnterpriseIn(
        name=f"丙{i}", credit_code=new_credit_code(), division_code=code, supervision_category="工贸"))
        for i, code in enumerate(("540221", "540222"))]  # fmt: skip
    for i, ent in enumerate(ents):
        for days in range(i + 1):
            _closed_general(session, ent.id, days + 1)
        major = service.report(session=session, scope=scope, hazard_in=HazardIn(enterprise_id=ent.id, title="m"))
        service.act(session=session, scope=scope, hazard_id=major.id, action="determine",
                    body=ActionIn(level="major", items=["GM2023-14"]))  # fmt: skip
        service.report(session=session, scope=scope, hazard_in=HazardIn(enterprise_id=ent.id, title="r"))
    prefecture = scope.__class__(actor="x", division_code="540200000000", prefix="5402",
                                 permissions=scope.permissions)  # fmt: skip
    for state in (None, "closed", "reported", "determined", "planned"):
        for level in (None, "major", "general"):
            for division in (None, "540221", "540222", "540223"):
                rows, total = service.list_hazards(session=session, scope=prefecture, state=state, level=level,
                                                   division=division, limit=None)  # fmt: skip
                assert total == len(rows), (state, level, division)
    rows, total = service.list_hazards(session=session, scope=prefecture, limit=2, offset=1)
    assert total == 7 and len(rows) == 2 and rows[0].id > rows[1].id


def test_a_live_board_is_reused_until_a_hazard_changes(session: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    scope = system_scope()
    ent = enterprises.create(session=session, scope=scope, enterprise_in=EnterpriseIn(
        name="丁", credit_code=new_credit_code(), division_code="540226", supervision_category="工贸"))  # fmt: skip
    service.report(session=session, scope=scope, hazard_in=HazardIn(enterprise_id=ent.id, title="a"))
    assert [r.total for r in service.board(session=session, scope=scope)] == [1]
    session.execute(update(HazardCount).values(count=HazardCount.count + 100))  # behind the service's back
    assert [r.total for r in service.board(session=session, scope=scope)] == [1]  # reused: no hazard changed
    service.report(session=session, scope=scope, hazard_in=HazardIn(enterprise_id=ent.id, title="b"))
    assert [r.total for r in service.board(session=session, scope=scope)] == [102]  # a change: computed again
    session.execute(update(HazardCount).values(count=HazardCount.count - 100))
    monkeypatch.setattr(rollups, "BOARD_CACHE_S", 0.0)  # and never older than BOARD_CACHE_S
    assert [r.total for r in service.board(session=session, scope=scope)] == [2]


def test_trend_counts_reported_and_closed_per_china_month_and_survives_a_rebuild(session: Session) -> None:
    scope = system_scope()
    ent = enterprises.create(session=session, scope=scope, enterprise_in=EnterpriseIn(
        name="戊", credit_code=new_credit_code(), division_code="540227", supervision_category="工贸"))  # fmt: skip
    # 2026-10-31 17:00 UTC is 2026-11-01 01:00 in China: a November hazard.
    late_october_utc = dt.datetime(2026, 10, 31, 17, 0, tzinfo=dt.UTC)
    service.report(session=session, scope=scope, hazard_in=HazardIn(enterprise_id=ent.id, title="a"),
                   now=late_october_utc)  # fmt: skip
    service.report(session=session, scope=scope, hazard_in=HazardIn(enterprise_id=ent.id, title="b"),
                   now=dt.datetime(2026, 10, 31, 15, 0, tzinfo=dt.UTC))  # 23:00 in China: October  # fmt: skip
    _closed_general(session, ent.id, 40)  # reported 2026-11-01 (T0), closed 2026-12-11
    now = dt.datetime(2026, 12, 20, tzinfo=dt.UTC)
    trend = service.trend(session=session, scope=scope, now=now)
    assert [m.month for m in trend][-3:] == ["2026-10", "2026-11", "2026-12"] and len(trend) == 12
    assert [(m.reported, m.closed) for m in trend][-3:] == [(1, 0), (2, 0), (0, 1)]
    assert trend[0].month == "2026-01" and (trend[0].reported, trend[0].closed) == (0, 0)
    service.rebuild_rollups(session=session, scope=scope)
    assert service.trend(session=session, scope=scope, now=now) == trend
