"""Jurisdiction cases of the command routes (see test_jurisdiction.py): a user of 定日 (540223) can neither
read nor change 拉孜's (540225) incidents, tasks, reports, organisations, duty desk or notifications —
through lists, details, identifiers in paths and identifiers placed in bodies."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
from tests.api.cases_foundation import FOREIGN, OWN, Ctx
from tests.positions import position_in

T0 = "2026-07-01T01:00:00+00:00"


def incident_body(division: str, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "测试事件",
        "incident_type": "flood",
        "divisions": [division],
        "lon": position_in(division)[0],
        "lat": position_in(division)[1],
        "occurred_at": T0,
    }
    body.update(extra)
    return body


def created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def foreign_incident(c: Ctx) -> dict[str, Any]:
    return created(c.foreign_admin.post("/api/v1/incidents", json=incident_body(FOREIGN)))


def own_incident(c: Ctx) -> dict[str, Any]:
    return created(c.own.post("/api/v1/incidents", json=incident_body(OWN)))


def ids(items: list[dict[str, Any]]) -> set[int]:
    return {int(i["id"]) for i in items}


# -- incidents ---------------------------------------------------------------------------------------


def incidents_list(c: Ctx) -> None:
    foreign = foreign_incident(c)
    own = own_incident(c)
    for params in ({}, {"division": FOREIGN}, {"q": "测试"}, {"incident_type": "flood"}, {"status": "reported"}):
        r = c.own.get("/api/v1/incidents", params={**params, "limit": 1000})
        if params.get("division") == FOREIGN:
            assert r.status_code == 404
            continue
        items = r.json()["items"]
        assert foreign["id"] not in ids(items), params
        assert all(not i["division_code"].startswith("540225") for i in items)
    assert own["id"] in ids(c.own.get("/api/v1/incidents", params={"limit": 1000}).json()["items"])


def incidents_create(c: Ctx) -> None:
    assert c.own.post("/api/v1/incidents", json=incident_body(FOREIGN)).status_code == 404
    assert c.own.post("/api/v1/incidents", json=incident_body(OWN, divisions=[OWN, FOREIGN])).status_code == 404


def incidents_metrics(c: Ctx) -> None:
    foreign_incident(c)
    groups = c.own.get("/api/v1/incidents/metrics", params={"by": "division"}).json()["groups"]
    assert all(not str(g["division"]).startswith("540225") for g in groups)


def incidents_get(c: Ctx) -> None:
    foreign = foreign_incident(c)
    assert c.own.get(f"/api/v1/incidents/{foreign['id']}").status_code == 404
    assert c.foreign_admin.get(f"/api/v1/incidents/{foreign['id']}").status_code == 200


def incidents_update(c: Ctx) -> None:
    foreign = foreign_incident(c)
    r = c.own.patch(f"/api/v1/incidents/{foreign['id']}", json={"version": 1, "title": "篡改"})
    assert r.status_code == 404
    own = own_incident(c)
    r = c.own.patch(f"/api/v1/incidents/{own['id']}", json={"version": 1, "divisions": [OWN, FOREIGN]})
    assert r.status_code == 404
    assert c.foreign_admin.get(f"/api/v1/incidents/{foreign['id']}").json()["title"] == "测试事件"


def incidents_figures(c: Ctx) -> None:
    foreign = foreign_incident(c)
    body = {"version": 1, "source": "x", "figures": {"deaths": 99}}
    assert c.own.post(f"/api/v1/incidents/{foreign['id']}/figures", json=body).status_code == 404
    assert c.foreign_admin.get(f"/api/v1/incidents/{foreign['id']}").json()["figures"] == {}


def incidents_figure_history(c: Ctx) -> None:
    foreign = foreign_incident(c)
    assert c.own.get(f"/api/v1/incidents/{foreign['id']}/figures").status_code == 404


def incidents_status(c: Ctx) -> None:
    foreign = foreign_incident(c)
    r = c.own.post(f"/api/v1/incidents/{foreign['id']}/status", json={"version": 1, "status": "verified"})
    assert r.status_code == 404
    assert c.foreign_admin.get(f"/api/v1/incidents/{foreign['id']}").json()["status"] == "reported"


def incidents_response_history(c: Ctx) -> None:
    foreign = foreign_incident(c)
    assert c.own.get(f"/api/v1/incidents/{foreign['id']}/response").status_code == 404


def incidents_respond(c: Ctx) -> None:
    foreign = foreign_incident(c)
    body = {"version": 1, "action": "recommend", "level": 2, "reason": "x"}
    assert c.own_admin.post(f"/api/v1/incidents/{foreign['id']}/response", json=body).status_code == 404


def plans_list(c: Ctx) -> None:
    plans = c.own.get("/api/v1/plans").json()
    assert plans and all("tasks" in p for p in plans)  # national data, nothing per jurisdiction


# -- tasks -------------------------------------------------------------------------------------------


def foreign_task(c: Ctx) -> tuple[dict[str, Any], dict[str, Any]]:
    incident = foreign_incident(c)
    task = created(c.foreign_admin.post(f"/api/v1/incidents/{incident['id']}/tasks", json={"title": "拉孜任务"}))
    return incident, task


def incidents_tasks_list(c: Ctx) -> None:
    incident, _ = foreign_task(c)
    assert c.own.get(f"/api/v1/incidents/{incident['id']}/tasks").status_code == 404


def foreign_organisation(c: Ctx) -> dict[str, Any]:
    body = {"name": "拉孜县应急管理局", "kind": "department", "division_code": FOREIGN}
    return created(c.foreign_admin.post("/api/v1/organisations", json=body))


def incidents_tasks_create(c: Ctx) -> None:
    incident = foreign_incident(c)
    assert c.own.post(f"/api/v1/incidents/{incident['id']}/tasks", json={"title": "x"}).status_code == 404
    own = own_incident(c)
    organisation = foreign_organisation(c)
    r = c.own.post(f"/api/v1/incidents/{own['id']}/tasks", json={"title": "x", "organisation_id": organisation["id"]})
    assert r.status_code == 404


def tasks_get(c: Ctx) -> None:
    _, task = foreign_task(c)
    assert c.own.get(f"/api/v1/tasks/{task['id']}").status_code == 404


def tasks_update(c: Ctx) -> None:
    _, task = foreign_task(c)
    assert c.own.patch(f"/api/v1/tasks/{task['id']}", json={"status": "done"}).status_code == 404
    assert c.foreign_admin.get(f"/api/v1/tasks/{task['id']}").json()["status"] == "open"


# -- timeline ----------------------------------------------------------------------------------------


def incidents_timeline(c: Ctx) -> None:
    foreign = foreign_incident(c)
    assert c.own.get(f"/api/v1/incidents/{foreign['id']}/timeline").status_code == 404
    own = own_incident(c)
    assert c.own.get(f"/api/v1/incidents/{own['id']}/timeline").json()["total"] >= 1


def incidents_timeline_add(c: Ctx) -> None:
    foreign = foreign_incident(c)
    r = c.own.post(f"/api/v1/incidents/{foreign['id']}/timeline", json={"kind": "note", "text": "x"})
    assert r.status_code == 404


# -- situation reports -------------------------------------------------------------------------------


def foreign_report(c: Ctx) -> dict[str, Any]:
    incident = foreign_incident(c)
    return created(c.foreign_admin.post(f"/api/v1/incidents/{incident['id']}/situation-reports", json={}))


def situation_reports_list(c: Ctx) -> None:
    report = foreign_report(c)
    assert c.own.get(f"/api/v1/incidents/{report['incident_id']}/situation-reports").status_code == 404


def situation_reports_create(c: Ctx) -> None:
    incident = foreign_incident(c)
    assert c.own.post(f"/api/v1/incidents/{incident['id']}/situation-reports", json={}).status_code == 404


def situation_reports_get(c: Ctx) -> None:
    report = foreign_report(c)
    assert c.own.get(f"/api/v1/situation-reports/{report['id']}").status_code == 404


def situation_reports_edit(c: Ctx) -> None:
    report = foreign_report(c)
    body = {"revision": 1, "conditions": "篡改"}
    assert c.own.patch(f"/api/v1/situation-reports/{report['id']}", json=body).status_code == 404


def situation_reports_status(c: Ctx) -> None:
    report = foreign_report(c)
    body = {"revision": 1, "status": "approved"}
    assert c.own_admin.post(f"/api/v1/situation-reports/{report['id']}/status", json=body).status_code == 404


# -- organisations -----------------------------------------------------------------------------------


def organisations_list(c: Ctx) -> None:
    foreign = foreign_organisation(c)
    items = c.own.get("/api/v1/organisations", params={"limit": 1000}).json()["items"]
    assert foreign["id"] not in ids(items)


def organisations_create(c: Ctx) -> None:
    body = {"name": "越界", "kind": "team", "division_code": FOREIGN}
    assert c.own.post("/api/v1/organisations", json=body).status_code == 404
    parent = foreign_organisation(c)
    body = {"name": "子单位", "kind": "team", "division_code": OWN, "parent_id": parent["id"]}
    assert c.own.post("/api/v1/organisations", json=body).status_code == 404


def organisations_get(c: Ctx) -> None:
    foreign = foreign_organisation(c)
    assert c.own.get(f"/api/v1/organisations/{foreign['id']}").status_code == 404


def organisations_contacts_add(c: Ctx) -> None:
    foreign = foreign_organisation(c)
    r = c.own.post(f"/api/v1/organisations/{foreign['id']}/contacts", json={"name": "张三"})
    assert r.status_code == 404


# -- grading overrides -------------------------------------------------------------------------------

OVERRIDE = {
    "applies_to": "natural_disaster_relief",
    "document": "县级预案（测试）",
    "thresholds": [{"tier": 4, "criterion": "deaths_and_missing", "threshold": 1}],
}


def foreign_override(c: Ctx) -> dict[str, Any]:
    return created(c.foreign_admin.post("/api/v1/grading-overrides", json={**OVERRIDE, "division_code": FOREIGN}))


def grading_overrides_list(c: Ctx) -> None:
    foreign = foreign_override(c)
    items = c.own.get("/api/v1/grading-overrides", params={"limit": 1000}).json()["items"]
    assert foreign["id"] not in ids(items)


def grading_overrides_create(c: Ctx) -> None:
    r = c.own_admin.post("/api/v1/grading-overrides", json={**OVERRIDE, "division_code": FOREIGN})
    assert r.status_code == 404


def grading_overrides_get(c: Ctx) -> None:
    assert c.own.get(f"/api/v1/grading-overrides/{foreign_override(c)['id']}").status_code == 404


def grading_overrides_retire(c: Ctx) -> None:
    foreign = foreign_override(c)
    assert c.own_admin.post(f"/api/v1/grading-overrides/{foreign['id']}/retire").status_code == 404
    assert c.foreign_admin.get(f"/api/v1/grading-overrides/{foreign['id']}").json()["active"] is True


# -- stored response plans ---------------------------------------------------------------------------

RESPONSE_PLAN = {
    "id": "county-plan",
    "title": "县级预案（测试）",
    "incident_types": ["other"],
    "levels": {"4": [{"key": "verify", "title": "核查", "organisation": "县应急管理局", "due_minutes": 60}]},
}


def foreign_plan(c: Ctx) -> dict[str, Any]:
    body = {"division_code": FOREIGN, "plan": RESPONSE_PLAN, "replace": True}  # replaces the previous case's
    return created(c.foreign_admin.post("/api/v1/response-plans", json=body))


def response_plans_list(c: Ctx) -> None:
    foreign = foreign_plan(c)
    for params in ({"limit": 1000}, {"limit": 1000, "incident_type": "other", "active_only": False}):
        items = c.own.get("/api/v1/response-plans", params=params).json()["items"]
        assert foreign["id"] not in ids(items)


def response_plans_create(c: Ctx) -> None:
    r = c.own_admin.post("/api/v1/response-plans", json={"division_code": FOREIGN, "plan": RESPONSE_PLAN})
    assert r.status_code == 404


def response_plans_get(c: Ctx) -> None:
    assert c.own.get(f"/api/v1/response-plans/{foreign_plan(c)['id']}").status_code == 404


def response_plans_retire(c: Ctx) -> None:
    foreign = foreign_plan(c)
    assert c.own_admin.post(f"/api/v1/response-plans/{foreign['id']}/retire").status_code == 404
    assert c.foreign_admin.get(f"/api/v1/response-plans/{foreign['id']}").json()["active"] is True


# -- deadlines, notifications ------------------------------------------------------------------------


def incidents_deadlines(c: Ctx) -> None:
    foreign = foreign_incident(c)
    assert c.own.get(f"/api/v1/incidents/{foreign['id']}/deadlines").status_code == 404
    own = own_incident(c)
    assert c.own.get(f"/api/v1/incidents/{own['id']}/deadlines").json()


def incidents_report_made(c: Ctx) -> None:
    foreign = foreign_incident(c)
    r = c.own.post(f"/api/v1/incidents/{foreign['id']}/deadlines", json={"key": "initial.county"})
    assert r.status_code == 404


def notifications_list(c: Ctx) -> None:
    items = c.own.get("/api/v1/notifications", params={"limit": 1000}).json()["items"]
    assert all(i["division_code"].startswith("540223") for i in items)


# -- duty desk ---------------------------------------------------------------------------------------


def foreign_item(c: Ctx) -> dict[str, Any]:
    body = {"division_code": FOREIGN, "channel": "phone", "summary": "拉孜来电"}
    return created(c.foreign_admin.post("/api/v1/duty/items", json=body))


def duty_shifts_list(c: Ctx) -> None:
    body = {"division_code": FOREIGN, "starts_at": T0, "ends_at": "2026-07-02T01:00:00+00:00", "leader": "拉孜领导"}
    created(c.foreign_admin.post("/api/v1/duty/shifts", json=body))
    items = c.own.get("/api/v1/duty/shifts", params={"limit": 1000}).json()["items"]
    assert all(i["division_code"].startswith("540223") for i in items)


def duty_shifts_create(c: Ctx) -> None:
    body = {"division_code": FOREIGN, "starts_at": T0, "ends_at": "2026-07-02T01:00:00+00:00", "leader": "x"}
    assert c.own.post("/api/v1/duty/shifts", json=body).status_code == 404


def duty_shifts_handover(c: Ctx) -> None:
    body = {"division_code": FOREIGN, "starts_at": T0, "ends_at": "2026-07-02T01:00:00+00:00", "leader": "x"}
    shift = created(c.foreign_admin.post("/api/v1/duty/shifts", json=body))
    assert c.own.post(f"/api/v1/duty/shifts/{shift['id']}/handover", json={"note": "x"}).status_code == 404


def duty_shifts_handover_get(c: Ctx) -> None:
    body = {"division_code": FOREIGN, "starts_at": T0, "ends_at": "2026-07-02T01:00:00+00:00", "leader": "x"}
    shift = created(c.foreign_admin.post("/api/v1/duty/shifts", json=body))
    handed = c.foreign_admin.post(f"/api/v1/duty/shifts/{shift['id']}/handover", json={"note": "拉孜交班"})
    assert handed.status_code == 200
    r = c.own.get(f"/api/v1/duty/shifts/{shift['id']}/handover")
    assert r.status_code == 404 and "拉孜交班" not in r.text


def duty_shifts_acknowledge(c: Ctx) -> None:
    body = {"division_code": FOREIGN, "starts_at": T0, "ends_at": "2026-07-02T01:00:00+00:00", "leader": "x"}
    shift = created(c.foreign_admin.post("/api/v1/duty/shifts", json=body))
    assert c.foreign_admin.post(f"/api/v1/duty/shifts/{shift['id']}/handover", json={"note": "x"}).status_code == 200
    assert c.own.post(f"/api/v1/duty/shifts/{shift['id']}/acknowledge").status_code == 404
    assert c.foreign_admin.get(f"/api/v1/duty/shifts/{shift['id']}/handover").json()["acknowledged_at"] is None


def duty_log_list(c: Ctx) -> None:
    created(c.foreign_admin.post("/api/v1/duty/log", json={"division_code": FOREIGN, "text": "拉孜日志"}))
    items = c.own.get("/api/v1/duty/log", params={"limit": 1000}).json()["items"]
    assert all(i["division_code"].startswith("540223") for i in items)


def duty_log_add(c: Ctx) -> None:
    assert c.own.post("/api/v1/duty/log", json={"division_code": FOREIGN, "text": "x"}).status_code == 404


def duty_items_list(c: Ctx) -> None:
    foreign = foreign_item(c)
    items = c.own.get("/api/v1/duty/items", params={"limit": 1000}).json()["items"]
    assert foreign["id"] not in ids(items)


def duty_items_receive(c: Ctx) -> None:
    body = {"division_code": FOREIGN, "channel": "phone", "summary": "x"}
    assert c.own.post("/api/v1/duty/items", json=body).status_code == 404


def duty_items_get(c: Ctx) -> None:
    foreign = foreign_item(c)
    assert c.own.get(f"/api/v1/duty/items/{foreign['id']}").status_code == 404


def duty_items_action(c: Ctx) -> None:
    foreign = foreign_item(c)
    r = c.own.post(f"/api/v1/duty/items/{foreign['id']}/actions", json={"action": "leader_told"})
    assert r.status_code == 404


def duty_items_to_incident(c: Ctx) -> None:
    foreign = foreign_item(c)
    r = c.own.post(f"/api/v1/duty/items/{foreign['id']}/incident", json=incident_body(OWN))
    assert r.status_code == 404
    own = created(c.own.post("/api/v1/duty/items", json={"division_code": OWN, "channel": "fax", "summary": "x"}))
    r = c.own.post(f"/api/v1/duty/items/{own['id']}/incident", json=incident_body(FOREIGN))
    assert r.status_code == 404


def duty_items_close(c: Ctx) -> None:
    foreign = foreign_item(c)
    assert c.own.post(f"/api/v1/duty/items/{foreign['id']}/close", json={"reason": "x"}).status_code == 404
    assert c.foreign_admin.get(f"/api/v1/duty/items/{foreign['id']}").json()["status"] == "open"


CASES: dict[tuple[str, str], Callable[[Ctx], None]] = {  # (method, OpenAPI path) -> check
    ("GET", "/api/v1/incidents"): incidents_list,
    ("POST", "/api/v1/incidents"): incidents_create,
    ("GET", "/api/v1/incidents/metrics"): incidents_metrics,
    ("GET", "/api/v1/incidents/{incident_id}"): incidents_get,
    ("PATCH", "/api/v1/incidents/{incident_id}"): incidents_update,
    ("POST", "/api/v1/incidents/{incident_id}/figures"): incidents_figures,
    ("GET", "/api/v1/incidents/{incident_id}/figures"): incidents_figure_history,
    ("POST", "/api/v1/incidents/{incident_id}/status"): incidents_status,
    ("GET", "/api/v1/incidents/{incident_id}/response"): incidents_response_history,
    ("POST", "/api/v1/incidents/{incident_id}/response"): incidents_respond,
    ("GET", "/api/v1/plans"): plans_list,
    ("GET", "/api/v1/incidents/{incident_id}/tasks"): incidents_tasks_list,
    ("POST", "/api/v1/incidents/{incident_id}/tasks"): incidents_tasks_create,
    ("GET", "/api/v1/tasks/{task_id}"): tasks_get,
    ("PATCH", "/api/v1/tasks/{task_id}"): tasks_update,
    ("GET", "/api/v1/incidents/{incident_id}/timeline"): incidents_timeline,
    ("POST", "/api/v1/incidents/{incident_id}/timeline"): incidents_timeline_add,
    ("GET", "/api/v1/incidents/{incident_id}/situation-reports"): situation_reports_list,
    ("POST", "/api/v1/incidents/{incident_id}/situation-reports"): situation_reports_create,
    ("GET", "/api/v1/situation-reports/{report_id}"): situation_reports_get,
    ("PATCH", "/api/v1/situation-reports/{report_id}"): situation_reports_edit,
    ("POST", "/api/v1/situation-reports/{report_id}/status"): situation_reports_status,
    ("GET", "/api/v1/organisations"): organisations_list,
    ("POST", "/api/v1/organisations"): organisations_create,
    ("GET", "/api/v1/organisations/{organisation_id}"): organisations_get,
    ("POST", "/api/v1/organisations/{organisation_id}/contacts"): organisations_contacts_add,
    ("GET", "/api/v1/grading-overrides"): grading_overrides_list,
    ("POST", "/api/v1/grading-overrides"): grading_overrides_create,
    ("GET", "/api/v1/grading-overrides/{override_id}"): grading_overrides_get,
    ("POST", "/api/v1/grading-overrides/{override_id}/retire"): grading_overrides_retire,
    ("GET", "/api/v1/response-plans"): response_plans_list,
    ("POST", "/api/v1/response-plans"): response_plans_create,
    ("GET", "/api/v1/response-plans/{response_plan_id}"): response_plans_get,
    ("POST", "/api/v1/response-plans/{response_plan_id}/retire"): response_plans_retire,
    ("GET", "/api/v1/incidents/{incident_id}/deadlines"): incidents_deadlines,
    ("POST", "/api/v1/incidents/{incident_id}/deadlines"): incidents_report_made,
    ("GET", "/api/v1/notifications"): notifications_list,
    ("GET", "/api/v1/duty/shifts"): duty_shifts_list,
    ("POST", "/api/v1/duty/shifts"): duty_shifts_create,
    ("POST", "/api/v1/duty/shifts/{shift_id}/handover"): duty_shifts_handover,
    ("GET", "/api/v1/duty/shifts/{shift_id}/handover"): duty_shifts_handover_get,
    ("POST", "/api/v1/duty/shifts/{shift_id}/acknowledge"): duty_shifts_acknowledge,
    ("GET", "/api/v1/duty/log"): duty_log_list,
    ("POST", "/api/v1/duty/log"): duty_log_add,
    ("GET", "/api/v1/duty/items"): duty_items_list,
    ("POST", "/api/v1/duty/items"): duty_items_receive,
    ("GET", "/api/v1/duty/items/{item_id}"): duty_items_get,
    ("POST", "/api/v1/duty/items/{item_id}/actions"): duty_items_action,
    ("POST", "/api/v1/duty/items/{item_id}/incident"): duty_items_to_incident,
    ("POST", "/api/v1/duty/items/{item_id}/close"): duty_items_close,
}
