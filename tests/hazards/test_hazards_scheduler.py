"""Overdue escalation: a hazard past its deadline is flagged once, with notifications upward for a major one."""

from __future__ import annotations

import datetime as dt
import os
import subprocess

import pytest
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


def test_yingji_run_supervises_the_hazards_scheduler_every_tick_and_its_step_runs(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``yingji run`` starts ``hazards scheduler --once`` every YINGJI_TICK_INTERVAL_S like the other periodic
    steps (the supervisor's loop replaced by a recorder), and that very command line runs against the same
    settings: one pass, exit 0."""
    from typer.testing import CliRunner

    from yingji.cli import app
    from yingji.supervisor import Child, Supervisor

    seen: list[Child] = []
    monkeypatch.setattr(Supervisor, "run", lambda self, poll_s=0.2: seen.extend(self.children))
    for key in [k for k in os.environ if k.startswith("YINGJI_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("YINGJI_DATABASE_URL", db_url)
    monkeypatch.setenv("YINGJI_REDIS_URL", "")
    monkeypatch.setenv("YINGJI_TICK_INTERVAL_S", "7")
    result = CliRunner().invoke(app, ["run", "--workers", "1"])
    assert result.exit_code == 0, result.output
    step = next(c for c in seen if c.name == "hazards-scheduler")
    assert list(step.argv[-3:]) == ["hazards", "scheduler", "--once"] and step.every_s == 7
    done = subprocess.run(list(step.argv), env=dict(os.environ), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "overdue hazards" in done.stdout
