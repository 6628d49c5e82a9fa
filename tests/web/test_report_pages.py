"""上报 and 灾情数据 pages over real HTTP: the forms and the duty-desk action never show or touch another county's
divisions or received information (leak cases for ``/incidents/new`` and ``/duty/items/{id}/incident``)."""

from __future__ import annotations

import re

from tests.conftest import LiveServer
from tests.web.conftest import WebData
from tests.web.test_pages import browser, csrf_of

FOREIGN_ITEM = "拉孜县接报-他县不可见"


def _item(live: LiveServer, user: str, county: str, summary: str) -> int:
    r = live.client(user).post(
        "/api/v1/duty/items", json={"division_code": county, "channel": "phone", "caller": "村委会", "summary": summary}
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_the_form_offers_only_divisions_of_the_own_jurisdiction_by_name(web: WebData) -> None:
    body = browser(web.live, "dingri_duty").get("/incidents/new").text
    offered = re.findall(r'<option value="(\d{12})"', body)
    assert "540223000000" in offered and all(code.startswith("540223") for code in offered)
    assert "拉孜" not in body and ">540223" not in body  # names are shown, not codes


def test_a_foreign_duty_item_cannot_fill_the_form_nor_become_an_incident(web: WebData) -> None:
    foreign = _item(web.live, "lazi_duty", "540225000000", FOREIGN_ITEM)
    client = browser(web.live, "dingri_duty")
    page = client.get(f"/incidents/new?item={foreign}")
    assert page.status_code == 404 and FOREIGN_ITEM not in page.text
    token = csrf_of(client)
    r = client.post(f"/duty/items/{foreign}/incident", data={"incident_type": "fire", "csrf_token": token})
    assert r.status_code == 404 and FOREIGN_ITEM not in r.text
    r = client.post(
        "/incidents/new",
        data={
            "title": "借他县接报",
            "incident_type": "fire",
            "division": "540223000000",
            "occurred_at": "2026-12-01T08:00",
            "item": str(foreign),
            "csrf_token": token,
        },
    )
    assert r.status_code == 404 and FOREIGN_ITEM not in r.text
    item = web.live.client("lazi_duty").get(f"/api/v1/duty/items/{foreign}").json()
    assert item["status"] == "open"


def test_a_foreign_division_or_point_is_refused_on_the_form(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    token = csrf_of(client)
    base = {"title": "越界上报", "incident_type": "fire", "occurred_at": "2026-12-01T08:00", "csrf_token": token}
    r = client.post("/incidents/new", data={**base, "division": "540225000000"})
    assert r.status_code == 422 and 'data-field="division"' in r.text and "拉孜" not in r.text
    r = client.post("/incidents/new", data={**base, "lon": "87.6", "lat": "29.1"})  # a point in 拉孜县
    assert r.status_code == 422 and 'data-field="division"' in r.text


def test_a_form_with_a_wrong_csrf_token_is_refused(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    r = client.post(
        "/incidents/new",
        data={
            "title": "错误令牌",
            "incident_type": "fire",
            "csrf_token": "forged",
            "division": "540223000000",
            "occurred_at": "2026-12-01T08:00",
        },
    )
    assert r.status_code == 403
    assert "错误令牌" not in browser(web.live, "dingri_duty").get("/incidents").text


def test_figures_of_a_foreign_incident_cannot_be_changed_from_the_page(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    r = client.post(
        f"/incidents/{web.foreign_incident}/figures",
        data={"version": "1", "deaths": "99", "source_kind": "correction", "csrf_token": csrf_of(client)},
    )
    assert r.status_code == 404 and "拉孜" not in r.text
    figures = web.live.client("lazi_duty").get(f"/api/v1/incidents/{web.foreign_incident}").json()["figures"]
    assert figures["deaths"] == 1


def test_tasks_and_deadlines_of_a_foreign_incident_cannot_be_acted_on(web: WebData) -> None:
    foreign_api = web.live.client("lazi_duty")
    task = foreign_api.post(f"/api/v1/incidents/{web.foreign_incident}/tasks", json={"title": "拉孜县任务"}).json()
    client = browser(web.live, "dingri_duty")
    token = csrf_of(client)
    r = client.post(
        f"/incidents/{web.foreign_incident}/tasks/{task['id']}/status", data={"status": "done", "csrf_token": token}
    )
    assert r.status_code == 404 and "拉孜县任务" not in r.text
    r = client.post(
        f"/incidents/{web.own_incident}/tasks/{task['id']}/status",  # a foreign task under our incident
        data={"status": "done", "csrf_token": token},
    )
    assert r.status_code in (404, 422) and "拉孜县任务" not in r.text
    assert foreign_api.get(f"/api/v1/tasks/{task['id']}").json()["status"] == "open"
    r = client.post(f"/incidents/{web.foreign_incident}/deadlines", data={"key": "initial", "csrf_token": token})
    assert r.status_code == 404 and "拉孜" not in r.text


def test_a_national_user_gets_the_form_too(web: WebData) -> None:
    r = browser(web.live, "admin").get("/incidents/new")
    assert r.status_code == 200 and 'name="division"' in r.text
