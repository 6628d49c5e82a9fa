"""Property (issue #17): any sequence of township reports, corrections and reviews keeps every ancestor's
total equal to the sum of its townships' latest accepted figures — checked through the service and the
database on both backends, against a model kept by the test."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from yingji.auth.scope import system_scope
from yingji.disasters import service
from yingji.disasters.schemas import EventIn, ReportIn, ReviewIn

TOWNSHIPS = ("540223001000", "540223002000", "540222001000", "540202001000")
SCOPE = system_scope("property-test")
steps = st.lists(
    st.tuples(
        st.sampled_from(TOWNSHIPS),
        st.integers(0, 10**6),
        st.integers(0, 500),
        st.sampled_from(["accept", "return", "leave"]),  # the county's decision, or none yet
    ),
    min_size=1,
    max_size=12,
)


def _ancestors(township: str) -> list[str]:
    # county, prefecture, province: the national root is no reporting level (as in `disaster rollup`)
    return [township[:n].ljust(12, "0") for n in (6, 4, 2)]


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps)
def test_totals_equal_the_sum_of_latest_accepted(session: Session, sequence: list[tuple[str, int, int, str]]) -> None:
    start = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    event = service.create_event(
        session=session,
        scope=SCOPE,
        event_in=EventIn(name="性质测试", kind="flood", division_code="540000000000", started_at=start),
    )
    latest: dict[str, dict[str, int]] = {}
    for township, affected, deaths, decision in sequence:
        figures = {"affected": affected, "deaths": deaths}
        report = service.submit_report(
            session=session,
            scope=SCOPE,
            event_id=event.id,
            report_in=ReportIn(township_code=township, report_type="follow_up", figures=figures, explanation="测试"),
        )
        if decision != "leave":
            reason = "" if decision == "accept" else "退回"
            review_in = ReviewIn(action=decision, reason=reason)
            service.review_report(session=session, scope=SCOPE, report_id=report.id, review_in=review_in)
        if decision == "accept":
            latest[township] = figures
    totals, _ = service.event_totals(session=session, scope=SCOPE, event_id=event.id)
    expected: dict[str, dict[str, int]] = {}
    for township, figures in latest.items():
        for code in (township, *_ancestors(township)):
            entry = expected.setdefault(code, {"affected": 0, "deaths": 0})
            entry["affected"] += figures["affected"]
            entry["deaths"] += figures["deaths"]
    assert set(totals) == set(expected)
    for code, figures in expected.items():
        assert {k: totals[code][k] for k in figures} == figures, code
        assert all(v == 0 for k, v in totals[code].items() if k not in figures)
    # the same totals summed in the database for the divisions asked (no entry for one without reports)
    asked = [*expected, "540000000000", "540223000000", "540225000000", "000000000000"]
    summed, levels = service.division_totals(session=session, scope=SCOPE, event_id=event.id, codes=asked)
    assert summed == {code: totals[code] for code in sorted(set(asked) & set(totals))}
    if "540000000000" in totals:
        assert levels == {"540000000000": service.response.relief_response(totals["540000000000"])}
