"""Information-reporting deadlines (信息报告时限) of an incident (pure; the clock is injected).

From the rules in ``standards/incident_reporting_deadlines.yaml`` an incident's facts (type, grade, times,
reports already made) give its due reports, each with a due time and source; at a moment ``now`` each is
``done``, ``late`` (done after its due time), ``pending`` or ``overdue``. A scheduler flags and escalates
the overdue ones; this module only computes.

* Production-safety accidents (Decree 493): unit → county regulator within 1 h of the unit head being told
  (Art. 9); each regulator level passes it up within 2 h of receiving it (Arts. 10–11), up to the level the
  grade names; 续报 1×/day (2×/day for 重大/特别重大) while the accident is handled; a 补报 window for
  casualty changes of 30 days (7 for road traffic and fire; Art. 13).
* Natural disasters (自然灾害情况统计调查制度): county → city within 2 h of the disaster, each level up within
  2 h; with ≥10 dead and missing the county also reports directly to the province and the nation; daily
  zero reports by 09:00/10:00/12:00 local while a response is active; drought 续报 every 10 days; 核报 within
  2/3/5 working days after the disaster stabilises.

An upper level "receives" a report when the level below made it, or — if not yet made — at the lower
level's due time (the latest lawful moment), so the whole chain has due times from the start.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources
from typing import Any

import yaml

from yingji.errors import InvalidInput
from yingji.incidents.incident_types import IncidentType, RuleFamily, family_of

LEVELS = ("unit", "county", "municipal", "provincial", "national")
MAX_RECURRING = 400  # safety cap on generated follow-ups of one kind


class ReportStatus(StrEnum):
    DONE = "done"
    LATE = "late"  # made, but after the due time
    PENDING = "pending"
    OVERDUE = "overdue"
    WINDOW_OPEN = "window_open"  # a window to re-report changes (补报), not a due report
    WINDOW_CLOSED = "window_closed"


@dataclass(frozen=True)
class DueReport:
    key: str  # stable name; the caller records the time a report was made under this key
    # unit_report | upward | initial | direct | follow_up | drought_follow_up | verified | casualty_update_window
    kind: str
    reporter: str  # level that reports (unit, county, municipal, provincial)
    recipient: str
    due_at: dt.datetime
    document: str
    clause: str
    source_status: str  # V/P/U
    done_at: dt.datetime | None = None

    @property
    def is_window(self) -> bool:
        return self.kind == "casualty_update_window"

    def status(self, now: dt.datetime) -> ReportStatus:
        if self.is_window:
            return ReportStatus.WINDOW_OPEN if now <= self.due_at else ReportStatus.WINDOW_CLOSED
        if self.done_at is not None:
            return ReportStatus.DONE if self.done_at <= self.due_at else ReportStatus.LATE
        return ReportStatus.PENDING if now <= self.due_at else ReportStatus.OVERDUE

    def as_dict(self, now: dt.datetime) -> dict[str, Any]:
        return {
            "key": self.key,
            "kind": self.kind,
            "reporter": self.reporter,
            "recipient": self.recipient,
            "due_at": self.due_at.isoformat(),
            "done_at": None if self.done_at is None else self.done_at.isoformat(),
            "status": self.status(now).value,
            "source": {"document": self.document, "clause": self.clause, "status": self.source_status},
        }


@dataclass(frozen=True)
class ReportingFacts:
    """What the deadlines depend on. All times timezone-aware.

    ``unit_informed_at``: accidents — when the unit head was told (defaults to ``occurred_at``).
    ``response_started_at`` / ``stabilised_at``: a response activated / the disaster or rescue stabilised
    (灾情稳定, 救援结束). ``reports_made``: report key → time made.
    """

    incident_type: IncidentType
    occurred_at: dt.datetime
    grade: str | None = None
    deaths_and_missing: int | None = None
    unit_informed_at: dt.datetime | None = None
    response_started_at: dt.datetime | None = None
    stabilised_at: dt.datetime | None = None
    reports_made: Mapping[str, dt.datetime] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in ("occurred_at", "unit_informed_at", "response_started_at", "stabilised_at"):
            _require_aware(getattr(self, name), name)
        for key, when in self.reports_made.items():
            _require_aware(when, f"reports_made[{key}]")


def _require_aware(value: dt.datetime | None, name: str) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        raise InvalidInput(f"{name} must be a timezone-aware time", parameter=name)


@cache
def deadline_rules() -> dict[str, Any]:
    """The packaged deadline rules (``standards/incident_reporting_deadlines.yaml``)."""
    text = resources.files("yingji.standards").joinpath("incident_reporting_deadlines.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


def _local_zone(rules: Mapping[str, Any]) -> dt.timezone:
    return dt.timezone(dt.timedelta(hours=float(rules["local_utc_offset_hours"])))


class _Builder:
    """Collects due reports, attaching the time each was made."""

    def __init__(self, facts: ReportingFacts) -> None:
        self.facts = facts
        self.reports: list[DueReport] = []

    def add(
        self,
        key: str,
        kind: str,
        reporter: str,
        recipient: str,
        due_at: dt.datetime,
        source: Mapping[str, Any],
        document: str,
    ) -> DueReport:
        report = DueReport(
            key=key,
            kind=kind,
            reporter=reporter,
            recipient=recipient,
            due_at=due_at,
            document=str(source.get("document", document)),
            clause=str(source.get("clause", "")),
            source_status=str(source.get("status", "U")),
            done_at=self.facts.reports_made.get(key),
        )
        self.reports.append(report)
        return report


def _received_at(report: DueReport) -> dt.datetime:
    """When the next level up received ``report``: when it was made, else its due time."""
    return report.done_at if report.done_at is not None else report.due_at


def _recurring(
    first: dt.datetime, step: dt.timedelta, until: dt.datetime | None, now: dt.datetime
) -> Iterator[dt.datetime]:
    """``first``, ``first + step``, … up to ``until`` (if given), through ``now`` and one beyond it."""
    due = first
    for _ in range(MAX_RECURRING):
        if until is not None and due > until:
            return
        yield due
        if due > now:
            return
        due += step


def _accident_reports(facts: ReportingFacts, rules: Mapping[str, Any], now: dt.datetime) -> list[DueReport]:
    spec = rules["production_safety"]
    document = str(spec["document"])
    build = _Builder(facts)
    informed = facts.unit_informed_at or facts.occurred_at
    unit = spec["unit_report"]
    previous = build.add(
        "unit_report",
        "unit_report",
        "unit",
        "county",
        informed + dt.timedelta(hours=unit["within_hours"]),
        unit,
        document,
    )
    upward = spec["upward"]
    top = upward["up_to_by_grade"].get(facts.grade) if facts.grade else upward["up_to_when_ungraded"]
    if top is None:
        raise InvalidInput(f"unknown grade {facts.grade!r}", parameter="grade")
    step = dt.timedelta(hours=upward["each_level_within_hours"])
    for lower, upper in itertools.pairwise(LEVELS[1:]):
        if LEVELS.index(upper) > LEVELS.index(top):
            break
        previous = build.add(f"upward.{lower}", "upward", lower, upper, _received_at(previous) + step, upward, document)
    follow = spec["follow_up"]
    per_day = int(follow["per_day_by_grade"].get(facts.grade or "general", 1))
    first_report = _received_at(build.reports[0])
    interval = dt.timedelta(hours=24 / per_day)
    for n, due in enumerate(_recurring(first_report + interval, interval, facts.stabilised_at, now), start=1):
        build.add(f"follow_up.{n}", "follow_up", "county", "municipal", due, follow, document)
    window = spec["casualty_update_window"]
    days = int(window["days_by_type"].get(facts.incident_type.value, window["days"]))
    build.add(
        "casualty_update_window",
        "casualty_update_window",
        "county",
        "municipal",
        facts.occurred_at + dt.timedelta(days=days),
        window,
        document,
    )
    return build.reports


def _add_working_days(day: dt.date, count: int, holidays: frozenset[dt.date]) -> dt.date:
    """The ``count``-th working day after ``day`` (Saturdays, Sundays and ``holidays`` do not count)."""
    current = day
    remaining = count
    while remaining > 0:
        current += dt.timedelta(days=1)
        if current.weekday() < 5 and current not in holidays:
            remaining -= 1
    return current


def _disaster_reports(
    facts: ReportingFacts, rules: Mapping[str, Any], now: dt.datetime, holidays: frozenset[dt.date]
) -> list[DueReport]:
    spec = rules["natural_disaster"]
    document = str(spec["document"])
    zone = _local_zone(rules)
    build = _Builder(facts)
    initial = spec["initial"]
    chain_source = {**initial, "status": initial.get("each_level_status", initial["status"])}
    previous = build.add(
        "initial.county",
        "initial",
        "county",
        "municipal",
        facts.occurred_at + dt.timedelta(hours=initial["county_within_hours"]),
        initial,
        document,
    )
    step = dt.timedelta(hours=initial["each_level_within_hours"])
    for lower, upper in (("municipal", "provincial"), ("provincial", "national")):
        previous = build.add(
            f"initial.{lower}", "initial", lower, upper, _received_at(previous) + step, chain_source, document
        )
    direct = spec["direct_report"]
    if (facts.deaths_and_missing or 0) >= int(direct["deaths_and_missing_at_least"]):
        for upper in direct["to"]:
            due = facts.occurred_at + dt.timedelta(hours=initial["county_within_hours"])
            build.add(f"direct.{upper}", "direct", "county", str(upper), due, direct, document)
    if facts.incident_type is IncidentType.DROUGHT:
        drought = spec["drought_follow_up"]
        every = dt.timedelta(days=int(drought["every_days"]))
        for n, due in enumerate(_recurring(facts.occurred_at + every, every, facts.stabilised_at, now), start=1):
            build.add(f"drought_follow_up.{n}", "drought_follow_up", "county", "municipal", due, drought, document)
    elif facts.response_started_at is not None:
        _daily_follow_ups(build, spec["daily_follow_up"], document, zone, facts, now)
    if facts.stabilised_at is not None:
        verified = spec["verified"]
        settled_day = facts.stabilised_at.astimezone(zone).date()
        for lower, upper in (("county", "municipal"), ("municipal", "provincial"), ("provincial", "national")):
            last_day = _add_working_days(settled_day, int(verified["working_days"][lower]), holidays)
            due = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone)  # end of day
            build.add(f"verified.{lower}", "verified", lower, upper, due, verified, document)
    return build.reports


def _daily_follow_ups(
    build: _Builder,
    spec: Mapping[str, Any],
    document: str,
    zone: dt.timezone,
    facts: ReportingFacts,
    now: dt.datetime,
) -> None:
    """24-hour zero reports: the report of local day D covers the previous day and is due on D at the
    level's clock time; one is due for every D whose covered day overlaps the response."""
    assert facts.response_started_at is not None
    start = facts.response_started_at.astimezone(zone)
    recipients = {"county": "municipal", "municipal": "provincial", "provincial": "national"}
    for level, clock in spec["local_deadline"].items():
        hour, minute = (int(part) for part in str(clock).split(":"))
        day = start.date() + dt.timedelta(days=1)
        for _ in range(MAX_RECURRING):
            covered_from = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(0, 0), tzinfo=zone)
            if facts.stabilised_at is not None and covered_from >= facts.stabilised_at:
                break
            due = dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)
            build.add(
                f"follow_up.{level}.{day.isoformat()}", "follow_up", level, recipients[level], due, spec, document
            )
            if due > now:
                break
            day += dt.timedelta(days=1)


def due_reports(
    facts: ReportingFacts,
    *,
    now: dt.datetime,
    rules: Mapping[str, Any] | None = None,
    holidays: frozenset[dt.date] = frozenset(),
) -> list[DueReport]:
    """Every report the incident owes (recurring ones through ``now`` and the next one), by due time.
    ``holidays``: public holidays for working-day counts (weekends never count)."""
    _require_aware(now, "now")
    rules = rules or deadline_rules()
    family = family_of(facts.incident_type)
    if family is RuleFamily.PRODUCTION_SAFETY:
        reports = _accident_reports(facts, rules, now)
    elif family in (RuleFamily.EARTHQUAKE, RuleFamily.NATURAL_DISASTER_RELIEF):
        reports = _disaster_reports(facts, rules, now, holidays)
    else:
        reports = []
    return sorted(reports, key=lambda r: (r.due_at, r.key))


def overdue_reports(reports: Iterable[DueReport], now: dt.datetime) -> list[DueReport]:
    """Of ``reports`` (see :func:`due_reports`), those not made by their due time, as of ``now``."""
    return [report for report in reports if report.status(now) is ReportStatus.OVERDUE]
