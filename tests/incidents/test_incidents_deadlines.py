"""Reporting deadlines with an injected clock (times in UTC unless said; China local = UTC+8)."""

from __future__ import annotations

import datetime as dt

import pytest

from yingji.errors import InvalidInput
from yingji.incidents.deadlines import (
    DueReport,
    ReportingFacts,
    ReportStatus,
    due_reports,
    overdue_reports,
)
from yingji.incidents.incident_types import IncidentType

UTC = dt.UTC
CST = dt.timezone(dt.timedelta(hours=8))
T0 = dt.datetime(2026, 7, 1, 1, 0, tzinfo=UTC)  # 09:00 local, Wednesday
H = dt.timedelta(hours=1)


def _by_key(facts: ReportingFacts, now: dt.datetime) -> dict[str, tuple[dt.datetime, ReportStatus]]:
    return {r.key: (r.due_at, r.status(now)) for r in due_reports(facts, now=now)}


def test_accident_unit_reports_to_county_within_one_hour() -> None:
    reports = _by_key(ReportingFacts(IncidentType.COAL_MINE, T0), now=T0)
    assert reports["unit_report"] == (T0 + H, ReportStatus.PENDING)


def test_accident_unit_hour_counts_from_when_the_unit_head_was_told() -> None:
    facts = ReportingFacts(IncidentType.COAL_MINE, T0, unit_informed_at=T0 + 3 * H)
    assert _by_key(facts, now=T0)["unit_report"][0] == T0 + 4 * H


def _overdue(facts: ReportingFacts, now: dt.datetime) -> list[DueReport]:
    return overdue_reports(due_reports(facts, now=now), now)


def test_accident_unit_report_overdue_just_after_the_hour() -> None:
    facts = ReportingFacts(IncidentType.FIRE, T0)
    assert [r.key for r in _overdue(facts, T0 + H)] == []
    assert [r.key for r in _overdue(facts, T0 + H + dt.timedelta(seconds=1))] == ["unit_report"]


def test_general_accident_goes_up_to_the_city_only() -> None:
    keys = _by_key(ReportingFacts(IncidentType.CONSTRUCTION, T0, grade="general"), now=T0)
    assert [k for k in keys if k.startswith("upward.")] == ["upward.county"]


def test_relatively_serious_accident_goes_up_to_the_province() -> None:
    keys = _by_key(ReportingFacts(IncidentType.CONSTRUCTION, T0, grade="relatively_serious"), now=T0)
    assert [k for k in keys if k.startswith("upward.")] == ["upward.county", "upward.municipal"]


def test_serious_accident_goes_up_level_by_level_two_hours_each() -> None:
    reports = _by_key(ReportingFacts(IncidentType.HAZARDOUS_CHEMICALS, T0, grade="serious"), now=T0)
    assert [reports[k][0] for k in ("upward.county", "upward.municipal", "upward.provincial")] == [
        T0 + 3 * H,
        T0 + 5 * H,
        T0 + 7 * H,
    ]


def test_upper_level_clock_starts_when_the_lower_level_reported() -> None:
    made = {"unit_report": T0 + dt.timedelta(minutes=20), "upward.county": T0 + H}
    facts = ReportingFacts(IncidentType.COAL_MINE, T0, grade="serious", reports_made=made)
    reports = _by_key(facts, now=T0 + H)
    assert reports["upward.county"] == (T0 + dt.timedelta(minutes=140), ReportStatus.DONE)
    assert reports["upward.municipal"][0] == T0 + 3 * H


def test_report_made_after_due_is_late() -> None:
    facts = ReportingFacts(IncidentType.COAL_MINE, T0, reports_made={"unit_report": T0 + 2 * H})
    assert _by_key(facts, now=T0 + 2 * H)["unit_report"][1] is ReportStatus.LATE


def test_serious_accident_follow_ups_twice_a_day() -> None:
    facts = ReportingFacts(IncidentType.COAL_MINE, T0, grade="serious")
    follow = [r.due_at for r in due_reports(facts, now=T0 + 30 * H) if r.kind == "follow_up"]
    assert follow == [T0 + 13 * H, T0 + 25 * H, T0 + 37 * H]  # through now, and the next one


def test_general_accident_follow_ups_daily_until_stabilised() -> None:
    facts = ReportingFacts(IncidentType.COAL_MINE, T0, grade="general", stabilised_at=T0 + 50 * H)
    follow = [r.due_at for r in due_reports(facts, now=T0 + 200 * H) if r.kind == "follow_up"]
    assert follow == [T0 + 25 * H, T0 + 49 * H]


@pytest.mark.parametrize(
    ("kind", "days"), [(IncidentType.ROAD_TRAFFIC, 7), (IncidentType.FIRE, 7), (IncidentType.COAL_MINE, 30)]
)
def test_casualty_update_window(kind: IncidentType, days: int) -> None:
    window = next(r for r in due_reports(ReportingFacts(kind, T0), now=T0) if r.kind == "casualty_update_window")
    assert window.due_at == T0 + dt.timedelta(days=days)
    assert window.status(T0 + dt.timedelta(days=days + 1)) is ReportStatus.WINDOW_CLOSED


def test_window_is_never_overdue() -> None:
    facts = ReportingFacts(IncidentType.ROAD_TRAFFIC, T0, reports_made={"unit_report": T0, "upward.county": T0})
    late = _overdue(facts, T0 + dt.timedelta(days=60))
    assert all(r.kind != "casualty_update_window" for r in late)


def test_disaster_initial_report_within_two_hours_and_up_the_chain() -> None:
    reports = _by_key(ReportingFacts(IncidentType.FLOOD, T0), now=T0)
    assert [reports[f"initial.{lvl}"][0] for lvl in ("county", "municipal", "provincial")] == [
        T0 + 2 * H,
        T0 + 4 * H,
        T0 + 6 * H,
    ]


def test_ten_dead_and_missing_county_reports_directly_to_province_and_nation() -> None:
    assert "direct.national" not in _by_key(ReportingFacts(IncidentType.EARTHQUAKE, T0, deaths_and_missing=9), T0)
    reports = _by_key(ReportingFacts(IncidentType.EARTHQUAKE, T0, deaths_and_missing=10), T0)
    assert reports["direct.provincial"][0] == reports["direct.national"][0] == T0 + 2 * H


def test_daily_zero_reports_while_responding_at_local_clock_times() -> None:
    started = dt.datetime(2026, 7, 1, 14, 0, tzinfo=CST)
    settled = dt.datetime(2026, 7, 3, 8, 0, tzinfo=CST)
    facts = ReportingFacts(IncidentType.TYPHOON, T0, response_started_at=started, stabilised_at=settled)
    county = [r.due_at for r in due_reports(facts, now=settled + 100 * H) if r.key.startswith("follow_up.county")]
    # the report of 4 July covers 3 July, when the response still ran until 08:00
    assert county == [dt.datetime(2026, 7, d, 9, 0, tzinfo=CST) for d in (2, 3, 4)]
    province = [r for r in due_reports(facts, now=settled) if r.key.startswith("follow_up.provincial")]
    assert province[0].due_at == dt.datetime(2026, 7, 2, 12, 0, tzinfo=CST)


def test_no_daily_reports_without_a_response() -> None:
    assert all(r.kind != "follow_up" for r in due_reports(ReportingFacts(IncidentType.FLOOD, T0), now=T0 + 72 * H))


def test_drought_follow_ups_every_ten_days() -> None:
    facts = ReportingFacts(IncidentType.DROUGHT, T0)
    dues = [r.due_at for r in due_reports(facts, now=T0 + dt.timedelta(days=25)) if r.kind == "drought_follow_up"]
    assert dues == [T0 + dt.timedelta(days=d) for d in (10, 20, 30)]


def test_verified_reports_count_working_days_after_stabilisation() -> None:
    settled = dt.datetime(2026, 7, 3, 16, 0, tzinfo=CST)  # Friday
    facts = ReportingFacts(IncidentType.FLOOD, T0, stabilised_at=settled)
    reports = _by_key(facts, now=settled)
    assert reports["verified.county"][0] == dt.datetime(2026, 7, 8, 0, 0, tzinfo=CST)  # end of Tue 7 July
    assert reports["verified.provincial"][0] == dt.datetime(2026, 7, 11, 0, 0, tzinfo=CST)  # end of Fri 10 July


def test_holidays_do_not_count_as_working_days() -> None:
    settled = dt.datetime(2026, 7, 3, 16, 0, tzinfo=CST)
    facts = ReportingFacts(IncidentType.FLOOD, T0, stabilised_at=settled)
    reports = {r.key: r for r in due_reports(facts, now=settled, holidays=frozenset({dt.date(2026, 7, 6)}))}
    assert reports["verified.county"].due_at == dt.datetime(2026, 7, 9, 0, 0, tzinfo=CST)


def test_every_due_report_cites_its_source() -> None:
    facts = ReportingFacts(
        IncidentType.EARTHQUAKE, T0, deaths_and_missing=20, response_started_at=T0, stabilised_at=T0 + 48 * H
    )
    for report in due_reports(facts, now=T0 + 100 * H):
        assert report.document and report.clause and report.source_status in {"V", "P", "U"}


def test_other_incidents_owe_no_reports() -> None:
    assert due_reports(ReportingFacts(IncidentType.OTHER, T0), now=T0) == []


def test_naive_times_are_refused() -> None:
    with pytest.raises(InvalidInput, match="occurred_at"):
        ReportingFacts(IncidentType.FLOOD, dt.datetime(2026, 7, 1, 9, 0))
    with pytest.raises(InvalidInput, match="now"):
        due_reports(ReportingFacts(IncidentType.FLOOD, T0), now=dt.datetime(2026, 7, 1, 9, 0))


def test_as_dict_reports_status_at_now() -> None:
    report = due_reports(ReportingFacts(IncidentType.FLOOD, T0), now=T0)[0]
    assert report.as_dict(T0 + 3 * H)["status"] == "overdue"
