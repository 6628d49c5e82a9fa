"""Response-time metrics over plain records."""

from __future__ import annotations

import datetime as dt

import pytest

from yingji.errors import InvalidInput
from yingji.incidents.metrics import IncidentRecord, interval_seconds, response_times, summarise

T0 = dt.datetime(2026, 7, 1, 0, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)


def _record(
    kind: str = "flood",
    division: str = "110101",
    report_after: int = 10,
    verify_after: int | None = 30,
    exercise: bool = False,
) -> IncidentRecord:
    reported = T0 + report_after * MIN
    return IncidentRecord(
        incident_type=kind,
        division_code=division,
        occurred_at=T0,
        reported_at=reported,
        verified_at=None if verify_after is None else reported + verify_after * MIN,
        response_at=reported + 60 * MIN,
        closed_at=reported + 600 * MIN,
        exercise=exercise,
    )


def test_intervals_are_measured_from_occurrence_and_from_report() -> None:
    record = _record(report_after=10, verify_after=30)
    assert interval_seconds(record, "first_report") == 600
    assert interval_seconds(record, "verification") == 1800
    assert interval_seconds(record, "response") == 3600
    assert interval_seconds(record, "closure") == 36000


def test_missing_end_does_not_count() -> None:
    summary = response_times([_record(verify_after=None)], by=())[()]["verification"]
    assert summary.count == 0 and summary.median_s is None


def test_exercises_never_count() -> None:
    result = response_times([_record(report_after=10), _record(report_after=99, exercise=True)], by=())
    assert result[()]["first_report"].count == 1
    assert result[()]["first_report"].max_s == 600


def test_grouped_per_type_and_division() -> None:
    records = [_record("flood", "110101"), _record("flood", "110102"), _record("fire", "110101")]
    assert set(response_times(records)) == {("fire", "110101"), ("flood", "110101"), ("flood", "110102")}


def test_division_prefix_groups_counties_into_their_city() -> None:
    records = [_record("flood", "110101", report_after=10), _record("flood", "110102", report_after=20)]
    grouped = response_times(records, by=("division",), division_digits=4)
    assert list(grouped) == [("1101",)]
    assert grouped[("1101",)]["first_report"].mean_s == 900


def test_summary_statistics() -> None:
    summary = summarise([float(v) for v in range(1, 11)])
    assert (summary.count, summary.mean_s, summary.median_s, summary.p90_s, summary.max_s) == (10, 5.5, 5.5, 9, 10)


def test_negative_intervals_are_invalid_not_counted() -> None:
    summary = summarise([5.0, -1.0, None])
    assert (summary.count, summary.invalid) == (1, 1)


def test_unknown_group_field_is_refused() -> None:
    with pytest.raises(InvalidInput):
        response_times([], by=("status",))  # type: ignore[arg-type]
