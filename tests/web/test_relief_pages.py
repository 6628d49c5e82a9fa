"""The reserves and relief pages over real HTTP: the map layers, the reserves overview, transfer tracking
(confirm/cancel with CSRF, errors next to the transfer) — and nothing of another county shown."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.conftest import DEMO_PASSWORD, LiveServer
from tests.web.test_pages import browser, csrf_of

OWN, FOREIGN = "540223000000", "540225000000"
API = "/api/v1/resources"


def load_reserves(live: LiveServer) -> None:
    from yingji.auth.scope import system_scope
    from yingji.db import transaction
    from yingji.resources.demo import load_demo_resources

    with transaction(live.app.state.session_factory) as session:
        load_demo_resources(session=session, scope=system_scope("test"))


def commander(live: LiveServer, name: str, division: str) -> str:
    r = live.client("admin").post(
        "/api/v1/users",
        json={"username": name, "password": DEMO_PASSWORD, "role": "commander", "division_code": division},
    )
    assert r.status_code in (201, 409), r.text
    return name


def _depot(live: LiveServer, user: str, name: str, division: str, quilts: int) -> int:
    client = live.client(user)
    d = client.get(f"/api/v1/divisions/{division}").json()
    r = client.post(
        f"{API}/depots",
        json={"name": name, "level": "township", "division_code": division, "lon": d["lon"], "lat": d["lat"]},
    )
    assert r.status_code == 201, r.text
    if quilts:
        assert (
            client.post(
                f"{API}/depots/{r.json()['id']}/movements",
                json={"kind": "receive", "item": "quilt", "quantity": quilts},
            ).status_code
            == 201
        )
    return int(r.json()["id"])


@pytest.fixture(scope="module")
def reserves(live: LiveServer) -> dict[str, Any]:
    load_reserves(live)
    own_user, foreign_user = commander(live, "dingri_cmd", OWN), commander(live, "lazi_cmd", FOREIGN)
    own_a = _depot(live, own_user, "定日测试库甲", "540223001000", 100)
    own_b = _depot(live, own_user, "定日测试库乙", "540223002000", 0)
    foreign_a = _depot(live, foreign_user, "拉孜测试库甲-他县不可见", "540225001000", 100)
    foreign_b = _depot(live, foreign_user, "拉孜测试库乙-他县不可见", "540225002000", 0)

    def transfer(user: str, a: int, b: int, quantity: int) -> int:
        r = live.client(user).post(
            f"{API}/transfers",
            json={"from_depot_id": a, "to_depot_id": b, "lines": [{"item": "quilt", "quantity": quantity}]},
        )
        assert r.status_code == 201, r.text
        return int(r.json()["id"])

    return {
        "own_user": own_user,
        "own_a": own_a,
        "own_b": own_b,
        "own_transfer": transfer(own_user, own_a, own_b, 10),
        "too_big": transfer(own_user, own_a, own_b, 100_000),
        "to_cancel": transfer(own_user, own_a, own_b, 1),
        "foreign_transfer": transfer(foreign_user, foreign_a, foreign_b, 5),
    }


@pytest.mark.parametrize("layer", ["depots", "shelters", "teams", "gaps"])
def test_each_layer_is_offered_and_keeps_to_the_jurisdiction(
    live: LiveServer, reserves: dict[str, Any], layer: str
) -> None:
    client = browser(live, "dingri_duty")
    assert f"/map/layers/{layer}" in client.get("/").text
    body = client.get(f"/map/layers/{layer}").json()
    assert body["type"] == "FeatureCollection"
    for f in body["features"]:
        # a gap marker names its place by id (gap/<code>): its card shows the name, never the code
        code = f["properties"].get("division_code") or f["properties"].get("code") or str(f["id"]).removeprefix("gap/")
        assert code.startswith("540223") or code in ("540200000000", "540000000000", "000000000000"), code
        assert f["properties"]["label"] and f["properties"]["colour"]
        assert "他县不可见" not in f["properties"]["label"]
    if layer != "gaps":
        assert body["features"]
    assert browser(live).get(f"/map/layers/{layer}").status_code == 401


def test_reserves_page_shows_stock_shelters_teams_and_gaps(live: LiveServer, reserves: dict[str, Any]) -> None:
    page = browser(live, "dingri_duty").get("/reserves")
    assert page.status_code == 200
    for marker in (
        'id="reserves-depots"',
        'id="reserves-shelters"',
        'id="reserves-teams"',
        'id="reserves-gaps"',
        'href="/api/v1/resources/coverage/report"',
        "定日测试库甲",
        "西藏自治区救灾物资储备库",
    ):
        assert marker in page.text, marker
    assert "他县不可见" not in page.text and "拉孜县救灾物资储备库" not in page.text
    assert 'href="/reserves"' in page.text  # the nav item


def test_transfer_page_lists_own_transfers_only(live: LiveServer, reserves: dict[str, Any]) -> None:
    page = browser(live, reserves["own_user"]).get("/reserves/transfers")
    assert page.status_code == 200
    assert f'data-id="{reserves["own_transfer"]}"' in page.text
    assert f'data-id="{reserves["foreign_transfer"]}"' not in page.text and "他县不可见" not in page.text
    assert f'action="/reserves/transfers/{reserves["own_transfer"]}/confirm"' in page.text
    duty = browser(live, "dingri_duty").get("/reserves/transfers").text  # no resources:write: no forms
    assert "/confirm" not in duty


def test_confirm_needs_the_csrf_token(live: LiveServer, reserves: dict[str, Any]) -> None:
    client = browser(live, reserves["own_user"])
    r = client.post(f"/reserves/transfers/{reserves['own_transfer']}/confirm", data={"csrf_token": "guess"})
    assert r.status_code == 403
    status = live.client(reserves["own_user"]).get(f"{API}/transfers/{reserves['own_transfer']}").json()["status"]
    assert status == "created"


def test_confirm_moves_the_stock_and_cancel_closes(live: LiveServer, reserves: dict[str, Any]) -> None:
    client = browser(live, reserves["own_user"])
    r = client.post(f"/reserves/transfers/{reserves['own_transfer']}/confirm", data={"csrf_token": csrf_of(client)})
    assert r.status_code == 303 and r.headers["location"] == "/reserves/transfers"
    r = client.post(f"/reserves/transfers/{reserves['to_cancel']}/cancel", data={"csrf_token": csrf_of(client)})
    assert r.status_code == 303
    api = live.client(reserves["own_user"])
    assert api.get(f"{API}/transfers/{reserves['own_transfer']}").json()["status"] == "confirmed"
    assert api.get(f"{API}/transfers/{reserves['to_cancel']}").json()["status"] == "cancelled"
    stock = api.get(f"{API}/depots/{reserves['own_b']}/stock").json()["items"]
    assert sum(line["quantity"] for line in stock) == 10


def test_short_stock_is_shown_next_to_the_transfer(live: LiveServer, reserves: dict[str, Any]) -> None:
    client = browser(live, reserves["own_user"])
    r = client.post(f"/reserves/transfers/{reserves['too_big']}/confirm", data={"csrf_token": csrf_of(client)})
    assert r.status_code == 409  # short stock: the whole order is refused
    row = r.text.split(f'data-id="{reserves["too_big"]}"')[1].split("</tr>")[0]
    assert re.search(r'class="field-error"', row)


def test_actions_on_a_foreign_transfer_are_not_found(live: LiveServer, reserves: dict[str, Any]) -> None:
    client = browser(live, reserves["own_user"])
    for action in ("confirm", "cancel"):
        r = client.post(
            f"/reserves/transfers/{reserves['foreign_transfer']}/{action}", data={"csrf_token": csrf_of(client)}
        )
        assert r.status_code == 404 and "他县不可见" not in r.text
    assert live.client("lazi_cmd").get(f"{API}/transfers/{reserves['foreign_transfer']}").json()["status"] == "created"


# -- dispatch plans --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plans(live: LiveServer, reserves: dict[str, Any]) -> dict[str, Any]:
    def explicit(user: str, division: str, place: str) -> dict[str, Any]:
        client = live.client(user)
        d = client.get(f"/api/v1/divisions/{division}").json()
        r = client.post(
            "/api/v1/relief/plans",
            json={
                "division_code": division,
                "displaced": [{"place": place, "lon": d["lon"], "lat": d["lat"], "displaced": 200}],
            },
        )
        assert r.status_code == 201, r.text
        return dict(r.json())

    return {
        "own": explicit(reserves["own_user"], OWN, "定日测试安置点"),
        "foreign": explicit("lazi_cmd", FOREIGN, "拉孜安置点-他县不可见"),
    }


def test_plan_list_shows_own_plans_and_the_form(live: LiveServer, plans: dict[str, Any]) -> None:
    page = browser(live, "dingri_cmd").get("/relief/plans")
    assert page.status_code == 200 and 'id="plan-form"' in page.text
    assert f'href="/relief/plans/{plans["own"]["id"]}"' in page.text
    assert f'href="/relief/plans/{plans["foreign"]["id"]}"' not in page.text and "他县不可见" not in page.text
    assert 'id="plan-form"' not in browser(live, "dingri_duty").get("/relief/plans").text  # no relief:plan


def test_plan_page_draws_flows_and_lists_shipments_unmet_and_shelters(live: LiveServer, plans: dict[str, Any]) -> None:
    page = browser(live, "dingri_cmd").get(f"/relief/plans/{plans['own']['id']}")
    assert page.status_code == 200
    for marker in (
        'id="plan-map"',
        'id="plan-shipments"',
        'id="plan-unmet"',
        'id="plan-shelters"',
        'id="commit-form"',
        "/static/relief.js",
        f"/api/v1/relief/plans/{plans['own']['id']}/flows",
    ):
        assert marker in page.text, marker
    assert re.search(r"https?://", page.text) is None


def test_a_foreign_plan_page_is_not_found(live: LiveServer, plans: dict[str, Any]) -> None:
    client = browser(live, "dingri_cmd")
    r = client.get(f"/relief/plans/{plans['foreign']['id']}")
    assert r.status_code == 404 and "他县不可见" not in r.text
    for action in ("commit", "confirm", "cancel"):
        r = client.post(f"/relief/plans/{plans['foreign']['id']}/{action}", data={"csrf_token": csrf_of(client)})
        assert r.status_code == 404 and "他县不可见" not in r.text
    assert live.client("lazi_cmd").get(f"/api/v1/relief/plans/{plans['foreign']['id']}").json()["status"] == "planned"


def test_an_action_the_pages_do_not_offer_is_no_route(live: LiveServer, plans: dict[str, Any]) -> None:
    """The action is a path segment of fixed words: another word (or another record's action) is a 404 like
    any unknown address, the record untouched."""
    client, api = browser(live, "dingri_cmd"), live.client("dingri_cmd")
    own = plans["own"]["id"]
    before = api.get(f"/api/v1/relief/plans/{own}").json()
    for url in (f"/relief/plans/{own}/settle", f"/relief/plans/{own}/Commit", "/reserves/transfers/1/commit"):
        r = client.post(url, data={"csrf_token": csrf_of(client)})
        assert r.status_code == 404 and r.json()["code"] == "http_404", url
    assert client.get(f"/relief/plans/{own}/commit").status_code == 405
    assert api.get(f"/api/v1/relief/plans/{own}").json() == before


def test_plan_form_errors_are_shown_next_to_the_fields(live: LiveServer, plans: dict[str, Any]) -> None:
    client = browser(live, "dingri_cmd")
    r = client.post("/relief/plans", data={"csrf_token": csrf_of(client), "days": "3"})
    assert r.status_code == 422 and re.search(r'class="field-error"[^>]*data-field="incident_id"', r.text)
    r = client.post("/relief/plans", data={"csrf_token": csrf_of(client), "incident_id": "abc"})
    assert r.status_code == 422 and re.search(r'class="field-error"[^>]*data-field="incident_id"', r.text)
    assert client.post("/relief/plans", data={"csrf_token": "guess", "incident_id": "1"}).status_code == 403


def test_committing_from_the_page_makes_transfers_once(live: LiveServer, plans: dict[str, Any]) -> None:
    client = browser(live, "dingri_cmd")
    url = f"/relief/plans/{plans['own']['id']}/commit"
    assert client.post(url, data={"csrf_token": "guess"}).status_code == 403
    r = client.post(url, data={"csrf_token": csrf_of(client)})
    assert r.status_code == 303
    api = live.client("dingri_cmd")
    first = api.get(f"/api/v1/relief/plans/{plans['own']['id']}").json()
    assert first["status"] == "committed"
    assert client.post(url, data={"csrf_token": csrf_of(client)}).status_code == 303
    assert api.get(f"/api/v1/relief/plans/{plans['own']['id']}").json()["commit_result"] == first["commit_result"]
    page = client.get(f"/relief/plans/{plans['own']['id']}").text
    assert 'id="commit-result"' in page and 'id="commit-form"' not in page


def test_cancelling_from_the_page_releases_the_plan(live: LiveServer, reserves: dict[str, Any]) -> None:
    api = live.client("dingri_cmd")
    d = api.get(f"/api/v1/divisions/{OWN}").json()
    plan = api.post(
        "/api/v1/relief/plans",
        json={
            "division_code": OWN,
            "demands": [{"place": "取消测试点", "lon": d["lon"], "lat": d["lat"], "item": "quilt", "quantity": 3}],
        },
    ).json()
    client = browser(live, "dingri_cmd")
    url = f"/relief/plans/{plan['id']}"
    assert 'id="cancel-form"' in client.get(url).text and 'id="confirm-form"' not in client.get(url).text
    assert client.post(f"{url}/confirm", data={"csrf_token": csrf_of(client)}).status_code == 422  # not committed
    assert client.post(f"{url}/cancel", data={"csrf_token": "guess"}).status_code == 403
    assert client.post(f"{url}/cancel", data={"csrf_token": csrf_of(client)}).status_code == 303
    assert api.get(f"/api/v1/relief/plans/{plan['id']}").json()["status"] == "cancelled"
    page = client.get(url).text
    assert 'id="cancel-form"' not in page and 'id="commit-form"' not in page


def test_coverage_gaps_are_shown_in_the_page_language(live: LiveServer, reserves: dict[str, Any]) -> None:
    client = browser(live, "xigaze_commander")
    zh = client.get("/reserves").text
    client.headers["referer"] = live.url + "/reserves"
    client.get("/lang/en")
    en = client.get("/reserves").text
    assert "无县级储备库" in zh and "No county-level depot" in en and "no county-level depot" not in zh
