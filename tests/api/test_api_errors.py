"""Errors are RFC 9457 problem details, with no internals, for every kind of bad input."""

from pathlib import Path

from tests.conftest import LiveServer, test_settings


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


def test_a_unique_violation_from_a_race_is_409_and_other_integrity_errors_stay_500(tmp_path: Path) -> None:
    """Two writers passing the same uniqueness check at once: the database stops the second, which is told
    to read again (409), not shown an internal error. Any other integrity error is a bug (500)."""
    import sqlite3

    import psycopg
    from fastapi.testclient import TestClient
    from sqlalchemy.exc import IntegrityError

    from yingji.app import create_app

    app = create_app(test_settings(f"sqlite:///{tmp_path / 'x.db'}"))
    errors = {
        "sqlite-unique": sqlite3.IntegrityError("UNIQUE constraint failed: response_plan_types.division_code"),
        "pg-unique": psycopg.errors.UniqueViolation("duplicate key value violates unique constraint"),
        "sqlite-null": sqlite3.IntegrityError("NOT NULL constraint failed: incidents.title"),
        "pg-fk": psycopg.errors.ForeignKeyViolation("insert or update violates foreign key constraint"),
    }

    @app.get("/raise/{kind}")
    def raise_it(kind: str) -> None:
        raise IntegrityError("INSERT …", {}, errors[kind])

    with TestClient(app, raise_server_exceptions=False) as client:
        for kind, status in (("sqlite-unique", 409), ("pg-unique", 409), ("sqlite-null", 500), ("pg-fk", 500)):
            r = client.get(f"/raise/{kind}")
            assert r.status_code == status, kind
            assert r.headers["content-type"].startswith("application/problem+json")
            assert "INSERT" not in r.text and "constraint" not in r.text  # no internals
