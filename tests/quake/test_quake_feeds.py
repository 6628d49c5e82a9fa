"""Catalogue feeds: parsing (USGS GeoJSON, QuakeML 1.2), refusing bad documents with a reason, and the
worker's poll against recorded feed files served by a local HTTP server (both database backends)."""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from tests.quake.conftest import FileServer
from typer.testing import CliRunner

from yingji.auth.scope import system_scope
from yingji.db import session_factory
from yingji.incidents.models import DutyItem, Incident
from yingji.quake.feeds import parse
from yingji.quake.feeds.models import FeedEarthquake
from yingji.quake.feeds.parse import FeedOrigin, FeedRefused
from yingji.quake.feeds.service import Feed, Trigger, poll
from yingji.quake.models import QuakeAssessment

FEEDS = Path(__file__).parent / "data" / "feeds"
NOW = dt.datetime(2025, 1, 7, 1, 20, tzinfo=dt.UTC)
DINGRI_COUNTY = "540223000000"
TRIGGER = Trigger(min_magnitude=4.5, max_distance_km=200.0, jurisdiction=None, step_deg=0.05)


# -- parsing -------------------------------------------------------------------------------------------


def test_usgs_geojson_gives_every_event_with_its_magnitude_type() -> None:
    parsed = parse.parse_geojson((FEEDS / "usgs_dingri.geojson").read_bytes(), "usgs")
    dingri = parsed.origins[0]
    assert (dingri.key, dingri.magnitude, dingri.magnitude_type, dingri.reported_type) == (
        "usgs:us6000pi9w",
        7.1,
        "Mw",
        "mww",
    )
    assert dingri.origin_time == dt.datetime(2025, 1, 7, 1, 5, 16, tzinfo=dt.UTC)
    assert (dingri.lon, dingri.lat, dingri.depth_km) == (87.3608, 28.6391, 10.0)
    assert len(parsed.origins) == 3 and not parsed.skipped


def test_quakeml_takes_the_preferred_origin_and_magnitude() -> None:
    parsed = parse.parse_quakeml((FEEDS / "cenc_dingri.quakeml").read_bytes(), "cenc")
    (origin,) = parsed.origins
    assert (origin.lon, origin.lat, origin.depth_km, origin.magnitude, origin.magnitude_type) == (
        87.45,
        28.5,
        10.0,
        6.8,
        "Ms",
    )
    assert origin.place == "西藏日喀则市定日县"


@pytest.mark.parametrize(
    ("document", "fmt", "reason"),
    [
        (b'{"type": "FeatureCollection", "features": [{"type": "Feat', "geojson", "not JSON"),
        (b'{"type": "Feature"}', "geojson", "not a GeoJSON FeatureCollection"),
        (b'{"type": "FeatureCollection", "features": {"a": 1}}', "geojson", "not a list"),
        (b"", "geojson", "empty"),
        (b"<q:quakeml xmlns:q='http://quakeml.org/xmlns/quakeml/1.2'><eventPar", "quakeml", "not well-formed"),
        (b"<rss><channel/></rss>", "quakeml", "not quakeml"),
        (b"x" * (parse.MAX_DOCUMENT_BYTES + 1), "geojson", "larger than"),
    ],
)
def test_bad_documents_are_refused_with_a_reason(document: bytes, fmt: str, reason: str) -> None:
    with pytest.raises(FeedRefused, match=reason):
        parse.parse_document(document, "x", fmt)  # type: ignore[arg-type]


def test_quakeml_entities_are_never_expanded_nor_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET")
    document = (
        f'<?xml version="1.0"?><!DOCTYPE q [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<q:quakeml xmlns:q="http://quakeml.org/xmlns/quakeml/1.2" xmlns="http://quakeml.org/xmlns/bed/1.2">'
        "<eventParameters><event publicID='e'><description><text>&x;</text></description></event>"
        "</eventParameters></q:quakeml>"
    ).encode()
    with pytest.raises(FeedRefused, match="DOCTYPE"):
        parse.parse_quakeml(document, "x")


def test_an_event_with_wrong_types_is_skipped_and_the_others_kept() -> None:
    data = json.loads((FEEDS / "usgs_dingri.geojson").read_bytes())
    data["features"][1]["properties"]["mag"] = "strong"
    data["features"][2]["geometry"]["coordinates"] = [True, 40.0]
    parsed = parse.parse_geojson(json.dumps(data).encode(), "usgs")
    assert [o.event_id for o in parsed.origins] == ["us6000pi9w"]
    assert len(parsed.skipped) == 2 and "magnitude" in parsed.skipped[0]


def _origin(**changes: object) -> FeedOrigin:
    values: dict[str, object] = dict(
        source="a",
        event_id="1",
        origin_time=NOW,
        lon=87.45,
        lat=28.5,
        depth_km=10.0,
        magnitude=6.8,
        magnitude_type="Ms",
        reported_type="Ms",
    )
    values.update(changes)
    return FeedOrigin(**values)  # type: ignore[arg-type]


@given(
    seconds=st.floats(-600, 600),
    dlon=st.floats(-3, 3),
    dmag=st.floats(-2, 2),
)
def test_same_event_is_symmetric_and_bounded_by_its_windows(seconds: float, dlon: float, dmag: float) -> None:
    a = _origin()
    b = _origin(source="b", origin_time=NOW + dt.timedelta(seconds=seconds), lon=87.45 + dlon, magnitude=6.8 + dmag)
    assert parse.same_event(a, b) == parse.same_event(b, a)
    if parse.same_event(a, b):
        assert abs(seconds) <= parse.SAME_EVENT_SECONDS and abs(dmag) <= parse.SAME_EVENT_MAGNITUDE
        assert parse.distance_km(a.lon, a.lat, b.lon, b.lat) <= parse.SAME_EVENT_KM


def test_a_small_change_is_not_a_revision_and_a_new_magnitude_is() -> None:
    assert not parse.is_revision(_origin(), _origin(lon=87.451))
    assert parse.is_revision(_origin(), _origin(magnitude=7.0))
    assert parse.is_revision(_origin(), _origin(lat=28.7))


# -- the worker against a local HTTP server ------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, bytes]]]:
    files = FileServer()
    yield files.url, files.files
    files.close()


def _poll(engine: Engine, feed: Feed) -> dict[str, int]:
    result = poll(
        factory=session_factory(engine), scope=system_scope("test-feed"), feed=feed, trigger=TRIGGER, clock=lambda: NOW
    )
    assert result.refused is None, result.refused
    return result.actions


def _count(engine: Engine, table: type) -> int:
    with session_factory(engine)() as s:
        return int(s.scalar(select(func.count()).select_from(table)) or 0)


def test_a_new_earthquake_is_assessed_opens_an_incident_and_reaches_the_duty_desk(
    engine: Engine, server: tuple[str, dict[str, bytes]]
) -> None:
    base, files = server
    files["/usgs.geojson"] = (FEEDS / "usgs_dingri.geojson").read_bytes()
    actions = _poll(engine, Feed("usgs", f"{base}/usgs.geojson", "geojson"))
    assert actions == {"assessed": 1, "out_of_area": 2}
    with session_factory(engine)() as s:
        quake = s.scalars(select(FeedEarthquake)).one()
        assessment = s.get(QuakeAssessment, quake.assessment_id)
        assert assessment is not None and assessment.inputs["via"] == "feed"
        incident = s.get(Incident, quake.incident_id)
        assert incident is not None and incident.incident_type == "earthquake"
        items = s.scalars(select(DutyItem).where(DutyItem.division_code == DINGRI_COUNTY)).all()
        assert len(items) == 1 and "地震自动触发评估" in items[0].summary and "usgs:us6000pi9w" in items[0].summary
    assert _poll(engine, Feed("usgs", f"{base}/usgs.geojson", "geojson")) == {"unchanged": 1, "out_of_area": 2}
    assert _count(engine, QuakeAssessment) == 1


def test_a_revised_magnitude_is_assessed_again_and_both_versions_are_kept(
    engine: Engine, server: tuple[str, dict[str, bytes]]
) -> None:
    base, files = server
    data = json.loads((FEEDS / "usgs_dingri.geojson").read_bytes())
    files["/usgs.geojson"] = json.dumps(data).encode()
    feed = Feed("usgs", f"{base}/usgs.geojson", "geojson")
    _poll(engine, feed)
    data["features"][0]["properties"]["mag"] = 6.8
    files["/usgs.geojson"] = json.dumps(data).encode()
    assert _poll(engine, feed)["revised"] == 1
    with session_factory(engine)() as s:
        quake = s.scalars(select(FeedEarthquake)).one()
        assert [v["magnitude"] for v in quake.versions] == [7.1, 6.8]
        first, second = (s.get(QuakeAssessment, v["assessment_id"]) for v in quake.versions)
        assert first is not None and second is not None and first.id != second.id
        assert first.incident_id == second.incident_id == quake.incident_id
        assert s.scalar(select(func.count()).select_from(Incident)) == 1


def test_the_same_earthquake_from_a_second_feed_is_merged(engine: Engine, server: tuple[str, dict[str, bytes]]) -> None:
    base, files = server
    files["/usgs.geojson"] = (FEEDS / "usgs_dingri.geojson").read_bytes()
    files["/cenc.xml"] = (FEEDS / "cenc_dingri.quakeml").read_bytes()
    _poll(engine, Feed("usgs", f"{base}/usgs.geojson", "geojson"))
    assert _poll(engine, Feed("cenc", f"{base}/cenc.xml", "quakeml")) == {"merged": 1}
    with session_factory(engine)() as s:
        quake = s.scalars(select(FeedEarthquake)).one()
        assert set(quake.reports) == {"usgs:us6000pi9w", "cenc:smi:cenc.test/event/CC20250107091"}
    assert _count(engine, QuakeAssessment) == 1


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"type": "FeatureCollection", "features": [', "not JSON"),
        (b"[1, 2, 3]", "not a GeoJSON FeatureCollection"),
        (b" " * (parse.MAX_DOCUMENT_BYTES + 10), "larger than"),
        (None, "HTTP 404"),
    ],
)
def test_a_bad_document_is_refused_with_a_logged_reason_and_changes_nothing(
    engine: Engine,
    server: tuple[str, dict[str, bytes]],
    caplog: pytest.LogCaptureFixture,
    body: bytes | None,
    reason: str,
) -> None:
    base, files = server
    if body is not None:
        files["/bad.geojson"] = body
    with caplog.at_level(logging.WARNING, logger="yingji.quake.feeds"):
        result = poll(
            factory=session_factory(engine),
            scope=system_scope("t"),
            feed=Feed("bad", f"{base}/bad.geojson", "geojson"),
            trigger=TRIGGER,
            clock=lambda: NOW,
        )
    assert result.refused is not None and reason in result.refused
    assert any(reason in r.getMessage() for r in caplog.records)
    assert _count(engine, FeedEarthquake) == 0 and _count(engine, QuakeAssessment) == 0


def test_cli_polls_once_and_prints_what_it_did(db_url: str, server: tuple[str, dict[str, bytes]]) -> None:
    from yingji.cli import app

    base, files = server
    files["/cenc.xml"] = (FEEDS / "cenc_dingri.quakeml").read_bytes()
    result = CliRunner().invoke(
        app,
        ["quake", "feeds", "--feed", f"cenc={base}/cenc.xml|quakeml", "--step", "0.05", "--once"],
        env={"YINGJI_DATABASE_URL": db_url, "YINGJI_REDIS_URL": ""},
    )
    assert result.exit_code == 0, result.output
    (summary,) = json.loads(result.output.strip().splitlines()[-1])
    assert summary["actions"] == {"assessed": 1} and summary["refused"] is None
