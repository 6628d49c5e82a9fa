"""Times near the calendar's limits are refused at the edge with a 422 naming the field and the range —
in bodies, query parameters and on the command line — and can never reach the database's UTC conversion
(where ``0001-01-01T00:00:00+14:00`` overflowed into a 500)."""

from __future__ import annotations

import datetime as dt
import itertools
import sys
from pathlib import Path

import pytest
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import StatementError
from tests.conftest import LiveServer, test_settings

from yingji import timerange
from yingji.db import UTCDateTime
from yingji.errors import InvalidInput

# 7 moments × 4 ways of writing the zone = 28 extreme inputs, all outside 1900-01-01 … 2200-01-01 UTC
# whatever the offset: both ends of Python's calendar, both sides of the accepted range.
MOMENTS = (
    "0001-01-01T00:00:00",
    "0001-01-02T12:00:00",
    "1000-06-15T12:00:00",
    "1899-12-31T00:00:00",
    "2200-01-01T23:00:00",
    "5000-01-01T00:00:00",
    "9999-12-31T23:59:59.999999",
)
ZONES = ("", "Z", "+14:00", "-12:00")
EXTREMES = [moment + zone for moment, zone in itertools.product(MOMENTS, ZONES)]
# Just inside the range, in the zones that move them closest to its ends.
EDGES_INSIDE = (
    "1900-01-01T00:00:00Z",
    "1900-01-01T14:00:00+14:00",
    "2199-12-31T23:59:59Z",
    "2199-12-31T11:59:59-12:00",
)
# Just outside.
EDGES_OUTSIDE = (
    "1899-12-31T23:59:59Z",
    "1900-01-01T13:59:59+14:00",
    "2200-01-01T00:00:00Z",
    "2199-12-31T12:00:00-12:00",
)


def _assert_range_problem(response: object, field: str, *, range_named: bool = True) -> None:
    import httpx

    assert isinstance(response, httpx.Response)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "invalid_input"
    assert any(error["loc"][-1] == field for error in body["errors"]), body
    if range_named:
        assert "1900-01-01" in body["detail"] and "2200-01-01" in body["detail"], body["detail"]
    assert "Traceback" not in response.text and "Overflow" not in response.text


def test_the_28_extreme_inputs_all_lie_outside_the_range() -> None:
    assert len(set(EXTREMES)) == 28
    for text in EXTREMES:
        with pytest.raises(timerange.TimeOutOfRange):
            timerange.check(dt.datetime.fromisoformat(text))


@pytest.mark.parametrize("text", EDGES_INSIDE)
def test_times_just_inside_the_range_are_accepted(text: str) -> None:
    assert timerange.check(dt.datetime.fromisoformat(text)) == dt.datetime.fromisoformat(text)


@pytest.mark.parametrize("text", EDGES_OUTSIDE)
def test_times_just_outside_the_range_are_refused(text: str) -> None:
    with pytest.raises(timerange.TimeOutOfRange):
        timerange.check(dt.datetime.fromisoformat(text))


def test_extreme_times_in_a_query_are_422_naming_the_parameter_and_the_range(live: LiveServer) -> None:
    client = live.client("admin")
    for text in EXTREMES:
        for path, field in (
            ("/api/v1/incidents", "since"),
            ("/api/v1/incidents", "until"),
            ("/api/v1/incidents/metrics", "since"),
            ("/api/v1/audit", "since"),
            ("/api/v1/alarms", "since"),
            ("/api/v1/alarms/fatigue", "since"),
            ("/api/v1/duty/shifts", "at"),
        ):
            _assert_range_problem(client.get(path, params={field: text}), field)


def test_extreme_times_in_a_body_are_422_naming_the_field(live: LiveServer) -> None:
    """An offset-less time is refused for its missing offset (still naming the field); one with an offset
    for lying outside the range, which the answer names."""
    client = live.client("dingri_duty")
    base = {"title": "时间边界", "incident_type": "flood", "divisions": ["540223000000"], "lon": 87.1, "lat": 28.6}
    for text in EXTREMES:
        for field in ("occurred_at", "unit_informed_at"):
            body = {"occurred_at": "2026-07-01T01:00:00+00:00", **base, field: text}
            response = client.post("/api/v1/incidents", json=body)
            _assert_range_problem(response, field, range_named=not text.endswith(MOMENTS))
    assert client.get("/api/v1/incidents", params={"q": "时间边界"}).json()["total"] == 0


def test_times_at_the_edges_of_the_range_are_stored_and_read_back(live: LiveServer) -> None:
    client = live.client("dingri_duty")
    for text, reported in (
        ("1900-01-01T14:00:00+14:00", "1900-01-01T00:00:01Z"),
        ("2199-12-31T11:59:59-12:00", "2199-12-31T23:59:59Z"),
    ):
        body = {
            "title": "时间边界内",
            "incident_type": "flood",
            "divisions": ["540223000000"],
            "lon": 87.1,  # inside 定日县 (tests/positions.py)
            "lat": 28.6,
            "occurred_at": text,
            "reported_at": reported,
        }
        response = client.post("/api/v1/incidents", json=body)
        assert response.status_code == 201, response.text
        stored = dt.datetime.fromisoformat(response.json()["occurred_at"])
        assert stored == dt.datetime.fromisoformat(text)


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
def test_the_database_column_refuses_a_time_outside_the_range_instead_of_overflowing(dialect: object) -> None:
    column = UTCDateTime()
    far = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=14)))
    with pytest.raises(InvalidInput, match="1900-01-01"):
        column.process_bind_param(far, dialect)  # type: ignore[arg-type]
    inside = dt.datetime(2026, 7, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert column.process_bind_param(inside, dialect) is not None  # type: ignore[arg-type]


def test_a_range_error_raised_while_binding_a_statement_is_answered_422(tmp_path: Path) -> None:
    """SQLAlchemy wraps an error raised by a column type in a StatementError; the app answers the domain
    error inside it, not a 500."""
    from fastapi.testclient import TestClient

    from yingji.app import create_app

    app = create_app(test_settings(f"sqlite:///{tmp_path / 'x.db'}"))

    @app.get("/raise")
    def raise_it() -> None:
        raise StatementError("bind", "SELECT …", {}, InvalidInput("the time must lie from 1900 …"))

    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/raise")
    assert response.status_code == 422 and response.json()["code"] == "invalid_input"
    assert "SELECT" not in response.text


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00"])
def test_the_cli_refuses_an_extreme_time_naming_the_option(
    text: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from yingji import cli

    argv = ["yingji", "incident", "deadlines", "--type", "flood", "--occurred-at", text]
    monkeypatch.setattr(sys, "argv", [*argv, "--now", "2026-07-01T10:30+08:00"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "--occurred-at" in err and "1900-01-01" in err


def test_a_schema_judges_times_read_from_requests_not_from_rows() -> None:
    """An old row holding a time outside the range still reads (the range guards what comes in)."""
    from yingji.incidents.schemas import FigureChangeRead

    far = dt.datetime(2500, 1, 1, tzinfo=dt.UTC)
    row = FigureChangeRead.model_validate({"id": 1, "at": far, "actor": "a", "source": "s", "changes": {}})
    assert row.at == far
    with pytest.raises(ValueError, match="1900-01-01"):
        FigureChangeRead.model_validate(
            {"id": 1, "at": "2500-01-01T00:00:00Z", "actor": "a", "source": "s", "changes": {}}
        )
