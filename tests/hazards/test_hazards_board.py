"""The 动态清零 board's figures, on both backends (the median is SQL on PostgreSQL, Python on SQLite)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session
from tests.api.cases_hazards import new_credit_code

from yingji.auth.scope import system_scope
from yingji.hazards.enterprises import service as enterprises
from yingji.hazards.enterprises.schemas import EnterpriseIn
from yingji.hazards.register import service
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
