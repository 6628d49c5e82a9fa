"""Reading parsing: timestamps, JSON single/batch, compact form, dead letters; fuzzing never crashes."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from yingji.monitoring.clock import format_timestamp, parse_timestamp
from yingji.monitoring.readings import DeadLetter, Reading, parse_payload, parse_rows, split


def test_timestamp_without_offset_is_china_time() -> None:
    assert parse_timestamp("2026-07-01T08:00:00") == parse_timestamp("2026-07-01T00:00:00+00:00")


def test_output_timestamps_carry_the_offset() -> None:
    assert format_timestamp(parse_timestamp("2026-07-01T00:00:00Z")) == "2026-07-01T08:00:00+08:00"
    assert format_timestamp(parse_timestamp("2026-07-01T08:00:00.250")) == "2026-07-01T08:00:00.250+08:00"


def test_single_json_reading() -> None:
    items = parse_payload(b'{"sensor_id": "M1-CH4-01", "ts": "2026-07-01T08:00:00", "value": 0.42}')
    assert items == [Reading("M1-CH4-01", parse_timestamp("2026-07-01T08:00:00"), 0.42)]


def test_json_batch_keeps_good_rows_and_dead_letters_bad_ones() -> None:
    payload = json.dumps(
        {
            "readings": [
                {"sensor_id": "A", "ts": "2026-07-01T08:00:00", "value": 1},
                {"sensor_id": "A", "ts": "yesterday", "value": 1},
                {"sensor_id": "A", "ts": "2026-07-01T08:00:00", "value": "NaN"},
                {"sensor_id": "A", "ts": "2026-07-01T08:00:00"},
            ]
        }
    )
    readings, dead = split(parse_payload(payload))
    assert len(readings) == 1
    assert [d.reason for d in dead] == ["bad_timestamp", "bad_value", "malformed"]


def test_compact_series_expands_to_regular_readings() -> None:
    items = parse_payload('{"s": "RG-001", "t0": "2026-07-01T08:00:00", "dt": 60, "v": [0.2, null, 1.4]}')
    t0 = parse_timestamp("2026-07-01T08:00:00")
    assert items == [Reading("RG-001", t0, 0.2), Reading("RG-001", t0 + 120_000, 1.4)]


def test_unknown_sensor_is_a_dead_letter_when_a_registry_is_given() -> None:
    items = parse_payload('{"sensor_id": "Z9", "ts": "2026-07-01T08:00:00", "value": 1}', registry={"A"})
    assert isinstance(items[0], DeadLetter) and items[0].reason == "unknown_sensor"


def test_empty_batch_is_a_dead_letter() -> None:
    assert [d.reason for d in parse_payload("[]")] == ["empty"]  # type: ignore[union-attr]


def test_csv_rows_with_wrong_column_count_are_malformed() -> None:
    items = list(parse_rows([["A", "2026-07-01T08:00:00"], ["A", "2026-07-01T08:00:00", "1"]]))
    assert isinstance(items[0], DeadLetter) and isinstance(items[1], Reading)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_fuzzed_bytes_never_crash_and_garbage_is_dead_lettered(payload: bytes) -> None:
    items = parse_payload(payload)
    assert items and all(isinstance(i, Reading | DeadLetter) for i in items)
    try:
        json.loads(payload)
    except ValueError:
        assert all(isinstance(i, DeadLetter) for i in items)


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=30),
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(
            st.sampled_from(["sensor_id", "ts", "value", "s", "t0", "dt", "v", "readings", "x"]), inner, max_size=5
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
def test_fuzzed_json_never_crashes_and_every_input_is_accounted_for(value: object) -> None:
    items = parse_payload(json.dumps(value))
    assert items  # every payload yields readings or dead letters, never nothing
    for item in items:
        if isinstance(item, Reading):
            assert isinstance(item.ts, int) and item.value == item.value


@settings(max_examples=200, deadline=None)
@given(st.lists(json_values, max_size=4))
def test_column_parsing_equals_item_parsing(values: list[object]) -> None:
    from yingji.monitoring.readings import parse_columns

    payloads = [json.dumps(v).encode() for v in values]
    items = [item for p in payloads for item in parse_payload(p)]
    readings, dead = split(items)
    columns = parse_columns(payloads)
    assert list(zip(columns.sensor_ids, columns.ts, columns.values, strict=True)) == [
        (r.sensor_id, r.ts, r.value) for r in readings
    ]
    assert [d.reason for d in columns.dead] == [d.reason for d in dead]


def test_timestamps_outside_1970_to_2199_are_dead_letters() -> None:
    items = parse_payload(
        '[{"sensor_id": "A", "ts": "1969-12-31T00:00:00", "value": 1.0},'
        ' {"sensor_id": "A", "ts": "9999-01-01T00:00:00", "value": 1.0}]'
    )
    assert [getattr(i, "reason", None) for i in items] == ["bad_timestamp", "bad_timestamp"]
