"""The earthquake assessment pages over real HTTP: the list and its form (CSRF, errors next to the fields),
the assessment page, the map's intensity layer — and no leak of another county's assessment."""

from __future__ import annotations

import re
from typing import Any

import pytest
from tests.conftest import LiveServer
from tests.web.test_pages import browser, csrf_of

OWN_QUAKE = {
    "lon": 87.45,
    "lat": 28.5,
    "depth_km": 10,
    "magnitude": 6.4,
    "step_deg": 0.05,
    "origin_time": "2025-01-07T01:05:16+00:00",
}
FOREIGN_QUAKE = {
    "lon": 87.75,
    "lat": 29.3,
    "depth_km": 10,
    "magnitude": 4.5,
    "step_deg": 0.02,
    "origin_time": "2025-01-09T01:00:00+00:00",
}
FORM = {"lon": "87.45", "lat": "28.5", "depth_km": "10", "magnitude": "5.5", "magnitude_type": "Ms"}


@pytest.fixture(scope="module")
def quakes(live: LiveServer) -> dict[str, Any]:
    own = live.client("dingri_duty").post("/api/v1/quake/assessments", json=OWN_QUAKE)
    foreign = live.client("lazi_duty").post("/api/v1/quake/assessments", json=FOREIGN_QUAKE)
    assert own.status_code == 201 and foreign.status_code == 201, (own.text, foreign.text)
    return {"own": own.json(), "foreign": foreign.json()}


def _count(live: LiveServer) -> int:
    return int(live.client("admin").get("/api/v1/quake/assessments").json()["total"])


def test_the_list_shows_the_own_assessment_and_not_the_foreign_one(live: LiveServer, quakes: dict[str, Any]) -> None:
    page = browser(live, "dingri_duty").get("/quake")
    assert page.status_code == 200
    assert f'href="/quake/{quakes["own"]["id"]}"' in page.text
    assert f'href="/quake/{quakes["foreign"]["id"]}"' not in page.text


def test_the_assessment_page_shows_map_tables_and_bars(live: LiveServer, quakes: dict[str, Any]) -> None:
    page = browser(live, "dingri_duty").get(f"/quake/{quakes['own']['id']}")
    assert page.status_code == 200
    for marker in (
        'id="quake-map"',
        'id="quake-exposure"',
        'id="quake-fatality-bars"',
        'id="quake-aftershocks"',
        'id="quake-deaths-range"',
        'id="quake-needs"',
        'id="quake-divisions"',
        "/static/quake.js",
    ):
        assert marker in page.text, marker
    assert re.search(r"https?://", page.text) is None
    divisions = page.text.split('id="quake-divisions"')[1].split("</table>")[0]
    assert "拉孜" not in divisions  # the neighbour's exposure row is not shown to 定日


def test_a_foreign_assessment_page_is_not_found(live: LiveServer, quakes: dict[str, Any]) -> None:
    r = browser(live, "dingri_duty").get(f"/quake/{quakes['foreign']['id']}")
    assert r.status_code == 404 and "quake-map" not in r.text


def test_the_intensity_layer_carries_only_readable_assessments(live: LiveServer, quakes: dict[str, Any]) -> None:
    layer = browser(live, "dingri_duty").get("/map/layers/intensity").json()
    hrefs = {f["properties"]["href"] for f in layer["features"]}
    assert f"/quake/{quakes['own']['id']}" in hrefs and f"/quake/{quakes['foreign']['id']}" not in hrefs
    assert all(f["geometry"]["type"] in ("Polygon", "MultiPolygon") for f in layer["features"])
    assert browser(live).get("/map/layers/intensity").status_code == 401


def test_the_intensity_layer_is_offered_on_the_map(live: LiveServer) -> None:
    page = browser(live, "dingri_duty").get("/")
    assert "/map/layers/intensity" in page.text


def test_running_from_the_form_needs_the_csrf_token(live: LiveServer) -> None:
    before = _count(live)
    client = browser(live, "dingri_duty")
    assert client.post("/quake", data=FORM).status_code in (403, 422)
    assert client.post("/quake", data={**FORM, "csrf_token": "guess"}).status_code == 403
    assert _count(live) == before


def test_form_errors_are_shown_next_to_the_fields(live: LiveServer) -> None:
    before = _count(live)
    client = browser(live, "dingri_duty")
    for field, value in (("magnitude", "9.9"), ("magnitude", "abc"), ("lon", ""), ("origin_time", "yesterday")):
        r = client.post("/quake", data={**FORM, field: value, "csrf_token": csrf_of(client)})
        assert r.status_code == 422, (field, value)
        assert re.search(rf'class="field-error"[^>]*data-field="{field}"', r.text), (field, value)
    assert _count(live) == before


def test_an_earthquake_not_reaching_the_county_is_refused_on_the_form(live: LiveServer) -> None:
    before = _count(live)
    client = browser(live, "dingri_duty")
    r = client.post(
        "/quake", data={**FORM, "lon": "87.75", "lat": "29.3", "magnitude": "4.5", "csrf_token": csrf_of(client)}
    )
    assert r.status_code == 404 and 'data-field="form"' in r.text
    assert _count(live) == before


def test_running_from_the_form_opens_the_new_assessment(live: LiveServer) -> None:
    client = browser(live, "dingri_duty")
    r = client.post(
        "/quake",
        data={**FORM, "origin_time": "2025-01-07T09:05", "create_incident": "on", "csrf_token": csrf_of(client)},
    )
    assert r.status_code == 303, r.text
    target = r.headers["location"]
    assert re.fullmatch(r"/quake/\d+", target)
    page = client.get(target)
    assert page.status_code == 200 and "/incidents/" in page.text
