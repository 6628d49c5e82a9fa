"""Overdue escalation: a hazard past its deadline is flagged once, with notifications upward for a major one."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session
from tests.api.cases_hazards import new_credit_code

from yingji.auth.scope import system_scope
from yingji.hazards.enterprises import service as enterprises
from yingji.hazards.enterprises.schemas import EnterpriseIn
from yingji.hazards.register import service
from yingji.hazards.register.schemas import ActionIn, HazardIn, PlanIn
from yingji.incidents import service as incidents

T0 = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)


def test_overdue_major_hazard_is_flagged_once_and_escalated(session: Session) -> None:
    scope = system_scope()
    ent_in = EnterpriseIn(name="甲", credit_code=new_credit_code(), division_code="540223")
    ent = enterprises.create(session=session, scope=scope, enterprise_in=ent_in)
    hazard = service.report(session=session, scope=scope, hazard_in=HazardIn(enterprise_id=ent.id, title="x"), now=T0)
    service.act(session=session, scope=scope, hazard_id=hazard.id, action="determine",
                body=ActionIn(level="major", items=["HC2017-12"]), now=T0)  # fmt: skip
    plan = PlanIn(responsible="a", measures="b", funds="c", deadline=T0 + dt.timedelta(days=10), contingency="d")
    service.act(session=session, scope=scope, hazard_id=hazard.id, action="plan", body=ActionIn(plan=plan), now=T0)
    assert service.flag_overdue(session=session, scope=scope, now=T0 + dt.timedelta(days=9)) == 0
    assert service.flag_overdue(session=session, scope=scope, now=T0 + dt.timedelta(days=11)) == 1
    assert service.flag_overdue(session=session, scope=scope, now=T0 + dt.timedelta(days=12)) == 0  # once
    notes, _ = incidents.list_notifications(session=session, scope=scope)
    assert {n.division_code for n in notes if n.kind == "hazard_overdue"} == {"540223000000", "540200000000"}
    assert [e.action for e in service.history(session=session, scope=scope, hazard_id=hazard.id)][-1] == "overdue"
    overdue, _ = service.list_hazards(session=session, scope=scope, overdue_at=T0 + dt.timedelta(days=11))
    assert [h.id for h in overdue] == [hazard.id]
