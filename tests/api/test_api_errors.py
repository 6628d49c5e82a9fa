"""Errors are RFC 9457 problem details, with no internals, for every kind of bad input."""

from tests.conftest import LiveServer


def test_nul_character_in_a_body_is_a_clear_422(live: LiveServer) -> None:
    r = live.client("dingri_duty").post("/api/v1/tokens", json={"name": "bad\x00name"})
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert "NUL" in r.json()["detail"]


def test_nul_character_in_a_login_form_is_not_a_server_error(live: LiveServer) -> None:
    r = live.client().post("/api/v1/auth/token", data={"username": "a\x00b", "password": "x"})
    assert r.status_code in (401, 422)


def test_nul_character_in_a_query_is_refused(live: LiveServer) -> None:
    r = live.client("dingri_duty").get("/api/v1/divisions?q=%00")
    assert r.status_code == 422 and r.json()["code"] == "invalid_input"


def test_unknown_route_is_a_problem_document(live: LiveServer) -> None:
    r = live.client().get("/api/v1/no-such-thing")
    assert r.status_code == 404 and r.json()["status"] == 404


def test_validation_error_names_the_field(live: LiveServer) -> None:
    r = live.client("dingri_duty").get("/api/v1/divisions", params={"limit": "many"})
    body = r.json()
    assert r.status_code == 422 and body["errors"][0]["loc"] == ["query", "limit"]
    assert "Traceback" not in r.text
