"""The pages over real HTTP: sign-in, CSRF, the server-side form errors, and no leaks between counties."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest
from tests.conftest import DEMO_PASSWORD, LiveServer
from tests.web.conftest import FOREIGN_SECRET, OWN_SECRET, WebData


class Assets(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script" and a.get("src"):
            self.urls.append(str(a["src"]))
        if tag == "link" and a.get("href"):
            self.urls.append(str(a["href"]))
        if tag == "img" and a.get("src"):
            self.urls.append(str(a["src"]))


def browser(live: LiveServer, user: str | None = None) -> httpx.Client:
    """A cookie-keeping client that signs in through the login form, like a person."""
    client = httpx.Client(base_url=live.url, follow_redirects=False, timeout=30)
    if user:
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf
        r = client.post(
            "/login", data={"username": user, "password": DEMO_PASSWORD, "csrf_token": csrf.group(1), "next": "/"}
        )
        assert r.status_code == 303, r.text
    return client


def csrf_of(client: httpx.Client) -> str:
    """The CSRF token of the client's signed-in session (bound to it), as a page carries it."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', client.get("/").text)
    assert found, "not signed in"
    return found.group(1)


def test_root_redirects_to_login_and_every_asset_is_local(live: LiveServer) -> None:
    client = httpx.Client(base_url=live.url, follow_redirects=True)
    for path in ("/", "/login"):
        page = client.get(path)
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        parser = Assets()
        parser.feed(page.text)
        for url in parser.urls:
            assert url.startswith("/") and not url.startswith("//"), url
            assert client.get(url).status_code == 200, url
    assert "http://" not in page.text.replace(live.url, "") and "https://" not in page.text


def test_signed_in_map_page_uses_only_local_scripts(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    page = client.get("/")
    assert page.status_code == 200 and "定日县" in page.text
    parser = Assets()
    parser.feed(page.text)
    assert "/static/leaflet/leaflet.js" in parser.urls
    assert all(u.startswith("/") and not u.startswith("//") for u in parser.urls)
    assert re.search(r"https?://", page.text) is None


def test_wrong_password_shows_the_error_on_the_form(live: LiveServer) -> None:
    client = browser(live)
    page = client.get("/login")
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert csrf
    r = client.post(
        "/login", data={"username": "dingri_duty", "password": "wrong-Password-1", "csrf_token": csrf.group(1)}
    )
    assert r.status_code == 401 and "用户名或密码错误" in r.text


def test_login_without_csrf_token_is_refused(live: LiveServer) -> None:
    r = httpx.post(live.url + "/login", data={"username": "dingri_duty", "password": DEMO_PASSWORD})
    assert r.status_code == 403 and "yingji_token" not in r.cookies


def test_form_post_without_csrf_token_changes_nothing(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    r = client.post(f"/incidents/{web.own_incident}/tasks", data={"title": "forged"})
    assert r.status_code in (403, 422)
    r = client.post(f"/incidents/{web.own_incident}/tasks", data={"title": "forged", "csrf_token": "guess"})
    assert r.status_code == 403
    assert "forged" not in client.get(f"/incidents/{web.own_incident}").text


def test_api_write_with_session_cookie_needs_the_csrf_header(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    assert client.post("/api/v1/tokens", json={"name": "x"}).status_code == 403
    r = client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf_of(client)})
    assert r.status_code == 201


def test_empty_task_title_is_shown_next_to_the_field(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    r = client.post(f"/incidents/{web.own_incident}/tasks", data={"title": " ", "csrf_token": csrf_of(client)})
    assert r.status_code == 422
    assert re.search(r'class="field-error"[^>]*data-field="title"', r.text)


def test_adding_a_task_through_the_form_shows_it(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    r = client.post(
        f"/incidents/{web.own_incident}/tasks",
        data={"title": "排查隐患点", "team": "县消防救援大队", "csrf_token": csrf_of(client)},
    )
    assert r.status_code == 303
    assert "排查隐患点" in client.get(f"/incidents/{web.own_incident}").text


def test_a_task_past_its_due_time_is_marked_overdue_until_done(web: WebData) -> None:
    api = web.live.client("dingri_duty")
    r = api.post(f"/api/v1/incidents/{web.own_incident}/tasks",
                 json={"title": "超时任务测试", "due_at": "2020-01-01T00:00:00+08:00"})  # fmt: skip
    assert r.status_code == 201, r.text
    client = browser(web.live, "dingri_duty")
    row = re.search(r"<tr([^>]*)><td>超时任务测试</td>", client.get(f"/incidents/{web.own_incident}").text)
    assert row and 'data-overdue="1"' in row.group(1)
    assert api.patch(f"/api/v1/tasks/{r.json()['id']}", json={"status": "done"}).status_code == 200
    row = re.search(r"<tr([^>]*)><td>超时任务测试</td>", client.get(f"/incidents/{web.own_incident}").text)
    assert row and "data-overdue" not in row.group(1)


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/incidents",
        "/incidents?fragment=rows",
        "/map/layers/incidents",
        "/duty",
        "/stats",
        "/incidents?status=reported",
        "/incidents?division=540225",
    ],
)
def test_no_page_or_fragment_shows_another_countys_incident(web: WebData, path: str) -> None:
    client = browser(web.live, "dingri_duty")
    body = client.get(path).text
    assert FOREIGN_SECRET not in body
    if path.startswith("/incidents") and "540225" not in path:
        assert OWN_SECRET in body


def test_the_map_layer_and_its_cards_hold_only_the_own_jurisdiction(web: WebData) -> None:
    """The incident layer carries ids and positions only; the text is in the card, read on a click."""
    client = browser(web.live, "dingri_duty")
    ids = {point[0] for point in client.get("/map/layers/incidents").json()["points"]}
    assert web.own_incident in ids and web.foreign_incident not in ids
    card = client.get(f"/map/layers/incidents/{web.own_incident}")
    assert card.status_code == 200 and card.json()["label"] == OWN_SECRET
    foreign = client.get(f"/map/layers/incidents/{web.foreign_incident}")
    assert foreign.status_code == 404 and FOREIGN_SECRET not in foreign.text
    assert browser(web.live).get(f"/map/layers/incidents/{web.own_incident}").status_code == 401


def test_the_map_layer_says_when_it_leaves_incidents_out(web: WebData, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past the cap the newest incidents are drawn and the layer says so (the page shows a notice)."""
    client = browser(web.live, "xigaze_commander")
    whole = client.get("/map/layers/incidents").json()
    assert whole["truncated"] is False and len(whole["points"]) >= 2
    monkeypatch.setattr("yingji.web.layers.INCIDENT_MAP_LIMIT", 1)
    capped = client.get("/map/layers/incidents").json()
    assert capped["truncated"] is True and capped["points"] == whole["points"][:1]
    assert 'id="truncated"' in client.get("/").text


def test_foreign_incident_page_is_not_found(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    r = client.get(f"/incidents/{web.foreign_incident}")
    assert r.status_code == 404 and FOREIGN_SECRET not in r.text
    r = client.post(f"/incidents/{web.foreign_incident}/tasks", data={"title": "x", "csrf_token": csrf_of(client)})
    assert r.status_code == 404 and FOREIGN_SECRET not in r.text


def test_prefecture_user_sees_both_counties(web: WebData) -> None:
    body = browser(web.live, "xigaze_duty").get("/incidents").text
    assert OWN_SECRET in body and FOREIGN_SECRET in body


def test_language_switch_turns_the_page_english(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    client.headers["referer"] = web.live.url + "/incidents"
    r = client.get("/lang/en")
    assert r.status_code == 303 and r.headers["location"] == "/incidents"
    assert "Incidents" in client.get("/incidents").text


def test_every_page_route_has_a_leak_case(live: LiveServer) -> None:
    """Every HTML/fragment route is covered by a leak test above (add one when adding a page)."""
    from yingji.app import all_routes

    covered = {
        "/api/v1/docs",
        "/api/v1/docs/init.js",
        "/api/v1/openapi.json",  # schema only, no data
        "/api/v1/metrics",  # counts only, token or loopback (tests/production/test_metrics.py)
        "/",
        "/login",
        "/logout",
        "/lang/{code}",
        "/session/refresh",
        "/incidents",
        "/incidents/{incident_id}",
        "/incidents/{incident_id}/status",
        "/incidents/{incident_id}/respond",
        "/incidents/{incident_id}/tasks",
        "/incidents/{incident_id}/reports",
        "/incidents/{incident_id}/reports/{report_id}/status",
        "/map/layers/incidents",
        "/map/layers/incidents/{incident_id}",
        "/duty",
        "/duty/log",
        "/duty/items",
        "/duty/items/{item_id}/action",
        # tests/web/test_roster_pages.py
        "/duty/roster",
        "/duty/roster/shifts",
        "/duty/roster/shifts/{shift_id}/handover",
        "/duty/roster/shifts/{shift_id}/acknowledge",
        # tests/web/test_report_pages.py
        "/incidents/new",
        "/duty/items/{item_id}/incident",
        "/incidents/{incident_id}/figures",
        "/incidents/{incident_id}/tasks/{task_id}/status",
        "/incidents/{incident_id}/deadlines",
        "/stats",
        "/stats/export.xlsx",  # tests/web/test_stats_pages.py
        "/quake",
        "/quake/{assessment_id}",
        "/map/layers/intensity",
        # tests/web/test_relief_pages.py
        "/map/layers/depots",
        "/map/layers/shelters",
        "/map/layers/teams",
        "/map/layers/gaps",
        "/reserves",
        "/reserves/transfers",
        "/reserves/transfers/{transfer_id}/{action:transfer_action}",  # confirm, cancel
        "/relief/plans",
        "/relief/plans/{plan_id}",
        "/relief/plans/{plan_id}/{action:plan_action}",  # commit, confirm, cancel
        # tests/web/test_monitoring_pages.py
        "/alarms",
        "/alarms/{alarm_id}",
        "/alarms/{alarm_id}/acknowledge",
        "/alarms/{alarm_id}/shelve",
        "/map/layers/alarms",
        "/map/layers/warnings",
        "/warnings",
        "/alarms/{alarm_id}/note",
        "/alarms/{alarm_id}/promote",
        "/alarms/{alarm_id}/unshelve",
        "/alarms/{alarm_id}/suppress",
        "/alarms/{alarm_id}/out-of-service",
        "/warnings/officials",
        "/warnings/officials/{official_id}",
        "/warnings/officials/{official_id}/remove",
        "/warnings/{warning_id}",
        "/warnings/{warning_id}/cap",
        "/warnings/{warning_id}/update",
        "/warnings/{warning_id}/cancel",
        "/warnings/{warning_id}/calls/send",
        "/warnings/{warning_id}/calls/{official_id}/acknowledge",
        # tests/disasters/test_disasters_pages.py: another county gets 404 on each, and no name in the list
        "/disasters",
        "/disasters/{disaster_event_id}",
        "/disasters/{disaster_event_id}/report",
        "/disasters/{disaster_event_id}/review",
        "/disasters/{disaster_event_id}/review/{report_id}",
        "/disasters/{disaster_event_id}/accept-selected",  # another county's report 404 and untouched
        "/disasters/{disaster_event_id}/stabilised",  # another county's day or event 404
        # tests/web/test_enforcement_pages.py: own plans, draws and cases only; another county's draw 404
        "/enforcement",
        "/enforcement/draws/{draw_id}",
        "/enforcement/plans/{plan_id}/draw",  # write forms: a reader is refused (403), CSRF checked
        "/enforcement/draws/{draw_id}/publish",
        "/enforcement/inspections/{inspection_id}/checklist",  # another county's inspection 404
        "/enforcement/inspections/{inspection_id}/follow-up",  # 复查 page and form: another county's inspection 404
        "/enforcement/checklist-sw.js",  # a static script (the offline checklist's service worker), no data
        # tests/web/test_hazards_pages.py
        "/hazards/board",
        "/enterprises/{enterprise_id}",
        "/hazards/report",
        "/map/layers/enterprises",
        "/installations/{installation_id}/qr.svg",
        "/installations/{installation_id}/check",
        # tests/tips/test_tips_pages.py: public, no record but by the tracking code in a POST body
        "/tip",
        "/tip/status",
        "/tip/statistics",  # public figures only, small counts withheld (tests/enforcement/test_public_statistics.py)
        "/tip/message",
        "/tip/reward",
        "/tips",  # the staff inbox: own county only, another county's tip 404 (tests/tips/test_tips_pages.py)
        "/tips/{tip_id}",
        "/tips/{tip_id}/act",  # tips:handle, CSRF; another county's tip 404 through the service
        "/tips/{tip_id}/message",
    }
    pages = {r.path for r in all_routes(live.app) if not getattr(r, "include_in_schema", True)}
    assert "/incidents/{incident_id}" in pages  # the enumeration itself works
    assert pages <= covered, f"page routes without a leak case: {sorted(pages - covered)}"


@pytest.mark.parametrize("action", ["status", "respond", "tasks", "reports", "reports/1/status"])
def test_actions_on_a_foreign_incident_are_not_found(web: WebData, action: str) -> None:
    client = browser(web.live, "dingri_duty")
    data = {
        "csrf_token": csrf_of(client),
        "version": "1",
        "status": "verified",
        "action": "activate",
        "level": "4",
        "title": "x",
        "conditions": "x",
        "revision": "1",
    }
    r = client.post(f"/incidents/{web.foreign_incident}/{action}", data=data)
    assert r.status_code == 404 and FOREIGN_SECRET not in r.text


def test_duty_action_on_a_foreign_item_is_not_found(web: WebData) -> None:
    lazi = web.live.client("lazi_duty")
    item = lazi.post(
        "/api/v1/duty/items", json={"division_code": "540225", "channel": "phone", "summary": FOREIGN_SECRET}
    ).json()
    client = browser(web.live, "dingri_duty")
    r = client.post(f"/duty/items/{item['id']}/action", data={"csrf_token": csrf_of(client), "action": "leader_told"})
    assert r.status_code == 404 and FOREIGN_SECRET not in r.text
    assert FOREIGN_SECRET not in client.get("/duty").text
