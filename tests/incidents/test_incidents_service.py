"""Incident services on both database backends: jurisdiction, grading on figure changes, optimistic
locking, status, response levels and plans, tasks, timeline, situation reports, deadlines scheduler,
duty desk, metrics."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session
from tests.positions import position_in

from yingji.auth import service as auth_service
from yingji.auth.scope import Scope, system_scope
from yingji.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from yingji.incidents import service
from yingji.incidents.lifecycle import IncidentStatus, InvalidTransition
from yingji.incidents.models import Notification, TimelineEntry
from yingji.incidents.schemas import (
    DutyItemIn,
    FiguresIn,
    IncidentCreate,
    IncidentRead,
    IncidentUpdate,
    OrganisationIn,
    ShiftIn,
    SituationReportIn,
    TaskCreate,
    TaskUpdate,
)

DINGRI, LAZI, XIGAZE = "540223000000", "540225000000", "540200000000"
T0 = dt.datetime(2026, 7, 1, 1, 0, tzinfo=dt.UTC)


def scope_of(session: Session, username: str) -> Scope:
    user = auth_service.get_by_username(session=session, username=username)
    assert user is not None
    return auth_service.scope_for(session=session, user=user)


def new_incident(
    session: Session, scope: Scope, divisions: list[str] | None = None, **fields: object
) -> service.Incident:
    values: dict[str, object] = {
        "title": "定日县山体滑坡",
        "incident_type": "geological_hazard",
        "divisions": divisions or [DINGRI],
        "lon": position_in(divisions or [DINGRI])[0],
        "lat": position_in(divisions or [DINGRI])[1],
        "occurred_at": T0,
        "reported_at": T0 + dt.timedelta(minutes=20),
    }
    values.update(fields)
    return service.create(session=session, scope=scope, incident_in=IncidentCreate.model_validate(values))


def test_an_incident_is_visible_in_each_covered_division_only(session: Session) -> None:
    dingri, lazi = scope_of(session, "dingri_duty"), scope_of(session, "lazi_duty")
    own = new_incident(session, dingri)
    assert service.get(session=session, scope=dingri, incident_id=own.id).id == own.id
    with pytest.raises(NotFound):
        service.get(session=session, scope=lazi, incident_id=own.id)
    rows, _ = service.list_incidents(session=session, scope=lazi)
    assert own.id not in {r.id for r in rows}
    shared = new_incident(session, scope_of(session, "xigaze_commander"), divisions=[DINGRI, LAZI])
    assert service.get(session=session, scope=lazi, incident_id=shared.id).id == shared.id
    listed, _ = service.list_incidents(session=session, scope=dingri)
    assert {own.id, shared.id} <= {r.id for r in listed}


def test_the_detail_read_from_columns_is_the_detail_read_from_objects(session: Session) -> None:
    """``get_fields`` (the API's detail) answers what ``get`` does, with the same jurisdiction test."""
    shared = new_incident(session, scope_of(session, "xigaze_commander"), divisions=[LAZI, DINGRI])
    session.expire_all()  # read back as stored (divisions in code order), not as created
    for username in ("dingri_duty", "lazi_duty", "xigaze_commander"):
        scope = scope_of(session, username)
        fields = service.get_fields(session=session, scope=scope, incident_id=shared.id)
        from_objects = IncidentRead.model_validate(service.get(session=session, scope=scope, incident_id=shared.id))
        assert IncidentRead.model_validate(fields) == from_objects
        assert fields["division_codes"] == sorted([LAZI, DINGRI])
    own = new_incident(session, scope_of(session, "dingri_duty"))
    with pytest.raises(NotFound):
        service.get_fields(session=session, scope=scope_of(session, "lazi_duty"), incident_id=own.id)
    with pytest.raises(NotFound):
        service.get_fields(session=session, scope=scope_of(session, "dingri_duty"), incident_id=2_000_000)


def test_creating_in_a_foreign_division_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        new_incident(session, scope_of(session, "dingri_duty"), divisions=[LAZI])


def test_a_prefecture_incident_is_read_only_for_a_county(session: Session) -> None:
    prefecture = new_incident(session, scope_of(session, "xigaze_commander"), divisions=[XIGAZE])
    dingri = scope_of(session, "dingri_duty")
    assert service.get(session=session, scope=dingri, incident_id=prefecture.id)
    with pytest.raises(Forbidden):
        service.update_incident(
            session=session,
            scope=dingri,
            incident_id=prefecture.id,
            change=IncidentUpdate(version=1, title="x"),
        )


def test_figure_changes_regrade_and_keep_their_history(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    incident = new_incident(session, scope, incident_type="coal_mine", figures={"deaths": 2})
    assert (incident.grade, incident.recommended_level) == ("general", 4)
    changed = service.change_figures(
        session=session,
        scope=scope,
        incident_id=incident.id,
        version=incident.version,
        figures=FiguresIn(deaths=10, serious_injuries=3),
        source="县应急局续报",
    )
    assert changed.grade == "serious"
    assert changed.recommended_level == 2
    assert any(rule["criterion"] == "deaths" and rule["tier"] == 2 for rule in changed.grading_basis)
    history = service.figure_history(session=session, scope=scope, incident_id=incident.id)
    assert [h.source for h in history] == ["initial report", "县应急局续报"]
    assert history[-1].changes["deaths"] == {"old": 2, "new": 10}
    actions = service.response_actions(session=session, scope=scope, incident_id=incident.id)
    assert [(a.action, a.level) for a in actions] == [("recommend", 4), ("recommend", 2)]


def test_a_stale_version_is_refused_with_the_current_state(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    incident = new_incident(session, scope)
    service.update_incident(
        session=session, scope=scope, incident_id=incident.id, change=IncidentUpdate(version=1, title="第一次")
    )
    with pytest.raises(service.StaleVersion) as caught:
        service.update_incident(
            session=session, scope=scope, incident_id=incident.id, change=IncidentUpdate(version=1, title="第二次")
        )
    assert caught.value.status == 409
    assert caught.value.extra["current"]["version"] == 2
    assert caught.value.extra["current"]["title"] == "第一次"


def test_status_moves_only_as_the_lifecycle_allows(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    incident = new_incident(session, scope)
    with pytest.raises(InvalidTransition):
        service.change_status(
            session=session, scope=scope, incident_id=incident.id, version=1, target=IncidentStatus.RECOVERING
        )
    verified = service.change_status(
        session=session, scope=scope, incident_id=incident.id, version=1, target=IncidentStatus.VERIFIED
    )
    assert verified.status == "verified" and verified.verified_at is not None
    with pytest.raises(InvalidTransition):
        service.change_status(
            session=session, scope=scope, incident_id=incident.id, version=2, target=IncidentStatus.CLOSED
        )
    closed = service.change_status(
        session=session,
        scope=scope,
        incident_id=incident.id,
        version=2,
        target=IncidentStatus.CLOSED,
        reason="重复报告",
    )
    assert closed.status == "closed" and closed.status_reason == "重复报告"


def test_activating_a_response_creates_the_plan_tasks_and_escalating_adds_the_rest(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    duty = scope_of(session, "dingri_duty")
    service.create_organisation(
        session=session,
        scope=commander,
        organisation_in=OrganisationIn(name="县应急管理局", kind="department", division_code=DINGRI),
    )
    incident = new_incident(
        session, duty, incident_type="earthquake", figures={"magnitude": 6.8, "population_density": "dense"}
    )
    assert incident.recommended_level is not None
    service.change_status(
        session=session, scope=duty, incident_id=incident.id, version=1, target=IncidentStatus.VERIFIED
    )
    with pytest.raises(Forbidden):  # a duty officer may recommend, not activate
        service.respond(session=session, scope=duty, incident_id=incident.id, version=2, action="activate", level=4)
    active = service.respond(
        session=session, scope=commander, incident_id=incident.id, version=2, action="activate", level=4
    )
    assert (active.status, active.response_level) == ("responding", 4)
    tasks = service.tasks_of(session=session, scope=duty, incident_id=incident.id)
    assert {t.plan_task_key for t in tasks} == {"verify", "duty"}
    assert next(t for t in tasks if t.plan_task_key == "verify").organisation_id is not None
    with pytest.raises(InvalidInput):
        service.respond(
            session=session, scope=commander, incident_id=incident.id, version=3, action="escalate", level=2
        )
    service.respond(
        session=session,
        scope=commander,
        incident_id=incident.id,
        version=3,
        action="escalate",
        level=2,
        reason="伤亡扩大",
    )
    keys = [t.plan_task_key for t in service.tasks_of(session=session, scope=duty, incident_id=incident.id)]
    assert len(keys) == len(set(keys)) == 8
    ended = service.respond(
        session=session,
        scope=commander,
        incident_id=incident.id,
        version=4,
        action="end",
        level=None,
        reason="救援结束",
    )
    assert (ended.status, ended.response_level) == ("recovering", None)
    actions = [a.action for a in service.response_actions(session=session, scope=duty, incident_id=incident.id)]
    assert actions[-3:] == ["activate", "escalate", "end"]


def test_tasks_are_acknowledged_and_completed_with_feedback(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    incident = new_incident(session, scope)
    task = service.create_task(
        session=session, scope=scope, incident_id=incident.id, task_in=TaskCreate(title="转移群众")
    )
    task = service.update_task(session=session, scope=scope, task_id=task.id, change=TaskUpdate(status="acknowledged"))
    assert task.acknowledged_by == "dingri_duty"
    task = service.update_task(
        session=session, scope=scope, task_id=task.id, change=TaskUpdate(status="done", feedback="已转移120人")
    )
    assert task.completed_at is not None and task.feedback == "已转移120人"
    with pytest.raises(Conflict):
        service.update_task(session=session, scope=scope, task_id=task.id, change=TaskUpdate(status="open"))


def test_the_timeline_records_everything_and_refuses_changes(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    incident = new_incident(session, scope)
    service.add_timeline_entry(
        session=session,
        scope=system_scope("warnings"),
        incident_id=incident.id,
        kind="warning.issued",
        text="橙色预警已发布",
        data={"warning_id": 7},
    )
    entries, total = service.timeline(session=session, scope=scope, incident_id=incident.id)
    assert [e.kind for e in entries][:1] == ["created"] and entries[-1].kind == "warning.issued"
    assert total == len(entries)
    session.flush()
    with pytest.raises(Exception, match="append-only"), session.begin_nested():
        session.execute(text("UPDATE incident_timeline SET text = 'x' WHERE incident_id = :i"), {"i": incident.id})


def test_situation_reports_go_draft_approved_published_with_revisions(session: Session) -> None:
    duty, commander = scope_of(session, "dingri_duty"), scope_of(session, "xigaze_commander")
    incident = new_incident(session, duty)
    report = service.create_report(
        session=session, scope=duty, incident_id=incident.id, report_in=SituationReportIn(conditions="滑坡")
    )
    edited = service.edit_report(
        session=session,
        scope=duty,
        report_id=report.id,
        revision=1,
        report_in=SituationReportIn(conditions="滑坡，阻断道路", actions="抢通", needs="挖掘机2台"),
    )
    assert edited.revision == 2
    with pytest.raises(service.StaleVersion):
        service.edit_report(session=session, scope=duty, report_id=report.id, revision=1, report_in=SituationReportIn())
    with pytest.raises(Forbidden):
        service.set_report_status(session=session, scope=duty, report_id=report.id, revision=2, status="approved")
    service.set_report_status(session=session, scope=commander, report_id=report.id, revision=2, status="approved")
    published = service.set_report_status(
        session=session, scope=commander, report_id=report.id, revision=2, status="published"
    )
    assert published.status == "published" and published.published_by == "xigaze_commander"
    revisions = service.report_revisions(session=session, scope=duty, report_id=report.id)
    assert [r.revision for r in revisions] == [1, 2]
    with pytest.raises(Conflict):
        service.edit_report(session=session, scope=duty, report_id=report.id, revision=2, report_in=SituationReportIn())


def test_the_scheduler_flags_overdue_reports_once_with_an_injected_clock(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    incident = new_incident(session, scope, incident_type="flood")
    system = system_scope("scheduler")
    early = service.flag_overdue(session=session, scope=system, now=T0 + dt.timedelta(hours=1))
    assert early["reports"] == 0
    service.record_report_made(
        session=session, scope=scope, incident_id=incident.id, key="initial.county", made_at=T0 + dt.timedelta(hours=1)
    )
    later = T0 + dt.timedelta(hours=5)
    flagged = service.flag_overdue(session=session, scope=system, now=later)
    assert flagged["reports"] >= 1
    notes = session.scalars(select(Notification).where(Notification.incident_id == incident.id)).all()
    assert {n.data["report"] for n in notes if n.data} == {"initial.municipal"}
    assert notes[0].division_code == "540000000000"  # the recipient (province) is told
    kinds = [e.kind for e in session.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id))]
    assert "report_overdue" in kinds
    again = service.flag_overdue(session=session, scope=system, now=later)
    assert again["reports"] == 0


def test_the_scheduler_flags_an_unfinished_task_past_its_due_time_once(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    incident = new_incident(session, scope)
    due = T0 + dt.timedelta(hours=2)
    late = service.create_task(session=session, scope=scope, incident_id=incident.id,
                               task_in=TaskCreate(title="排查隐患点", team="县消防救援大队", due_at=due))  # fmt: skip
    done = service.create_task(session=session, scope=scope, incident_id=incident.id,
                               task_in=TaskCreate(title="转移群众", due_at=due))  # fmt: skip
    service.create_task(session=session, scope=scope, incident_id=incident.id, task_in=TaskCreate(title="无期限"))
    service.update_task(session=session, scope=scope, task_id=done.id, change=TaskUpdate(status="done"))
    service.update_task(session=session, scope=scope, task_id=late.id, change=TaskUpdate(status="acknowledged"))
    system = system_scope("scheduler")
    assert service.flag_overdue(session=session, scope=system, now=due)["tasks"] == 0  # due, not yet past
    assert service.flag_overdue(session=session, scope=system, now=due + dt.timedelta(minutes=1))["tasks"] == 1
    note = session.scalars(select(Notification).where(Notification.kind == "task_overdue",
                                                      Notification.incident_id == incident.id)).one()  # fmt: skip
    assert note.data == {"task_id": late.id, "due_at": due.isoformat(), "status": "acknowledged"}
    assert note.division_code == incident.division_code and "县消防救援大队" in note.text
    kinds = [e.kind for e in session.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident.id))]
    assert kinds.count("task_overdue") == 1
    assert service.flag_overdue(session=session, scope=system, now=due + dt.timedelta(hours=9))["tasks"] == 0


def test_duty_information_escalates_then_becomes_an_incident(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    item = service.receive(
        session=session,
        scope=scope,
        item_in=DutyItemIn(division_code=DINGRI, received_at=T0, channel="phone", summary="某村房屋倒塌"),
    )
    service.record_duty_action(
        session=session, scope=scope, item_id=item.id, action="leader_told", at=T0 + dt.timedelta(minutes=5)
    )
    flagged = service.flag_overdue(session=session, scope=system_scope(), now=T0 + dt.timedelta(minutes=31))
    assert flagged["duty"] == 1
    note = session.scalars(select(Notification).where(Notification.duty_item_id == item.id)).one()
    assert note.key.endswith(":forwarded")
    incident = service.item_to_incident(
        session=session,
        scope=scope,
        item_id=item.id,
        incident_in=IncidentCreate.model_validate(
            {
                "title": "房屋倒塌",
                "incident_type": "other",
                "divisions": [DINGRI],
                "lon": 87.0,
                "lat": 28.5,
                "occurred_at": T0,
            }
        ),
    )
    assert incident.reported_at == T0
    with pytest.raises(Conflict):
        service.close_item(session=session, scope=scope, item_id=item.id, reason="x")


def test_duty_information_closed_with_a_reason(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    item = service.receive(
        session=session, scope=scope, item_in=DutyItemIn(division_code=DINGRI, channel="fax", summary="误报")
    )
    closed = service.close_item(session=session, scope=scope, item_id=item.id, reason="核实为误报")
    assert (closed.status, closed.close_reason) == ("closed", "核实为误报")
    with pytest.raises(NotFound):
        service.get_item(session=session, scope=scope_of(session, "lazi_duty"), item_id=item.id)


def test_shifts_hand_over_once(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    shift = service.create_shift(
        session=session,
        scope=scope,
        shift_in=ShiftIn(division_code=DINGRI, starts_at=T0, ends_at=T0 + dt.timedelta(hours=24), leader="扎西"),
    )
    service.hand_over(session=session, scope=scope, shift_id=shift.id, note="两起未结事项")
    with pytest.raises(Conflict):
        service.hand_over(session=session, scope=scope, shift_id=shift.id, note="again")
    on_duty, _ = service.list_shifts(session=session, scope=scope, at=T0 + dt.timedelta(hours=1))
    assert [s.id for s in on_duty] == [shift.id]


def test_metrics_leave_exercises_out(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    new_incident(session, scope)
    new_incident(session, scope, exercise=True, occurred_at=T0 - dt.timedelta(hours=5))
    result = service.response_metrics(session=session, scope=scope, by=("incident_type",))
    summary = result[("geological_hazard",)]["first_report"]
    assert summary.count == 1 and summary.max_s == 20 * 60


def test_domain_errors_name_their_status(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    with pytest.raises(DomainError) as caught:
        new_incident(session, scope, occurred_at=T0 + dt.timedelta(days=1))
    assert caught.value.status == 422
