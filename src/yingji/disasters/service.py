"""Disaster statistics operations that need the division tree (the roll-up of a reports file)."""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope, system_scope
from yingji.db import utcnow
from yingji.disasters import (
    exports,
    plausibility,
    regime,
    response,
    review,
    rollup,
    tables,
    validation,
)
from yingji.disasters.models import DisasterEvent, DisasterReport, DisasterStabilisedDay
from yingji.disasters.schemas import CountyStabilisedRead, EventIn, EventRead, ReportIn, ReportType, ReviewIn
from yingji.disasters.stabilised import service as stabilised
from yingji.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound
from yingji.geo import service as geo_service
from yingji.geo.codes import code_range, level_of, prefix
from yingji.incidents import service as incidents_service
from yingji.incidents.schemas import FiguresIn

READ, REPORT, REVIEW = "disasters:read", "disasters:report", "disasters:review"


@dataclass(frozen=True)
class RollupResult:
    totals: dict[str, dict[str, int]]
    errors: list[str]
    warnings: list[str]


def township_chains(*, session: Session, scope: Scope, codes: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each code's ancestors (parent first, up to the root the tree holds), and a reason for each code that
    is not a township the caller may read."""
    chains: dict[str, list[str]] = {}
    refused: dict[str, str] = {}
    for code in codes:
        try:
            division = geo_service.get(session=session, scope=scope, code=code)
        except NotFound:
            refused[code] = f"division {code} is not a loaded division"
            continue
        if division.level != "township":
            refused[code] = f"division {code} is a {division.level}, not a township"
            continue
        # county, prefecture and province: the statistical hierarchy (the national root is no reporting level)
        chains[code] = [
            a.code for a in geo_service.ancestors(session=session, scope=scope, code=code) if a.level != "country"
        ]
    return chains, refused


def rollup_csv(*, session: Session, scope: Scope, text: str) -> RollupResult:
    """Roll a reports CSV up the tree. Any error (shape, repetition, unknown township) leaves no totals;
    the regime's cross-field rules only warn, each naming the line, the rule and the figures."""
    rows, errors = rollup.parse_reports_csv(text)
    chains, refused = township_chains(session=session, scope=scope, codes=[r.division for r in rows])
    errors += [f"line {r.line}: {refused[r.division]}" for r in rows if r.division in refused]
    if errors:
        errors.sort(key=lambda e: int(e.split(":", 1)[0].removeprefix("line ")))
        return RollupResult({}, errors, [])
    rules = regime.default_regime().rules
    warnings = [
        f"line {r.line}: {r.division}: rule {f.rule}: {f.message}"
        for r in rows
        for f in validation.check_figures(r.figures, rules)
    ]
    totals = rollup.rollup({r.division: r.figures for r in rows}, chains, rollup.CSV_FIELDS)
    return RollupResult(totals, [], warnings)


# -- events ------------------------------------------------------------------------------------------


def create_event(*, session: Session, scope: Scope, event_in: EventIn) -> DisasterEvent:
    """Declare an event over a division of the caller's subtree."""
    scope.require(REPORT)
    division = geo_service.get(session=session, scope=scope, code=event_in.division_code)
    scope.require_write(division.code, "division")
    if event_in.glide and session.scalar(
        select(DisasterEvent.id).where(
            DisasterEvent.glide == event_in.glide, scope.where_readable(DisasterEvent.division_code)
        )
    ):
        raise Conflict(f"an event with GLIDE number {event_in.glide} exists", field="glide")
    if event_in.incident_id is not None:  # linking needs the right to change the incident's figures
        incidents_service.get_for_change(session=session, scope=scope, incident_id=event_in.incident_id)
    event = DisasterEvent(**event_in.model_dump(), created_by=scope.actor)
    audit.created(session, scope, event, entity="disaster_event", division_code=event.division_code)
    return event


def get_event(*, session: Session, scope: Scope, event_id: int) -> DisasterEvent:
    """An event the caller may read: declared in its subtree, on its ancestor chain (404 otherwise)."""
    return access.get_readable(
        session=session, scope=scope, model=DisasterEvent, row_id=event_id, what="disaster event", permission=READ
    )


def set_stabilised(
    *, session: Session, scope: Scope, event_id: int, on: dt.date, now: dt.datetime | None = None
) -> DisasterEvent:
    """Record the day (北京时间) the disaster stabilised, from which the verified reports (核报) are due. A county
    bureau's call records its own county's day (:func:`set_county_stabilised`); any other caller — the bureau of
    the event's division or one above it — sets the event-wide day, the day of every county of the event that
    records none of its own (a correction sets it again). Not before the event's start day, not after today."""
    scope.require(REPORT)
    event = get_event(session=session, scope=scope, event_id=event_id)
    county = stabilised.bureau_county(scope)
    if county is not None:
        set_county_stabilised(session=session, scope=scope, event_id=event_id, county_code=county, on=on, now=now)
        return event
    scope.require_write(event.division_code, "division")
    stabilised.check_day(event, on, now)
    before = audit.snapshot(event)
    event.stabilised_on = on
    audit.changed(session, scope, event, before, entity="disaster_event", action="stabilised",
                  division_code=event.division_code)  # fmt: skip
    return event


def set_county_stabilised(
    *, session: Session, scope: Scope, event_id: int, county_code: str, on: dt.date, now: dt.datetime | None = None
) -> DisasterStabilisedDay:
    """Record the day (北京时间) one county of the event stabilised: its townships' verified reports are due after
    it. Set by the county's bureau or a level above it (a county outside the caller's subtree, or not in the
    event's area, is not found); a correction sets it again. Not before the event's start day, not after today."""
    scope.require(REPORT)
    event = get_event(session=session, scope=scope, event_id=event_id)
    return stabilised.record_county_day(session=session, scope=scope, event=event, county_code=county_code, on=on,
                                        now=now)  # fmt: skip


def events_read(*, session: Session, scope: Scope, events: list[DisasterEvent]) -> list[EventRead]:
    """Events read (API, CLI) with the day stabilised as it applies to the caller and the counties' own days it
    covers."""
    days = stabilised.county_days(session=session, scope=scope, event_ids=[e.id for e in events])
    return [
        EventRead.model_validate(e).model_copy(
            update={
                "stabilised_on": stabilised.day_for(scope, e, days.get(e.id, {})),
                "stabilised_counties": [
                    CountyStabilisedRead(county_code=c, on=d) for c, d in days.get(e.id, {}).items()
                ],
            }
        )
        for e in events
    ]


def event_read(*, session: Session, scope: Scope, event: DisasterEvent) -> EventRead:
    return events_read(session=session, scope=scope, events=[event])[0]


def list_events(*, session: Session, scope: Scope) -> list[DisasterEvent]:
    scope.require(READ)
    stmt = select(DisasterEvent).where(scope.where_readable(DisasterEvent.division_code))
    return list(session.scalars(stmt.order_by(DisasterEvent.id.desc())))


# -- reports -----------------------------------------------------------------------------------------


def _check_figures(report_type: str, raw: dict[str, Any]) -> dict[str, int]:
    """Every figure a known indicator carried by this report type, and a non-negative integer."""
    reg = regime.default_regime()
    figures: dict[str, int] = {}
    for name, value in raw.items():
        try:
            indicator = reg.indicator(name)
        except KeyError:
            raise InvalidInput(f"unknown indicator {name!r}", field=f"figures.{name}") from None
        if report_type not in indicator.reports:
            raise InvalidInput(f"indicator {name} is not carried by a {report_type} report", field=f"figures.{name}")
        try:
            figures[name] = validation.parse_count(value, name)
        except validation.CountError as exc:
            raise InvalidInput(str(exc), field=f"figures.{name}") from None
    return figures


def _previous(session: Session, event_id: int, township: str) -> tuple[int, dict[str, Any]] | None:
    """The id and figures of the township's latest report for the event that was not returned (what a new one
    corrects); two columns, not the row (its findings and review trail are not needed)."""
    stmt = (
        select(DisasterReport.id, DisasterReport.figures)
        .where(
            DisasterReport.event_id == event_id,
            DisasterReport.township_code == township,
            DisasterReport.status != review.RETURNED,
        )
        .order_by(DisasterReport.id.desc())
        .limit(1)
    )
    row = session.execute(stmt).first()
    return (row[0], dict(row[1])) if row else None


def _plausibility(figures: dict[str, int], population: int | None) -> list[dict[str, Any]]:
    """Flags against the township's own population and housing stock, shown to the reviewer with the
    validation findings (the other evidence is judged on the totals: ``evidence.service``)."""
    checks = plausibility.default_checks()
    evidence = plausibility.division_evidence(population=population, household_size=checks.household_size)
    return [
        {"rule": f.check, "message": f.reason, "figures": f.figures, "kind": "plausibility"}
        for f in plausibility.flags(figures, evidence, checks)
    ]


def submit_report(*, session: Session, scope: Scope, event_id: int, report_in: ReportIn) -> DisasterReport:
    """A township's report (or a correction: a new row naming the report it corrects). Cross-field rules are
    stored as findings for the reviewer; a jump or drop beyond the ratio without explanation is refused."""
    scope.require(REPORT)
    event = get_event(session=session, scope=scope, event_id=event_id)
    # Code, level and population only: loading the Division rows (with their boundaries) was a fifth of a
    # report's cost (bench/disaster_stats.py).
    township_code, township_level, population = geo_service.facts(
        session=session, scope=scope, code=report_in.township_code
    )
    scope.require_write(township_code, "township")
    if township_level != "township":
        raise InvalidInput(f"division {township_code} is not a township", field="township_code")
    # the event's area by its code's shape (a readable event's division exists): one statement fewer per report
    if not township_code.startswith(prefix(event.division_code, level_of(event.division_code))):
        raise InvalidInput(f"township {township_code} is outside the event's area", field="township_code")
    figures = _check_figures(report_in.report_type, report_in.figures)
    rules = regime.default_regime().rules
    previous = _previous(session, event.id, township_code)
    jumps = validation.check_jump(previous[1] if previous else {}, figures, rules, explanation=report_in.explanation)
    if jumps:
        raise InvalidInput("; ".join(f"rule {f.rule}: {f.message}" for f in jumps), findings=[asdict(f) for f in jumps])
    report = DisasterReport(
        event_id=event.id,
        township_code=township_code,
        county_code=review.reviewer_division(township_code, "county"),
        report_type=report_in.report_type,
        figures=figures,
        explanation=report_in.explanation,
        findings=[asdict(f) for f in validation.check_figures(figures, rules)] + _plausibility(figures, population),
        status=review.SUBMITTED,
        reviews=[],
        corrects_id=previous[0] if previous else None,
        submitted_by=scope.actor,
        submitted_at=utcnow(),
    )
    audit.created(session, scope, report, entity="disaster_report", action="submit", division_code=township_code)
    return report


def get_report(*, session: Session, scope: Scope, report_id: int) -> DisasterReport:
    return access.get_covered(
        session=session,
        scope=scope,
        model=DisasterReport,
        row_id=report_id,
        what="disaster report",
        permission=READ,
        place="township_code",
    )


def list_reports(*, session: Session, scope: Scope, event_id: int, status: str | None = None) -> list[DisasterReport]:
    """Reports of the event in the caller's subtree (its review queue with ``status``), oldest first."""
    event = get_event(session=session, scope=scope, event_id=event_id)
    stmt = select(DisasterReport).where(
        DisasterReport.event_id == event.id, scope.where_covered(DisasterReport.township_code)
    )
    if status:
        stmt = stmt.where(DisasterReport.status == status)
    return list(session.scalars(stmt.order_by(DisasterReport.id)))


def _refusal(scope: Scope, report: DisasterReport) -> DomainError | None:
    """Why the caller may not review the report now (409: it awaits no review; 403: another level's turn)."""
    if report.status not in review.NEXT_LEVEL:
        return Conflict(f"report {report.id} is {report.status} and awaits no review")
    if not review.may_review(report.status, report.township_code, scope.division_code, national=not scope.prefix):
        return Forbidden(f"report {report.id} awaits review by the {review.NEXT_LEVEL[report.status]} level")
    return None


def _judge(scope: Scope, report: DisasterReport, review_in: ReviewIn) -> tuple[str, dict[str, Any]]:
    """The review on the row (not flushed): its level, and the row as it was (for the audit entry)."""
    before = audit.snapshot(report)
    level = review.NEXT_LEVEL[report.status]
    report.status = review.next_status(report.status, review_in.action)
    if review_in.action == "return":
        report.return_reason = review_in.reason
    entry = {"level": level, "action": review_in.action, "by": scope.actor, "at": utcnow().isoformat(),
             "reason": review_in.reason}  # fmt: skip
    report.reviews = [*report.reviews, entry]
    return level, before


def review_report(*, session: Session, scope: Scope, report_id: int, review_in: ReviewIn) -> DisasterReport:
    """Accept or return (with a reason) at the level the report waits for; other levels get 403."""
    scope.require(REVIEW)
    return _reviewed(session, scope, [get_report(session=session, scope=scope, report_id=report_id)], review_in)[0]


def review_reports(
    *, session: Session, scope: Scope, report_ids: list[int], review_in: ReviewIn, event_id: int | None = None
) -> list[DisasterReport | DomainError]:
    """A review queue's "accept (or return) selected": each report judged as :func:`review_report` judges it,
    with its own answer — the report reviewed, or the error its own review would have raised (404 outside the
    caller's subtree or unknown — or of another event than ``event_id`` when given —, 409, 403), that report left
    as it was. One read for the lot; the permission and a return's reason are checked for the whole request
    first."""
    scope.require(REVIEW)
    rows = access.covered_rows(scope, DisasterReport, READ, place="township_code")
    if event_id is not None:
        rows = rows.where(DisasterReport.event_id == event_id)
    found = {r.id: r for r in session.scalars(rows.where(DisasterReport.id.in_(report_ids)))}
    unknown = NotFound("disaster report not found")  # as get_report answers
    refused = {i: _refusal(scope, found[i]) if i in found else unknown for i in report_ids}
    reviewed = _reviewed(session, scope, [found[i] for i in report_ids if refused[i] is None], review_in)
    by_id = {r.id: r for r in reviewed}
    return [refused[i] or by_id[i] for i in report_ids]


def _reviewed(
    session: Session, scope: Scope, reports: list[DisasterReport], review_in: ReviewIn
) -> list[DisasterReport]:
    """Review ``reports`` (each read through the caller's scope), each audited; the linked incident synced once
    per event when a county accepts. Raises the first refusal (the single route's answer). The callers have
    required the permission."""
    if review_in.action == "return" and not review_in.reason.strip():
        raise InvalidInput("a returned report needs a reason", field="reason")
    for report in reports:
        if (refused := _refusal(scope, report)) is not None:
            raise refused
    judged = [(report, *_judge(scope, report, review_in)) for report in reports]
    session.flush()
    if review_in.action == "accept":
        for event_id in dict.fromkeys(r.event_id for r, level, _ in judged if level == "county"):
            sync_incident(session=session, scope=scope, event_id=event_id)
    for report, _, before in judged:
        audit.acted(session, scope, report, entity="disaster_report", action=review_in.action, before=before,
                    after=audit.snapshot(report), division_code=report.township_code)  # fmt: skip
    return [r for r, _, _ in judged]


# -- roll-ups ----------------------------------------------------------------------------------------


def latest_accepted(*, session: Session, scope: Scope, event_id: int) -> dict[str, dict[str, int]]:
    """Each township's latest report (by submission) that its county accepted, in the caller's subtree."""
    stmt = (
        select(DisasterReport.township_code, DisasterReport.figures)
        .where(
            DisasterReport.event_id == event_id,
            DisasterReport.status.in_(review.COUNTED),
            scope.where_covered(DisasterReport.township_code),
        )
        .order_by(DisasterReport.id)
    )
    latest: dict[str, dict[str, int]] = {}
    for township, figures in session.execute(stmt):
        latest[township] = dict(figures)
    return latest


def event_totals(*, session: Session, scope: Scope, event_id: int) -> tuple[dict[str, dict[str, int]], dict[str, Any]]:
    """Totals for each township and each ancestor the caller covers (each the sum of its townships' latest
    accepted figures), and the relief response level each covered province's totals trigger. Computed
    from the accepted rows at read time, so they are current as soon as an acceptance commits."""
    event = get_event(session=session, scope=scope, event_id=event_id)
    latest = latest_accepted(session=session, scope=scope, event_id=event.id)
    chains = {t: chain_of(t) for t in latest}
    fields = regime.default_regime().indicator_codes
    totals = rollup.rollup(latest, chains, fields)
    totals = {code: figures for code, figures in totals.items() if scope.covers(code)}
    levels = {c: response.relief_response(f) for c, f in totals.items() if level_of(c) == "province"}
    return totals, levels


def division_totals(
    *, session: Session, scope: Scope, event_id: int, codes: list[str]
) -> tuple[dict[str, dict[str, int]], dict[str, Any]]:
    """``event_totals`` for the given divisions only (those the caller covers that have an accepted report under
    them), summed in the database over each township's latest accepted report: one aggregate per division over
    its townships' rows on the (event, township, id) index, the latest of each picked in the same pass (a window,
    not a join back by id: half the time for a prefecture of 3,000 townships), for a reader that needs a few
    totals (a prefecture's board, a staleness check) and not every township's."""
    event = get_event(session=session, scope=scope, event_id=event_id)
    fields = regime.default_regime().indicator_codes
    totals: dict[str, dict[str, int]] = {}
    for code in dict.fromkeys(codes):
        if not scope.covers(code) or level_of(code) == "country":  # the root is no reporting level
            continue
        lo, hi = code_range(prefix(code, level_of(code)))
        newest_first = func.row_number().over(partition_by=DisasterReport.township_code,
                                              order_by=DisasterReport.id.desc())  # fmt: skip
        ranked = (
            select(DisasterReport.figures.label("figures"), newest_first.label("rank"))
            .where(
                DisasterReport.event_id == event.id,
                DisasterReport.township_code.between(lo, hi),
                DisasterReport.status.in_(review.COUNTED),
            )
            .subquery()
        )
        sums = [func.sum(ranked.c.figures[name].as_integer()) for name in fields]
        row = session.execute(select(func.count(), *sums).where(ranked.c.rank == 1)).one()
        if row[0]:
            totals[code] = {name: int(value or 0) for name, value in zip(fields, row[1:], strict=True)}
    totals = {code: totals[code] for code in sorted(totals)}
    levels = {c: response.relief_response(f) for c, f in totals.items() if level_of(c) == "province"}
    return totals, levels


def area_totals(*, session: Session, event: DisasterEvent) -> dict[str, int]:
    """The whole event area's totals (every township's latest accepted figures, all jurisdictions): for the
    linked incident, which the event's creator was allowed to change."""
    everyone = system_scope(actor="disasters")
    totals, _ = event_totals(session=session, scope=everyone, event_id=event.id)
    if event.division_code in totals:
        return totals[event.division_code]
    summed: dict[str, int] = {}
    for code, figures in totals.items():  # an event over the country: the provinces' sum
        if level_of(code) == "province":
            for name, value in figures.items():
                summed[name] = summed.get(name, 0) + value
    return summed


def incident_figures(totals: dict[str, int]) -> FiguresIn:
    """The incident figures the totals give (collapsed counts add severely damaged houses)."""
    graded = response.relief_figures(totals)
    return FiguresIn(
        deaths=graded.deaths,
        missing=graded.missing,
        injured=totals.get("injured"),
        relocated=graded.relocated,
        needing_assistance=graded.needing_assistance,
        collapsed_rooms=graded.collapsed_rooms,
        collapsed_households=graded.collapsed_households,
        direct_loss_cny=totals.get("direct_loss_cny"),
    )


def sync_incident(*, session: Session, scope: Scope, event_id: int) -> None:
    """Put the event area's accepted totals on the linked incident (its figure history names the event as the
    source; the incident re-grades). Done when a county accepts a report; the link was checked at creation,
    so the change is made under the event's name, with the reviewer in the actor."""
    event = session.get(DisasterEvent, event_id)
    if event is None or event.incident_id is None:
        return
    totals = area_totals(session=session, event=event)
    if not totals:
        return
    actor = system_scope(actor=f"disasters:event {event.id} ({scope.actor})")
    try:
        incident = incidents_service.get(session=session, scope=actor, incident_id=event.incident_id)
    except NotFound:
        return  # the incident was removed; the event keeps its own figures
    incidents_service.change_figures(
        session=session,
        scope=actor,
        incident_id=incident.id,
        version=incident.version,
        figures=incident_figures(totals),
        source=f"disaster statistics: event {event.id} ({event.name}), accepted township totals",
    )


def chain_of(township: str) -> list[str]:
    """The township's county, prefecture and province codes (from the code's shape). The national root is
    no reporting level and is left out, as in ``yingji disaster rollup``."""
    return [township[:n].ljust(12, "0") for n in (6, 4, 2)]


def not_reported(*, session: Session, scope: Scope, event_id: int, report_type: str) -> list[str]:
    """Townships of the event's area (in the caller's subtree) with no report of this type that was not
    returned."""
    event = get_event(session=session, scope=scope, event_id=event_id)
    area = geo_service.get(session=session, scope=scope, code=event.division_code)
    found = geo_service.descendants(session=session, scope=scope, code=area.code, level="township")
    townships = [d.code for d in found]
    reported = set(
        session.scalars(
            select(DisasterReport.township_code).where(
                DisasterReport.event_id == event.id,
                DisasterReport.report_type == report_type,
                DisasterReport.status != review.RETURNED,
            )
        )
    )
    return [t for t in townships if t not in reported]


def export_hxl(*, session: Session, scope: Scope, event_id: int) -> str:
    """The event's totals (what the caller covers) as HXL-tagged CSV."""
    totals, _ = event_totals(session=session, scope=scope, event_id=event_id)
    names = geo_service.names_of(session=session, codes=list(totals))
    return exports.hxl_csv(totals, {c: (names.get(c, ""), level_of(c)) for c in totals})


def export_sendai(*, session: Session, scope: Scope, event_id: int) -> dict[str, Any]:
    """The Sendai Framework indicators (targets A–D) of each division the caller covers in the totals."""
    totals, _ = event_totals(session=session, scope=scope, event_id=event_id)
    out: dict[str, Any] = {}
    for code, figures in totals.items():
        population = geo_service.get(session=session, scope=scope, code=code).population
        out[code] = exports.sendai(figures, population)
    return out


def export_xlsx(*, session: Session, scope: Scope, event_id: int) -> bytes:
    """The event's totals (what the caller covers) in the regime's table layout (万元 for money)."""
    event = get_event(session=session, scope=scope, event_id=event_id)
    totals, _ = event_totals(session=session, scope=scope, event_id=event.id)
    names = geo_service.names_of(session=session, codes=list(totals))
    divisions = {c: (names.get(c, ""), level_of(c)) for c in totals}
    return tables.export_workbook(regime.default_regime(), event.name, totals, divisions)


def import_xlsx(
    *,
    session: Session,
    scope: Scope,
    event_id: int,
    data: bytes | IO[bytes],
    report_type: ReportType,
    explanation: str = "",
) -> list[DisasterReport]:
    """Township rows of a workbook in the regime's layout as reports of ``report_type``, all or nothing:
    every problem (sheet, row, column) is collected, and one problem raises ``InvalidInput`` naming them all
    before anything is kept (the caller's transaction rolls back)."""
    scope.require(REPORT)
    event = get_event(session=session, scope=scope, event_id=event_id)
    try:
        rows, errors = tables.read_township_rows(data, regime.default_regime(), report_type)
    except tables.TableError as exc:
        raise InvalidInput(str(exc), field="file") from None
    reports: list[DisasterReport] = []
    if not errors:
        for row in rows:
            report_in = ReportIn(
                township_code=row.division, report_type=report_type, figures=row.figures, explanation=explanation
            )
            try:
                reports.append(submit_report(session=session, scope=scope, event_id=event.id, report_in=report_in))
            except DomainError as exc:
                errors.append(f"sheet {row.sheet}, row {row.row}, column A ({row.division}): {exc.detail}")
    if errors:
        shown = "; ".join(errors[:50]) + (f"; … and {len(errors) - 50} more" if len(errors) > 50 else "")
        raise InvalidInput(
            f"{len(errors)} problem(s), nothing imported: {shown}", field="file", problems=len(errors), lines=errors
        )
    return reports
