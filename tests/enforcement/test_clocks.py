"""Penalty clocks on an injected day, at every boundary: the regime by filing day, calendar and working-day
periods, due-soon, overdue, met and late, extensions, the hearing notice, and the steps they allow."""

from __future__ import annotations

import datetime as dt

import pytest

from yingji.enforcement import clocks, penalty

D = dt.date
NEW, OLD = "aplaw2021-ws2026", "aplaw2021-ws2015"


def state(key: str, events: dict[str, dt.date], on: dt.date, regime: str = NEW, **kw: int) -> clocks.ClockState:
    found = clocks.evaluate(clocks.regime_by_id(regime), events, on, **kw)  # type: ignore[arg-type]
    return next(c for c in found if c.key == key)


def test_the_regime_follows_the_filing_day_across_the_2026_change() -> None:
    assert clocks.regime_for(D(2026, 1, 31))["id"] == OLD
    assert clocks.regime_for(D(2026, 2, 1))["id"] == NEW
    with pytest.raises(clocks.ClockError):
        clocks.regime_for(D(2021, 7, 14))


def test_every_clock_names_its_source_and_status() -> None:
    for regime in clocks.rules()["regimes"]:
        for clock in regime["clocks"]:
            assert clock["source"] and clock["status"] in ("V", "P", "U")


@pytest.mark.parametrize(
    ("on", "expected", "left"),
    [
        (D(2026, 3, 2), clocks.RUNNING, 90),
        (D(2026, 5, 27), clocks.RUNNING, 4),
        (D(2026, 5, 28), clocks.DUE_SOON, 3),  # warn_days = 3
        (D(2026, 5, 31), clocks.DUE_SOON, 0),  # the last day: filed 2026-03-02 + 90 days
        (D(2026, 6, 1), clocks.OVERDUE, -1),
    ],
)
def test_decision_clock_counts_90_calendar_days_from_filing(on: dt.date, expected: str, left: int) -> None:
    clock = state("decision", {"filed": D(2026, 3, 2)}, on)
    assert clock.due == D(2026, 5, 31) and clock.state == expected and clock.days_left == left


def test_a_decision_on_the_last_day_is_met_and_the_day_after_is_late() -> None:
    filed = {"filed": D(2026, 3, 2)}
    assert state("decision", {**filed, "decided": D(2026, 5, 31)}, D(2026, 7, 1)).state == clocks.MET
    assert state("decision", {**filed, "decided": D(2026, 6, 1)}, D(2026, 7, 1)).state == clocks.LATE


def test_cases_filed_before_february_2026_keep_the_earlier_limit_and_its_extensions() -> None:
    filed = {"filed": D(2026, 1, 30)}
    assert state("decision", filed, D(2026, 3, 1), OLD).due == D(2026, 3, 1)  # 30 days
    assert state("decision", filed, D(2026, 3, 2), OLD).state == clocks.OVERDUE
    extended = state("decision", filed, D(2026, 3, 2), OLD, extension_days=90)
    assert extended.due == D(2026, 4, 30) and extended.state == clocks.RUNNING


@pytest.mark.parametrize(
    ("notified", "last_day"),
    [
        (D(2026, 3, 6), D(2026, 3, 13)),  # Friday: Mon–Fri of the next week
        (D(2026, 3, 2), D(2026, 3, 9)),  # Monday: the weekend is skipped
        (D(2026, 3, 7), D(2026, 3, 13)),  # Saturday: counting starts Monday
    ],
)
def test_hearing_request_period_is_five_working_days(notified: dt.date, last_day: dt.date) -> None:
    events = {"filed": D(2026, 3, 1), "notified": notified}
    assert state("hearing_request", events, last_day).due == last_day
    assert state("hearing_request", events, last_day).state == clocks.DUE_SOON
    assert state("hearing_request", events, last_day + dt.timedelta(days=1)).state == clocks.OVERDUE


def test_a_listed_holiday_is_not_a_working_day() -> None:
    data = {**clocks.rules(), "holidays": [D(2026, 3, 10)]}
    cal = clocks.calendar(data)
    assert cal.add(D(2026, 3, 6), 5, "working") == D(2026, 3, 16)
    shifted = {**clocks.rules(), "workdays": [D(2026, 3, 7)]}
    assert clocks.calendar(shifted).add(D(2026, 3, 6), 5, "working") == D(2026, 3, 12)


def test_service_counts_seven_working_days_and_payment_fifteen_calendar_days() -> None:
    events = {"filed": D(2026, 3, 2), "decided": D(2026, 4, 1), "served": D(2026, 4, 3)}
    assert state("service", events, D(2026, 4, 3)).due == D(2026, 4, 10)  # Wed + 7 working days
    assert state("service", events, D(2026, 4, 3)).state == clocks.MET
    payment = state("payment", events, D(2026, 4, 18))
    assert payment.due == D(2026, 4, 18) and payment.state == clocks.DUE_SOON and payment.party
    assert state("payment", events, D(2026, 4, 19)).state == clocks.OVERDUE


def test_clocks_not_started_wait() -> None:
    assert state("service", {"filed": D(2026, 3, 2)}, D(2026, 3, 3)).state == clocks.WAITING


def test_hearing_notice_must_come_seven_working_days_before_the_hearing() -> None:
    events = {"filed": D(2026, 3, 2), "hearing_at": D(2026, 3, 20)}  # a Friday
    clock = state("hearing_notice", events, D(2026, 3, 5))
    assert clock.due == D(2026, 3, 11)
    assert state("hearing_notice", {**events, "hearing_notified": D(2026, 3, 11)}, D(2026, 3, 12)).state == clocks.MET
    assert state("hearing_notice", {**events, "hearing_notified": D(2026, 3, 12)}, D(2026, 3, 12)).state == clocks.LATE


# -- steps -----------------------------------------------------------------------------------------------


def move(state_: str, kind: str, on: dt.date, events: dict[str, dt.date], **kw: object) -> str:
    regime = clocks.regime_for(events["filed"])
    args = {"filed": events["filed"], "events": events, "last_step_on": max(events.values()), "regime": regime,
            "extensions_used": 0, "has_penalty_text": True, **kw}  # fmt: skip
    hearing_at = kw.pop("hearing_at", None) if "hearing_at" in kw else None
    args.pop("hearing_at", None)
    return penalty.next_state(state_, penalty.Step(kind, on, hearing_at), **args)  # type: ignore[arg-type]


def test_a_decision_waits_for_the_hearing_period_unless_waived() -> None:
    events = {"filed": D(2026, 3, 2), "investigating": D(2026, 3, 3), "notified": D(2026, 3, 6)}
    with pytest.raises(penalty.StepRefused, match="2026-03-13"):
        move("notified", "decide", D(2026, 3, 13), events)
    assert move("notified", "decide", D(2026, 3, 16), events) == "decided"
    waived = {**events, "hearing_waived": D(2026, 3, 9)}
    assert move("notified", "decide", D(2026, 3, 9), waived) == "decided"


def test_steps_follow_the_order_of_the_procedure() -> None:
    events = {"filed": D(2026, 3, 2)}
    with pytest.raises(penalty.StepRefused, match="cannot follow"):
        move("filed", "decide", D(2026, 3, 3), events)
    with pytest.raises(penalty.StepRefused, match="before the case was filed"):
        move("filed", "investigate", D(2026, 3, 1), events)
    with pytest.raises(penalty.StepRefused, match="proposed penalty"):
        move("investigating", "notify", D(2026, 3, 4), {**events, "investigating": D(2026, 3, 3)},
             has_penalty_text=False)  # fmt: skip


def test_a_late_hearing_notice_is_refused() -> None:
    events = {"filed": D(2026, 3, 2), "notified": D(2026, 3, 3), "hearing_requested": D(2026, 3, 4)}
    with pytest.raises(penalty.StepRefused, match="2026-03-11"):
        move("hearing", "hearing_notified", D(2026, 3, 12), events, hearing_at=D(2026, 3, 20))
    assert move("hearing", "hearing_notified", D(2026, 3, 11), events, hearing_at=D(2026, 3, 20)) == "hearing"


def test_the_new_rules_allow_no_extension_and_the_old_two() -> None:
    with pytest.raises(penalty.StepRefused, match="no \\(further\\) extension"):
        move("filed", "extend", D(2026, 3, 3), {"filed": D(2026, 3, 2)})
    assert move("filed", "extend", D(2025, 3, 3), {"filed": D(2025, 3, 2)}, extensions_used=1) == "filed"
    with pytest.raises(penalty.StepRefused):
        move("filed", "extend", D(2025, 3, 3), {"filed": D(2025, 3, 2)}, extensions_used=2)
