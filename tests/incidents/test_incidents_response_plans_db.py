"""Response plans kept in the database: a bureau's plan is checked before it is stored, is scoped like
everything else, is the one an activation in its subtree uses (the deepest division's plan winning, the
packaged example as fallback), and once retired no longer applies but stays readable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import LiveServer
from tests.incidents.test_incidents_service import DINGRI, LAZI, XIGAZE, new_incident, scope_of
from typer.testing import CliRunner

from yingji.auth.models import AuditEntry
from yingji.auth.scope import Scope
from yingji.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.geo.codes import COUNTRY_CODE
from yingji.incidents import service
from yingji.incidents.lifecycle import IncidentStatus
from yingji.incidents.models import ResponsePlan, Task, TimelineEntry
from yingji.incidents.response_plans import service as response_plans
from yingji.incidents.schemas import ResponsePlanIn

# Illustrative plans (made up for the tests; status U).
COUNTY_PLAN: dict[str, Any] = {
    "id": "dingri-geohazard",
    "title": "定日县地质灾害应急预案（测试用）",
    "incident_types": ["geological_hazard"],
    "levels": {
        4: [{"key": "patrol", "title": "巡查隐患点", "organisation": "定日县自然资源局", "due_minutes": 60}],
        3: [{"key": "evacuate", "title": "转移受威胁群众", "organisation": "定日县应急管理局", "due_minutes": 120}],
        2: [{"key": "experts", "title": "派出专家组", "organisation": "定日县自然资源局", "due_minutes": 240}],
    },
}
PREFECTURE_PLAN: dict[str, Any] = {
    "id": "xigaze-natural",
    "title": "日喀则市自然灾害应急预案（测试用）",
    "incident_types": ["geological_hazard", "flood"],
    "levels": {4: [{"key": "verify", "title": "核查灾情", "organisation": "日喀则市应急管理局", "due_minutes": 60}]},
}
NATIONAL_PLAN: dict[str, Any] = {
    "id": "national-geohazard",
    "title": "国家地质灾害应急预案（测试用）",
    "incident_types": ["geological_hazard"],
    "levels": {4: [{"key": "guide", "title": "派出工作组指导", "organisation": "应急管理部", "due_minutes": 240}]},
}


def body(division: str, plan: dict[str, Any], replace: bool = False) -> ResponsePlanIn:
    return ResponsePlanIn.model_validate({"division_code": division, "plan": plan, "replace": replace})


def activate(
    session: Session,
    division: str,
    incident_type: str = "geological_hazard",
    level: int = 4,
    user: str = "xigaze_commander",
) -> int:
    """A verified incident of ``division`` whose response is activated at ``level``; its id."""
    commander = scope_of(session, user)
    incident = new_incident(session, commander, divisions=[division], incident_type=incident_type)
    service.change_status(
        session=session, scope=commander, incident_id=incident.id, version=1, target=IncidentStatus.VERIFIED
    )
    service.respond(
        session=session, scope=commander, incident_id=incident.id, version=2, action="activate", level=level
    )
    return incident.id


def tasks(session: Session, incident_id: int) -> list[Task]:
    return list(session.scalars(select(Task).where(Task.incident_id == incident_id).order_by(Task.id)))


def stored_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ResponsePlan)) or 0


def test_a_stored_plan_keeps_its_document_and_is_audited(session: Session) -> None:
    row, retired = response_plans.add(
        session=session, scope=scope_of(session, "xigaze_commander"), body=body(DINGRI, COUNTY_PLAN)
    )
    assert retired == []
    assert (row.division_code, row.plan_id, row.incident_types, row.active) == (
        DINGRI,
        "dingri-geohazard",
        ["geological_hazard"],
        True,
    )
    assert row.created_by == "xigaze_commander"
    assert sorted(row.document["levels"]) == ["2", "3", "4"]
    assert row.document["levels"]["3"][0]["key"] == "evacuate"
    audited = session.scalars(select(AuditEntry).where(AuditEntry.entity == "response_plan")).all()
    assert [(a.action, a.entity_id) for a in audited] == [("create", str(row.id))]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        ({"levels": {4: [COUNTY_PLAN["levels"][4][0], {**COUNTY_PLAN["levels"][4][0]}]}}, "unique"),
        ({"levels": {3: [], 4: []}}, "has no task"),
        ({"incident_types": ["flood", "flood"]}, "twice"),
    ],
)
def test_a_broken_plan_is_refused_naming_the_problem_and_nothing_is_stored(
    session: Session, change: dict[str, Any], problem: str
) -> None:
    with pytest.raises(InvalidInput, match=problem):
        response_plans.add(
            session=session, scope=scope_of(session, "xigaze_commander"), body=body(DINGRI, {**COUNTY_PLAN, **change})
        )
    assert stored_count(session) == 0


def test_an_overlapping_plan_is_refused_unless_it_replaces_the_active_one(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    first, _ = response_plans.add(session=session, scope=commander, body=body(DINGRI, COUNTY_PLAN))
    overlapping = {**PREFECTURE_PLAN, "id": "dingri-natural"}  # covers geological_hazard too
    with pytest.raises(Conflict) as refused:
        response_plans.add(session=session, scope=commander, body=body(DINGRI, overlapping))
    assert refused.value.extra["conflicting"] == [first.id]
    with pytest.raises(Conflict):  # the same id again, even for other types
        response_plans.add(
            session=session, scope=commander, body=body(DINGRI, {**COUNTY_PLAN, "incident_types": ["fire"]})
        )
    response_plans.add(session=session, scope=commander, body=body(XIGAZE, PREFECTURE_PLAN))  # another division
    revised, retired = response_plans.add(
        session=session, scope=commander, body=body(DINGRI, {**COUNTY_PLAN, "title": "修订版"}, replace=True)
    )
    assert retired == [first.id] and revised.active
    assert session.get(ResponsePlan, first.id).active is False  # type: ignore[union-attr]
    assert session.get(ResponsePlan, first.id).retired_at is not None  # type: ignore[union-attr]


def test_plans_follow_the_jurisdiction_rule(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    with pytest.raises(NotFound):  # another prefecture
        response_plans.add(session=session, scope=commander, body=body("540100000000", COUNTY_PLAN))
    with pytest.raises(Forbidden):  # an ancestor: readable, not writable
        response_plans.add(session=session, scope=commander, body=body("540000000000", COUNTY_PLAN))
    with pytest.raises(Forbidden):  # a duty officer may read plans, not change them
        response_plans.add(session=session, scope=scope_of(session, "dingri_duty"), body=body(DINGRI, COUNTY_PLAN))
    with pytest.raises(NotFound):  # in the subtree, but no such division
        response_plans.add(session=session, scope=commander, body=body("540223999999", COUNTY_PLAN))
    prefecture, _ = response_plans.add(session=session, scope=commander, body=body(XIGAZE, PREFECTURE_PLAN))
    county, _ = response_plans.add(session=session, scope=commander, body=body(DINGRI, COUNTY_PLAN))
    seen, total = response_plans.list_plans(session=session, scope=scope_of(session, "dingri_duty"), limit=None)
    assert [r.id for r in seen] == [prefecture.id, county.id] and total == 2  # the ancestor's and its own
    seen, _ = response_plans.list_plans(session=session, scope=scope_of(session, "lazi_duty"), limit=None)
    assert [r.id for r in seen] == [prefecture.id]
    with pytest.raises(NotFound):
        response_plans.get(session=session, scope=scope_of(session, "lazi_duty"), response_plan_id=county.id)
    with pytest.raises(NotFound):  # a sibling county's commander cannot retire it either
        response_plans.retire(session=session, scope=lazi_commander(session), response_plan_id=county.id)
    flood, _ = response_plans.list_plans(session=session, scope=commander, limit=None, incident_type="flood")
    assert [r.id for r in flood] == [prefecture.id]


def lazi_commander(session: Session) -> Scope:
    from yingji.auth import service as auth_service

    auth_service.create_user(
        session=session,
        scope=scope_of(session, "admin"),
        username="lazi_commander",
        password="Correct-horse-9!",
        role="commander",
        division_code=LAZI,
    )
    return scope_of(session, "lazi_commander")


def test_the_deepest_plan_applies_at_activation_else_the_packaged_one(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    national, _ = response_plans.add(
        session=session, scope=scope_of(session, "admin"), body=body(COUNTRY_CODE, NATIONAL_PLAN)
    )
    prefecture, _ = response_plans.add(session=session, scope=commander, body=body(XIGAZE, PREFECTURE_PLAN))
    county, _ = response_plans.add(session=session, scope=commander, body=body(DINGRI, COUNTY_PLAN))

    dingri = activate(session, DINGRI)
    assert {(t.plan_task_key, t.response_plan_id, t.plan_division_code) for t in tasks(session, dingri)} == {
        ("patrol", county.id, DINGRI)
    }
    entry = session.scalars(
        select(TimelineEntry).where(TimelineEntry.incident_id == dingri, TimelineEntry.kind == "plan")
    ).one()
    assert entry.data == {
        "plan": "dingri-geohazard",
        "response_plan_id": county.id,
        "plan_division_code": DINGRI,
        "tasks": 1,
    }  # the number of tasks made: the timeline shows it in the reader's language
    assert f"stored plan {county.id} of {DINGRI}" in entry.text
    actions = service.response_actions(session=session, scope=commander, incident_id=dingri)
    assert (actions[-1].plan_id, actions[-1].response_plan_id, actions[-1].plan_division_code) == (
        "dingri-geohazard",
        county.id,
        DINGRI,
    )

    lazi = activate(session, LAZI)  # no county plan: the prefecture's
    assert {(t.plan_task_key, t.response_plan_id) for t in tasks(session, lazi)} == {("verify", prefecture.id)}
    elsewhere = activate(session, "540100000000", user="admin")  # 拉萨市 (Lhasa, another prefecture): the national plan
    assert {(t.plan_task_key, t.plan_division_code) for t in tasks(session, elsewhere)} == {("guide", COUNTRY_CODE)}
    quake = activate(session, DINGRI, incident_type="earthquake")  # no stored plan covers it: packaged example
    assert {(t.plan_id, t.response_plan_id) for t in tasks(session, quake)} == {("earthquake-example", None)}
    assert national.id


def test_escalation_adds_the_missing_tasks_of_the_stored_plan(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    county, _ = response_plans.add(session=session, scope=commander, body=body(DINGRI, COUNTY_PLAN))
    incident_id = activate(session, DINGRI, level=4)
    service.respond(
        session=session,
        scope=commander,
        incident_id=incident_id,
        version=3,
        action="escalate",
        level=2,
        reason="险情扩大",
    )
    keys = [t.plan_task_key for t in tasks(session, incident_id)]
    assert keys == ["patrol", "evacuate", "experts"]
    assert {t.response_plan_id for t in tasks(session, incident_id)} == {county.id}


def test_a_retired_plan_no_longer_applies_but_stays_readable(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    prefecture, _ = response_plans.add(session=session, scope=commander, body=body(XIGAZE, PREFECTURE_PLAN))
    county, _ = response_plans.add(session=session, scope=commander, body=body(DINGRI, COUNTY_PLAN))
    before = activate(session, DINGRI)
    response_plans.retire(session=session, scope=commander, response_plan_id=county.id)
    after = activate(session, DINGRI)
    assert {t.response_plan_id for t in tasks(session, after)} == {prefecture.id}
    assert {t.response_plan_id for t in tasks(session, before)} == {county.id}  # old tasks still traceable
    duty = scope_of(session, "dingri_duty")
    assert response_plans.get(session=session, scope=duty, response_plan_id=county.id).active is False
    active, _ = response_plans.list_plans(session=session, scope=duty, limit=None)
    everything, _ = response_plans.list_plans(session=session, scope=duty, limit=None, active_only=False)
    assert [r.id for r in active] == [prefecture.id]
    assert [r.id for r in everything] == [prefecture.id, county.id]
    again, _ = response_plans.add(session=session, scope=commander, body=body(DINGRI, COUNTY_PLAN))  # no conflict
    assert again.active


# -- HTTP and command line ---------------------------------------------------------------------------


def http_body(division: str, plan: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"division_code": division, "plan": plan, **extra}


def test_plans_over_http(live: LiveServer) -> None:
    client = live.client("xigaze_commander")
    created = client.post("/api/v1/response-plans", json=http_body(DINGRI, COUNTY_PLAN))
    assert created.status_code == 201, created.text
    plan = created.json()
    assert plan["document"]["levels"]["3"][0]["key"] == "evacuate" and plan["retired"] == []
    repeated = {**COUNTY_PLAN, "id": "other", "levels": {4: COUNTY_PLAN["levels"][4] * 2}}
    bad = client.post("/api/v1/response-plans", json=http_body(DINGRI, repeated))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert "patrol" in bad.json()["detail"]
    clash = client.post("/api/v1/response-plans", json=http_body(DINGRI, {**PREFECTURE_PLAN, "id": "x"}))
    assert clash.status_code == 409 and f"{plan['id']} (dingri-geohazard" in clash.json()["detail"]
    listed = live.client("dingri_duty").get("/api/v1/response-plans", params={"incident_type": "geological_hazard"})
    assert [p["id"] for p in listed.json()["items"]] == [plan["id"]] and listed.json()["total"] == 1
    empty = live.client("dingri_duty").get("/api/v1/response-plans", params={"incident_type": "fire"}).json()
    assert empty["total"] == 0
    retired = client.post(f"/api/v1/response-plans/{plan['id']}/retire")
    assert retired.status_code == 200 and retired.json()["active"] is False
    assert live.client("dingri_duty").get(f"/api/v1/response-plans/{plan['id']}").json()["active"] is False
    assert live.client("lazi_duty").get(f"/api/v1/response-plans/{plan['id']}").status_code == 404
    assert live.client("dingri_duty").get("/api/v1/plans").json()  # the packaged examples, as before


def test_plans_from_the_command_line(db_url: str, tmp_path: Path) -> None:
    from yingji.cli import app

    env = {"YINGJI_DATABASE_URL": db_url}
    runner = CliRunner()

    def run(*args: str) -> Any:
        return runner.invoke(app, ["incident", "plans", *args], env=env)

    def listed(*args: str) -> list[dict[str, Any]]:
        result = run("list", "--json", *args)
        assert result.exit_code == 0, result.output
        plans: list[dict[str, Any]] = json.loads(result.output)["plans"]
        return plans

    broken = tmp_path / "broken.yaml"  # the second plan is broken: the first is not stored either
    broken.write_text(
        yaml.safe_dump({"plans": [COUNTY_PLAN, {**PREFECTURE_PLAN, "levels": {5: []}}]}, allow_unicode=True),
        encoding="utf-8",
    )
    refused = run("import", str(broken), "--division", DINGRI)
    assert isinstance(refused.exception, InvalidInput) and "level 5" in str(refused.exception)
    overlapping = tmp_path / "overlapping.yaml"  # both cover geological_hazard: refused by the database pass
    overlapping.write_text(
        yaml.safe_dump({"plans": [COUNTY_PLAN, {**PREFECTURE_PLAN, "id": "b"}]}, allow_unicode=True), encoding="utf-8"
    )
    assert isinstance(run("import", str(overlapping), "--division", DINGRI).exception, Conflict)
    assert listed() == []

    good = tmp_path / "plans.yaml"
    flood = {**PREFECTURE_PLAN, "id": "dingri-flood", "incident_types": ["flood"]}
    good.write_text(yaml.safe_dump({"plans": [COUNTY_PLAN, flood]}, allow_unicode=True), encoding="utf-8")
    imported = run("import", str(good), "--division", DINGRI, "--json")
    assert imported.exit_code == 0, imported.output
    ids = json.loads(imported.output)["added"]
    assert [p["plan_id"] for p in listed()] == ["dingri-geohazard", "dingri-flood"]
    assert [p["plan_id"] for p in listed("--type", "flood")] == ["dingri-flood"]
    assert run("retire", str(ids[1])).exit_code == 0
    assert [p["plan_id"] for p in listed()] == ["dingri-geohazard"]
    assert len(listed("--all")) == 2
