"""The work-safety pages over real HTTP: the board, the enterprise page, the report form and the map layer
show only the caller's enterprises (a county, or an enterprise user's own) — never another's."""

from __future__ import annotations

from typing import Any

import pytest
from tests.api.cases_hazards import new_credit_code
from tests.conftest import DEMO_PASSWORD, LiveServer
from tests.web.test_pages import browser, csrf_of

OWN, FOREIGN = "540223000000", "540225000000"
OWN_NAME, OTHER_NAME, FOREIGN_NAME = "定日化工-本县可见", "定日钢铁-他企不可见", "拉孜化工-他县不可见"


def enterprise(live: LiveServer, name: str, division: str, **extra: Any) -> dict[str, Any]:
    body = {"name": name, "credit_code": new_credit_code(), "division_code": division, **extra}
    r = live.client("admin").post("/api/v1/enterprises", json=body)
    assert r.status_code == 201, r.text
    made: dict[str, Any] = r.json()
    return made


@pytest.fixture(scope="module")
def places(live: LiveServer) -> dict[str, Any]:
    admin = live.client("admin")
    own = enterprise(live, OWN_NAME, OWN, lon=87.1, lat=28.6, risk_color="red", supervision_category="危险化学品")
    other = enterprise(live, OTHER_NAME, OWN, lon=87.2, lat=28.6, risk_color="blue")
    foreign = enterprise(live, FOREIGN_NAME, FOREIGN, lon=87.6, lat=29.1, risk_color="red")
    r = admin.post("/api/v1/users", json={"username": "dingri_jia", "password": DEMO_PASSWORD, "role": "enterprise",
                                          "division_code": OWN})  # fmt: skip
    assert r.status_code in (201, 409), r.text
    assert admin.post(f"/api/v1/enterprises/{own['id']}/members", json={"username": "dingri_jia"}).status_code == 204
    for ent, title in ((own, "本企业隐患"), (foreign, "他县隐患-不可见")):
        h = admin.post("/api/v1/hazards", json={"enterprise_id": ent["id"], "title": title}).json()
        admin.post(f"/api/v1/hazards/{h['id']}/actions/determine", json={"level": "major", "items": ["HC2017-12"]})
    return {"own": own, "other": other, "foreign": foreign}


def test_board_shows_own_county_only(live: LiveServer, places: dict[str, Any]) -> None:
    page = browser(live, "dingri_duty").get("/hazards/board")
    assert page.status_code == 200 and "定日县" in page.text and "拉孜县" not in page.text
    assert 'data-key="540223' in page.text and 'data-key="540225' not in page.text


def test_enterprise_page_of_another_county_is_not_found(live: LiveServer, places: dict[str, Any]) -> None:
    client = browser(live, "dingri_duty")
    page = client.get(f"/enterprises/{places['own']['id']}")
    assert page.status_code == 200 and OWN_NAME in page.text and "本企业隐患" in page.text
    foreign = client.get(f"/enterprises/{places['foreign']['id']}")
    assert foreign.status_code == 404 and FOREIGN_NAME not in foreign.text


def test_map_layer_colours_by_risk_and_keeps_to_the_view(live: LiveServer, places: dict[str, Any]) -> None:
    layer = browser(live, "dingri_duty").get("/map/layers/enterprises").json()
    labels = {f["properties"]["label"]: f["properties"] for f in layer["features"]}
    assert labels[OWN_NAME + " ⚠"]["colour"] == "#d7301f" and labels[OTHER_NAME]["colour"] == "#2b8cbe"
    assert not any(FOREIGN_NAME in label for label in labels)
    mine = browser(live, "dingri_jia").get("/map/layers/enterprises").json()
    assert [f["properties"]["href"] for f in mine["features"]] == [f"/enterprises/{places['own']['id']}"]


def test_enterprise_user_reports_from_the_form_for_its_own_enterprise_only(
    live: LiveServer, places: dict[str, Any]
) -> None:
    client = browser(live, "dingri_jia")
    form = client.get("/hazards/report")
    assert form.status_code == 200 and OWN_NAME in form.text and OTHER_NAME not in form.text
    r = client.post("/hazards/report", data={"csrf_token": csrf_of(client), "enterprise_id": str(places["own"]["id"]),
                                             "title": "<script>alert(1)</script>配电室漏水"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == f"/enterprises/{places['own']['id']}"
    page = client.get(r.headers["location"])
    assert "&lt;script&gt;alert(1)&lt;/script&gt;配电室漏水" in page.text and "<script>alert(1)" not in page.text
    other = {"csrf_token": csrf_of(client), "enterprise_id": str(places["other"]["id"]), "title": "x"}
    refused = client.post("/hazards/report", data=other)
    assert refused.status_code == 404 and 'data-field="form"' in refused.text
    assert client.get(f"/enterprises/{places['other']['id']}").status_code == 404
    blank = {"csrf_token": csrf_of(client), "enterprise_id": str(places["own"]["id"]), "title": ""}
    empty = client.post("/hazards/report", data=blank)
    assert empty.status_code == 422 and 'data-field="title"' in empty.text


def test_qr_label_opens_the_check_page_and_its_tag_proves_presence(live: LiveServer, places: dict[str, Any]) -> None:
    from yingji.hazards import presence

    admin = live.client("admin")
    own = admin.post("/api/v1/installations", json={"enterprise_id": places["own"]["id"], "name": "罐区甲"}).json()
    foreign = admin.post("/api/v1/installations", json={"enterprise_id": places["foreign"]["id"], "name": "x"}).json()
    client = browser(live, "dingri_jia")
    svg = client.get(f"/installations/{own['id']}/qr.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert client.get(f"/installations/{foreign['id']}/qr.svg").status_code == 404
    assert client.get(f"/installations/{foreign['id']}/check").status_code == 404
    good = presence.tag(live.settings.secret_key.get_secret_value(), own["id"])
    page = client.get(f"/installations/{own['id']}/check", params={"tag": good})
    assert page.status_code == 200 and "罐区甲" in page.text
    bad = client.post(f"/installations/{own['id']}/check", data={"csrf_token": csrf_of(client), "tag": "0" * 20})
    assert bad.status_code == 422 and 'data-field="tag"' in bad.text
    ok = client.post(
        f"/installations/{own['id']}/check", data={"csrf_token": csrf_of(client), "tag": good, "note": "巡检"}
    )
    assert ok.status_code == 303 and ok.headers["location"].endswith("?done=1")
    entries = admin.get("/api/v1/audit", params={"entity": "installation"}).json()
    assert any(e["action"] == "site_check" and e["after"]["present"] for e in entries["items"])
    other = client.post(f"/installations/{foreign['id']}/check", data={"csrf_token": csrf_of(client), "tag": "x"})
    assert other.status_code == 404
