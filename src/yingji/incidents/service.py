"""Command operations: incidents, response, tasks, timeline, situation reports, organisations, reporting
deadlines, duty desk, metrics. Keyword-only, given a session and the caller's scope; never commit.

Jurisdiction: an incident covers one or more divisions (``incident_divisions``) and is visible to users of
each (their subtree, or an ancestor of theirs); it may be changed by users whose subtree holds one of
them. Anything else is "not found". Rows hanging off an incident (tasks, reports, timeline) follow it.

Optimistic locking: every change of an incident first *claims* it with
``UPDATE … SET version = v + 1 WHERE id = … AND version = v``; if no row matches, someone else changed it
since the caller read version ``v`` and :class:`StaleVersion` (409) carries the current state. On
PostgreSQL the second of two concurrent claims waits for the first to commit and then matches nothing; on
SQLite writers are serialised the same way. So concurrent edits never lose a write.
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from sqlalchemy import (
    Integer,
    Row,
    and_,
    bindparam,
    case,
    exists,
    extract,
    func,
    literal,
    not_,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session, defer, joinedload, lazyload
from sqlalchemy.orm.attributes import set_committed_value

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import is_postgres, paginate, utcnow
from yingji.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.geo.codes import code_range, prefix
from yingji.incidents import deadlines, duty, lifecycle, metrics, overrides, response_plans
from yingji.incidents.grading import Figures, grade_incident
from yingji.incidents.incident_types import IncidentType, RuleFamily, family_of
from yingji.incidents.lifecycle import IncidentStatus
from yingji.incidents.models import (
    Contact,
    DutyItem,
    DutyLogEntry,
    DutyShift,
    FigureChange,
    Incident,
    IncidentDivision,
    Notification,
    Organisation,
    ReportMade,
    ResponseAction,
    SituationReport,
    SituationReportRevision,
    Task,
    TimelineEntry,
)
from yingji.incidents.schemas import (
    ContactIn,
    DutyItemIn,
    DutyLogIn,
    FiguresIn,
    IncidentCreate,
    IncidentUpdate,
    OrganisationIn,
    ShiftIn,
    SituationReportIn,
    TaskCreate,
    TaskUpdate,
)

GRADING_FIELDS = frozenset(
    (
        "deaths",
        "missing",
        "serious_injuries",
        "direct_loss_cny",
        "provincial_gdp_cny",
        "magnitude",
        "population_density",
        "relocated",
        "needing_assistance",
        "collapsed_rooms",
        "collapsed_households",
        "drought_needing_assistance",
        "agricultural_population",
    )
)


class StaleVersion(Conflict):
    """The record changed since the caller read it; ``current`` is what it is now."""

    code = "stale_version"

    def __init__(self, detail: str, *, current: Any, current_version: int) -> None:
        super().__init__(detail, current_version=current_version)
        self.current = current


# -- jurisdiction ------------------------------------------------------------------------------------


def readable_clause(scope: Scope) -> Any:
    """SQL condition: the incident covers a division the caller may read."""
    if not scope.prefix:
        return Incident.id.is_not(None)
    return exists().where(IncidentDivision.incident_id == Incident.id, scope.where_readable(IncidentDivision.code))


def get(*, session: Session, scope: Scope, incident_id: int) -> Incident:
    scope.require("incidents:read")
    # The covered divisions come in the same query (the jurisdiction test needs them at once).
    incident = session.get(Incident, incident_id, options=[joinedload(Incident.divisions)])
    if incident is None or not scope.can_read_any(incident.division_codes):
        raise NotFound("incident not found")
    return incident


# An incident's columns with one row per covered division (the primary one among them).
_DETAIL = (
    select(*Incident.__table__.columns, IncidentDivision.code.label("covered_code"))
    .join(IncidentDivision, IncidentDivision.incident_id == Incident.id)
    .where(Incident.id == bindparam("incident_id"))
    .order_by(IncidentDivision.code)
)


def get_fields(*, session: Session, scope: Scope, incident_id: int) -> dict[str, Any]:
    """What :func:`get` reads, as a mapping of the incident's columns plus ``division_codes`` — one statement
    on the session's connection and no ORM object (the API's detail, read far more often than written)."""
    scope.require("incidents:read")
    rows = session.connection().execute(_DETAIL, {"incident_id": incident_id}).all()
    codes = [row.covered_code for row in rows]
    if not rows or not scope.can_read_any(codes):
        raise NotFound("incident not found")
    fields = dict(rows[0]._mapping)
    del fields["covered_code"]
    fields["division_codes"] = codes
    return fields


def _writable(scope: Scope, incident: Incident) -> None:
    scope.require("incidents:write")
    if scope.covers_any(incident.division_codes):
        return
    if scope.can_read_any(incident.division_codes):
        raise Forbidden("this incident belongs to a higher level and is read-only for you")
    raise NotFound("incident not found")


def get_for_change(*, session: Session, scope: Scope, incident_id: int) -> Incident:
    incident = get(session=session, scope=scope, incident_id=incident_id)
    _writable(scope, incident)
    return incident


def _claim(session: Session, incident: Incident, expected: int) -> None:
    """Take the optimistic lock: bump the version if it is still ``expected`` (see the module docstring)."""
    now = utcnow()
    result = session.execute(
        update(Incident)
        .where(Incident.id == incident.id, Incident.version == expected)
        .values(version=expected + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(incident)
        raise StaleVersion(
            f"incident {incident.id} changed since you read version {expected}; it is now version {incident.version}",
            current=incident,
            current_version=incident.version,
        )
    set_committed_value(incident, "version", expected + 1)
    set_committed_value(incident, "updated_at", now)


def _division_codes(session: Session, scope: Scope, codes: Sequence[str]) -> list[str]:
    """Normalised, existing, writable division codes (a foreign one is "not found")."""
    out: list[str] = []
    for raw in codes:
        division = division_service.get(session=session, scope=scope, code=raw)
        scope.require_write(division.code, "division")
        if division.code not in out:
            out.append(division.code)
    return out


def _check_area(session: Session, codes: Sequence[str], area: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Rings closed, polygon valid, within the incident's divisions (``geo.service.check_area``)."""
    if area is None:
        return None
    division_service.check_area(session=session, division_codes=codes, geometry=dict(area))
    return dict(area)


# -- timeline ----------------------------------------------------------------------------------------


def _timeline(
    session: Session,
    scope: Scope,
    incident: Incident,
    kind: str,
    text: str,
    data: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> TimelineEntry:
    entry = TimelineEntry(
        incident_id=incident.id,
        at=at or utcnow(),
        kind=kind,
        text=text,
        data=dict(data) if data is not None else None,
        actor=scope.actor,
    )
    session.add(entry)
    return entry


def add_timeline_entry(
    *,
    session: Session,
    scope: Scope,
    incident_id: int,
    kind: str,
    text: str,
    data: Mapping[str, Any] | None = None,
    at: dt.datetime | None = None,
) -> TimelineEntry:
    """Append to an incident's timeline (for any domain: a warning issued, a dispatch planned, …)."""
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    if not kind or not text:
        raise InvalidInput("a timeline entry needs a kind and a text", field="text")
    entry = _timeline(session, scope, incident, kind, text, data, at)
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="append",
        entity="incident_timeline",
        entity_id=entry.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        after=audit.snapshot(entry),
    )
    return entry


def timeline(
    *, session: Session, scope: Scope, incident_id: int, limit: int = 100, offset: int = 0
) -> tuple[list[TimelineEntry], int]:
    get(session=session, scope=scope, incident_id=incident_id)
    stmt = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
    return paginate(session, stmt, TimelineEntry.at, TimelineEntry.id, limit=limit, offset=offset)


# -- incidents ---------------------------------------------------------------------------------------


def _figures_dict(figures: FiguresIn) -> dict[str, Any]:
    return {k: v for k, v in figures.model_dump().items() if v is not None}


def _regrade(session: Session, scope: Scope, incident: Incident) -> None:
    """Recompute grade and recommended level from the figures (``grading.py``); record a recommendation
    when the recommended level changes."""
    figures = Figures(**{k: v for k, v in incident.figures.items() if k in GRADING_FIELDS})
    kind = IncidentType(incident.incident_type)
    family = family_of(kind)
    rule_set = None if family is RuleFamily.NONE else overrides.rule_set_for(session, family, incident.division_code)
    result = grade_incident(kind, figures, rule_set=rule_set)
    previous = incident.recommended_level
    incident.grade = result.grade
    incident.recommended_level = result.response_level
    incident.leading_government = result.leading_government
    incident.grading_basis = [rule.as_dict() for rule in result.basis]
    incident.rules_version = result.rules_version
    if result.response_level != previous:
        text = (
            f"grading recommends response level {result.response_level} ({result.grade or 'no grade'})"
            if result.response_level
            else "grading recommends no response level"
        )
        session.add(
            ResponseAction(
                incident_id=incident.id,
                action="recommend",
                level=result.response_level,
                previous_level=previous,
                reason=f"graded by {result.rules_version}",
                actor=scope.actor,
                at=utcnow(),
            )
        )
        _timeline(
            session,
            scope,
            incident,
            "grading",
            text,
            {"grade": result.grade, "level": result.response_level, "rules_version": result.rules_version},
        )


def create(*, session: Session, scope: Scope, incident_in: IncidentCreate, place_checked: bool = False) -> Incident:
    """A new incident. Its position and area must lie in its divisions (``geo.service``), unless the caller
    has placed it by its own rule (``place_checked``: an earthquake's epicentre and intensity outline, whose
    counties were chosen from the intensity field, may lie beyond them)."""
    scope.require("incidents:write")
    codes = _division_codes(session, scope, incident_in.divisions)
    now = utcnow()
    reported_at = incident_in.reported_at or now
    if incident_in.occurred_at > reported_at:
        raise InvalidInput("occurred_at must not be after reported_at", field="occurred_at")
    if not place_checked:
        division_service.check_position(session=session, division_codes=codes, lon=incident_in.lon,
                                        lat=incident_in.lat, what="incident position")
    incident = Incident(
        title=incident_in.title,
        incident_type=incident_in.incident_type.value,
        status=lifecycle.INITIAL_STATUS.value,
        exercise=incident_in.exercise,
        division_code=codes[0],
        lon=incident_in.lon,
        lat=incident_in.lat,
        area=_check_area(session, [] if place_checked else codes,
                         incident_in.area.model_dump() if incident_in.area else None),
        description=incident_in.description,
        occurred_at=incident_in.occurred_at,
        reported_at=reported_at,
        unit_informed_at=incident_in.unit_informed_at,
        status_reason="",
        figures=_figures_dict(incident_in.figures),
        grading_basis=[],
        version=1,
        created_by=scope.actor,
        created_at=now,
        updated_at=now,
    )
    incident.divisions = [IncidentDivision(code=c, is_primary=(c == codes[0])) for c in codes]
    session.add(incident)
    session.flush()
    label = "exercise " if incident.exercise else ""
    _timeline(
        session,
        scope,
        incident,
        "created",
        f"{label}incident reported: {incident.title}",
        {"divisions": codes, "title": incident.title, "exercise": bool(incident.exercise)},
    )
    if incident.figures:
        session.add(
            FigureChange(
                incident_id=incident.id,
                at=now,
                actor=scope.actor,
                source=incident_in.figures_source,
                changes={k: {"old": None, "new": v} for k, v in incident.figures.items()},
            )
        )
    _regrade(session, scope, incident)
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="create",
        entity="incident",
        entity_id=incident.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        after=audit.snapshot(incident),
    )
    return incident


class ListFilters(TypedDict, total=False):
    """What an incident list may be narrowed by, and the page (see :func:`_incident_page`)."""

    status: str | None
    incident_type: str | None
    division: str | None
    exercise: bool | None
    q: str | None
    since: dt.datetime | None
    until: dt.datetime | None
    open_only: bool
    limit: int
    offset: int


def list_incidents(*, session: Session, scope: Scope, **filters: Unpack[ListFilters]) -> tuple[list[Incident], int]:
    """Readable incidents, newest report first, and how many there are (see :func:`_list_statements`)."""
    page, count, params = _incident_page(session, scope, None, filters)
    rows = session.execute(page, params).all()
    return [row[0] for row in rows], _total(session, rows, count, params)


def list_incident_rows(
    *, session: Session, scope: Scope, fields: tuple[str, ...], **filters: Unpack[ListFilters]
) -> tuple[list[tuple[Any, ...]], int]:
    """The same page as :func:`list_incidents` as the values of the named columns (for the API's list, which
    serialises them as they come: no ORM objects to build)."""
    page, count, params = _incident_page(session, scope, fields, filters)
    # Columns, not objects: run on the session's connection, past the ORM's per-statement work.
    rows = session.connection().execute(page, params).all()
    return [tuple(row)[:-1] for row in rows], _total(session, rows, count, params)


def _total(session: Session, rows: Sequence[Any], count: Any, params: dict[str, Any]) -> int:
    """The total each row of a page carries in its last column (one round trip for both); counted on its
    own only for an empty page."""
    if rows:
        return int(rows[0][-1])
    return int(session.scalar(count, params) or 0)


def _incident_page(
    session: Session, scope: Scope, fields: tuple[str, ...] | None, filters: ListFilters
) -> tuple[Any, Any, dict[str, Any]]:
    """The page and count statements for this scope and these filters, and their parameters."""
    scope.require("incidents:read")
    limit, offset = filters.get("limit", 100), filters.get("offset", 0)
    params: dict[str, Any] = {"limit": limit, "offset": offset, "limit_offset": limit + offset}
    given: list[str] = []
    if scope.prefix:
        params["scope_low"], params["scope_high"] = code_range(scope.prefix)
        params.update({f"scope_ancestor_{i}": code for i, code in enumerate(scope.ancestors)})
    if division := filters.get("division"):
        found = division_service.get(session=session, scope=scope, code=division)
        params["division_low"], params["division_high"] = code_range(prefix(found.code, found.level))
        given.append("division")
    for name in ("status", "incident_type", "since", "until"):
        if value := filters.get(name):
            params[name] = value
            given.append(name)
    if q := filters.get("q"):
        params["title_like"] = f"%{q.strip()}%"
        given.append("q")
    if filters.get("open_only"):
        given.append("open_only")
    shape = _ListShape(
        fields=fields,
        ancestors=len(scope.ancestors) if scope.prefix else -1,
        given=tuple(given),
        exercise=filters.get("exercise"),
    )
    page, count = _list_statements(shape)
    return page, count, params


@dataclass(frozen=True)
class _ListShape:
    fields: tuple[str, ...] | None  # None: Incident objects
    ancestors: int  # how many ancestors the scope has; -1: a national scope
    given: tuple[str, ...]  # the filters given
    exercise: bool | None


@functools.lru_cache(maxsize=512)
def _list_statements(shape: _ListShape) -> tuple[Any, Any]:
    """The page and count statements of one shape of list, with bound parameters for every value.

    Built once per shape: building a statement this size and its cache key cost more than running it.
    The jurisdiction is tested in disjoint parts (:func:`_readable_parts`), each an index range of its
    own: the total is the sum of one count per part, the page the newest of each part's newest ids. On
    PostgreSQL both are index-only scans (``ix_incidents_division_reported`` for a jurisdiction's range,
    ``ix_incidents_reported_at_id`` newest first, each carrying the filtered columns); one condition joined
    by OR, or a semi-join on ``incident_divisions`` per row, scanned tens of thousands of rows.
    """
    filters: list[Any] = []
    if "division" in shape.given:
        low: Any = bindparam("division_low")
        high: Any = bindparam("division_high")
        code = IncidentDivision.code
        filters.append(exists().where(IncidentDivision.incident_id == Incident.id, code >= low, code <= high))
    if "status" in shape.given:
        filters.append(Incident.status == bindparam("status"))
    if "open_only" in shape.given:
        filters.append(Incident.status != "closed")
    if "incident_type" in shape.given:
        filters.append(Incident.incident_type == bindparam("incident_type"))
    if shape.exercise is not None:
        filters.append(Incident.exercise.is_(shape.exercise))
    if "q" in shape.given:
        filters.append(Incident.title.like(bindparam("title_like")))
    if "since" in shape.given:
        filters.append(Incident.reported_at >= bindparam("since"))
    if "until" in shape.given:
        filters.append(Incident.reported_at < bindparam("until"))
    parts = _readable_parts(shape.ancestors)
    counts = [select(func.count()).select_from(Incident).where(part, *filters).scalar_subquery() for part in parts]
    total = functools.reduce(operator.add, counts)
    newest = (Incident.reported_at.desc(), Incident.id.desc())
    limit, offset = bindparam("limit", type_=Integer), bindparam("offset", type_=Integer)
    if len(parts) == 1:
        page_ids = select(Incident.id).where(parts[0], *filters).order_by(*newest).limit(limit).offset(offset)
    else:
        branches = [
            select(Incident.id, Incident.reported_at)
            .where(part, *filters)
            .order_by(*newest)
            .limit(bindparam("limit_offset", type_=Integer))
            .subquery()
            for part in parts
        ]
        merged = union_all(*(select(b.c.id, b.c.reported_at) for b in branches)).subquery()
        by_newest = (merged.c.reported_at.desc(), merged.c.id.desc())
        page_ids = select(merged.c.id).order_by(*by_newest).limit(limit).offset(offset)
    picked = page_ids.subquery()
    if shape.fields is None:
        # The list shows the primary division only: the covered divisions load when a row is opened.
        # The JSON columns (figures, area, grading basis) are not part of a list row: they load when a row
        # is opened, which saves decoding them for every row of every page.
        page = select(Incident, total.label("total")).options(
            lazyload(Incident.divisions), defer(Incident.figures), defer(Incident.area), defer(Incident.grading_basis)
        )
    else:
        page = select(*(getattr(Incident, name) for name in shape.fields), total.label("total"))
    page = page.join(picked, picked.c.id == Incident.id).order_by(*newest)
    return page, select(total)


def _readable_parts(ancestors: int) -> list[Any]:
    """:func:`readable_clause` as disjoint conditions over bound codes (``scope_low``, ``scope_high``,
    ``scope_ancestor_<i>``), each served by an index range of its own: the incident's own division in the
    caller's subtree; its own division one of the caller's ancestors (one part each: an equality keeps the
    index's newest-first order, where IN would not); its own division elsewhere but another of its divisions
    readable (from the partial index of non-primary divisions, a small set)."""
    if ancestors < 0:
        return [Incident.id.is_not(None)]
    low: Any = bindparam("scope_low")
    high: Any = bindparam("scope_high")
    chain: list[Any] = [bindparam(f"scope_ancestor_{i}") for i in range(ancestors)]

    def readable(column: Any) -> Any:
        return or_(and_(column >= low, column <= high), *(column == code for code in chain))

    parts: list[Any] = [and_(Incident.division_code >= low, Incident.division_code <= high)]
    parts.extend(Incident.division_code == code for code in chain)
    secondary = select(IncidentDivision.incident_id).where(
        ~IncidentDivision.is_primary, readable(IncidentDivision.code)
    )
    parts.append(and_(Incident.id.in_(secondary), not_(readable(Incident.division_code))))
    return parts


def map_points(*, session: Session, scope: Scope, limit: int = 20_000) -> Sequence[Row[int, str | None, float, float]]:
    """Open incidents in scope as (id, grade, lon, lat), newest first: only what a map marker needs (its card
    is read when it is clicked), columns only, no ORM objects. At most ``limit`` rows: callers ask for one
    more to know whether the map leaves some out."""
    scope.require("incidents:read")
    readable, params = _readable_bound(scope)
    # 'closed' written into the statement, so that PostgreSQL proves the partial index of open incidents
    # (ix_incidents_open_reported, which carries these columns) even in a prepared statement's generic plan.
    stmt = (
        select(Incident.id, Incident.grade, Incident.lon, Incident.lat)
        .where(readable, Incident.status != literal("closed", literal_execute=True))
        .order_by(Incident.reported_at.desc(), Incident.id.desc())
        .limit(limit)
    )
    return session.execute(stmt, params).all()


def _readable_bound(scope: Scope) -> tuple[Any, dict[str, Any]]:
    """:func:`_readable_parts` joined by OR, with the values of its bound codes: the incident's own division
    is tested on its row and ``incident_divisions`` read only for its other divisions (a small partial
    index), where :func:`readable_clause` hashed every division row of a prefecture for each statement."""
    if not scope.prefix:
        return Incident.id.is_not(None), {}
    params = dict(zip(("scope_low", "scope_high"), code_range(scope.prefix), strict=True))
    params.update({f"scope_ancestor_{i}": code for i, code in enumerate(scope.ancestors)})
    return or_(*_readable_parts(len(scope.ancestors))), params


@dataclass(frozen=True)
class IncidentStatistics:
    """Real (not exercise) incidents reported since a day."""

    weeks: list[dict[str, int]]  # one per week from that day: incident type -> count
    by_status: dict[str, int]
    median_response_minutes: dict[str, float]  # by incident type, of those that responded


def statistics(
    *,
    session: Session,
    scope: Scope,
    since: dt.datetime,
    weeks: int,
    incident_type: str | None = None,
    division: str | None = None,
    until: dt.datetime | None = None,
) -> IncidentStatistics:
    """The statistics page's figures for ``weeks`` weeks from ``since``, counted by the database in two
    queries whatever the number of incidents or weeks: the counts grouped by week × type × status, and the
    median delay per type picked by rank. ``until`` (the end of the period), ``incident_type`` and
    ``division`` (a readable division: incidents covering it or a division below it) narrow the incidents
    counted."""
    scope.require("incidents:read")
    readable, params = _readable_bound(scope)
    real: tuple[Any, ...] = (readable, Incident.exercise.is_(False), Incident.reported_at >= since)
    if until is not None:
        real += (Incident.reported_at < until,)
    if incident_type:
        real += (Incident.incident_type == incident_type,)
    if division:
        found = division_service.get(session=session, scope=scope, code=division)
        low, high = code_range(prefix(found.code, found.level))
        code = IncidentDivision.code
        real += (exists().where(IncidentDivision.incident_id == Incident.id, code >= low, code <= high),)
    week = case(
        *((Incident.reported_at < since + dt.timedelta(weeks=w + 1), w) for w in range(weeks)), else_=None
    ).label("week")
    rows = select(week, Incident.incident_type, Incident.status).where(*real).subquery()
    grouped = select(rows.c.week, rows.c.incident_type, rows.c.status, func.count()).group_by(
        rows.c.week, rows.c.incident_type, rows.c.status
    )
    per_week: list[dict[str, int]] = [{} for _ in range(weeks)]
    by_status: dict[str, int] = {}
    for w, kind, status, n in session.execute(grouped, params):
        by_status[status] = by_status.get(status, 0) + n
        if w is not None:  # reported after the last week
            per_week[w][kind] = per_week[w].get(kind, 0) + n
    return IncidentStatistics(per_week, by_status, _median_response_minutes(session, real, params))


def _median_response_minutes(session: Session, real: tuple[Any, ...], params: dict[str, Any]) -> dict[str, float]:
    """Median minutes from report to response per incident type (of an even count, the upper middle one)."""
    if is_postgres(session):
        minutes = extract("epoch", Incident.response_at - Incident.reported_at) / 60.0
    else:  # SQLite keeps UTC text; julianday counts days
        minutes = (func.julianday(Incident.response_at) - func.julianday(Incident.reported_at)) * 1440.0
    ranked = (
        select(
            Incident.incident_type.label("kind"),
            minutes.label("minutes"),
            func.row_number().over(partition_by=Incident.incident_type, order_by=minutes).label("rank"),
            func.count().over(partition_by=Incident.incident_type).label("n"),
        )
        .where(*real, Incident.response_at.is_not(None))
        .subquery()
    )
    stmt = select(ranked.c.kind, ranked.c.minutes).where(ranked.c.rank == ranked.c.n // 2 + 1)
    return {kind: float(m) for kind, m in session.execute(stmt, params)}


def update_incident(*, session: Session, scope: Scope, incident_id: int, change: IncidentUpdate) -> Incident:
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    codes = _division_codes(session, scope, change.divisions) if change.divisions is not None else None
    _claim(session, incident, change.version)
    before = audit.snapshot(incident)
    fields = change.model_dump(exclude_unset=True, exclude={"version", "divisions", "area"})
    for name, value in fields.items():
        if value is None and name in ("title", "lon", "lat", "occurred_at", "description"):
            raise InvalidInput(f"{name} cannot be null", field=name)
        setattr(incident, name, value)
    final_codes = codes if codes is not None else incident.division_codes
    if "area" in change.model_fields_set:
        incident.area = _check_area(session, final_codes, change.area.model_dump() if change.area else None)
    if {"lon", "lat"} & fields.keys() or codes is not None:
        division_service.check_position(session=session, division_codes=final_codes, lon=incident.lon,
                                        lat=incident.lat, what="incident position")
    if incident.occurred_at > incident.reported_at:
        raise InvalidInput("occurred_at must not be after reported_at", field="occurred_at")
    if codes is not None:
        # Changing divisions must not take the incident out of the caller's own reach.
        if not scope.covers_any(codes):
            raise InvalidInput("the incident must keep at least one division of yours", field="divisions")
        current = {d.code: d for d in incident.divisions}
        incident.divisions = [current.get(c) or IncidentDivision(code=c) for c in codes]
        incident.division_code = codes[0]
        for covered in incident.divisions:
            covered.is_primary = covered.code == codes[0]
    changed = sorted(set(fields) | ({"divisions"} if codes is not None else set()))
    _timeline(session, scope, incident, "updated", f"details changed: {', '.join(changed) or 'nothing'}")
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="update",
        entity="incident",
        entity_id=incident.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        before=before,
        after=audit.snapshot(incident),
    )
    return incident


def change_figures(
    *,
    session: Session,
    scope: Scope,
    incident_id: int,
    version: int,
    figures: FiguresIn,
    source: str,
    at: dt.datetime | None = None,
) -> Incident:
    """Set the given figures (``null`` fields are left alone), keep the change with time and source, and
    re-grade."""
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    given = _figures_dict(figures)
    _claim(session, incident, version)
    before = audit.snapshot(incident)
    current = dict(incident.figures)
    changes = {k: {"old": current.get(k), "new": v} for k, v in given.items() if current.get(k) != v}
    current.update(given)
    incident.figures = current
    when = at or utcnow()
    if changes:
        session.add(FigureChange(incident_id=incident.id, at=when, actor=scope.actor, source=source, changes=changes))
        described = ", ".join(f"{k} {c['old']}→{c['new']}" for k, c in changes.items())
        data = {**changes, "source": source}
        _timeline(session, scope, incident, "figures", f"figures changed ({source}): {described}", data, when)
    _regrade(session, scope, incident)
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="figures",
        entity="incident",
        entity_id=incident.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        before=before,
        after=audit.snapshot(incident),
    )
    return incident


def figure_history(*, session: Session, scope: Scope, incident_id: int) -> list[FigureChange]:
    get(session=session, scope=scope, incident_id=incident_id)
    stmt = select(FigureChange).where(FigureChange.incident_id == incident_id)
    return list(session.scalars(stmt.order_by(FigureChange.at, FigureChange.id)))


_STATUS_TIME = {
    IncidentStatus.VERIFIED: "verified_at",
    IncidentStatus.RESPONDING: "response_at",
    IncidentStatus.RECOVERING: "recovering_at",
    IncidentStatus.CLOSED: "closed_at",
}


def _move(
    session: Session, scope: Scope, incident: Incident, target: IncidentStatus, reason: str, at: dt.datetime
) -> None:
    source = lifecycle.parse_status(incident.status)
    step = lifecycle.transition(source, target, reason=reason)
    incident.status = target.value
    column = _STATUS_TIME[target]
    if getattr(incident, column) is None or target is IncidentStatus.CLOSED:
        setattr(incident, column, at)
    if reason:
        incident.status_reason = reason
    text = f"status {source.value} → {target.value}: {step.meaning}" + (f" ({reason})" if reason else "")
    _timeline(session, scope, incident, "status", text, {"from": source.value, "to": target.value}, at)


def change_status(
    *,
    session: Session,
    scope: Scope,
    incident_id: int,
    version: int,
    target: IncidentStatus,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Incident:
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    lifecycle.transition(lifecycle.parse_status(incident.status), target, reason=reason)  # refuse before claiming
    if target is IncidentStatus.RESPONDING and incident.response_level is None:
        raise lifecycle.InvalidTransition("activate a response level to start responding", current=incident.status)
    _claim(session, incident, version)
    before = audit.snapshot(incident)
    when = at or utcnow()
    if when < incident.reported_at:
        raise InvalidInput("the time of a status change must not be before the report", field="at")
    if target is IncidentStatus.RECOVERING and incident.response_level is not None:
        _record_response(session, scope, incident, "end", None, reason or "response ended", None)
        incident.response_level = None
    _move(session, scope, incident, target, reason, when)
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="status",
        entity="incident",
        entity_id=incident.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        before=before,
        after=audit.snapshot(incident),
    )
    return incident


# -- response levels and plans -----------------------------------------------------------------------


def _record_response(
    session: Session,
    scope: Scope,
    incident: Incident,
    action: str,
    level: int | None,
    reason: str,
    applied: response_plans.AppliedPlan | None,
) -> ResponseAction:
    row = ResponseAction(
        incident_id=incident.id,
        action=action,
        level=level,
        previous_level=incident.response_level,
        reason=reason,
        plan_id=applied.plan.id if applied else None,
        response_plan_id=applied.response_plan_id if applied else None,
        plan_division_code=applied.division_code if applied else None,
        actor=scope.actor,
        at=utcnow(),
    )
    session.add(row)
    words = {
        "recommend": "response level recommended",
        "activate": "response activated",
        "escalate": "response escalated",
        "de_escalate": "response de-escalated",
        "end": "response ended",
    }
    text = f"{words[action]}" + (f": level {level}" if level else "") + (f" ({reason})" if reason else "")
    _timeline(
        session, scope, incident, f"response.{action}", text, {"level": level, "previous": incident.response_level}
    )
    return row


def _organisation_named(session: Session, incident: Incident, name: str) -> Organisation | None:
    """The directory entry of that exact name in one of the incident's divisions or their ancestors."""
    codes: set[str] = set()
    for code in incident.division_codes:
        codes.add(code)
        codes.update(d.code for d in division_service.ancestors_unscoped(session=session, code=code))
    stmt = select(Organisation).where(Organisation.name == name, Organisation.division_code.in_(codes))
    return session.scalars(stmt.order_by(Organisation.division_code.desc(), Organisation.id)).first()


def _create_plan_tasks(
    session: Session, scope: Scope, incident: Incident, level: int
) -> tuple[response_plans.AppliedPlan | None, int]:
    """Create the tasks of the plan in force for the incident (``response_plans.plan_for``: the deepest
    stored plan on its division's chain, else the packaged example) that it does not have yet. A plan is
    known by its id and owning division, so a revised version of the same plan adds only its new keys."""
    applied = response_plans.plan_for(session, incident.incident_type, incident.division_code)
    if applied is None:
        return None, 0
    plan = applied.plan
    same_plan = [Task.incident_id == incident.id, Task.plan_id == plan.id]
    same_plan.append(
        Task.plan_division_code.is_(None)
        if applied.division_code is None
        else Task.plan_division_code == applied.division_code
    )
    existing = set(session.scalars(select(Task.plan_task_key).where(*same_plan)))
    now = utcnow()
    created = 0
    for item in plan.tasks_for(level):
        if item.key in existing:
            continue
        organisation = _organisation_named(session, incident, item.organisation)
        session.add(
            Task(
                incident_id=incident.id,
                title=item.title,
                description=f"{plan.title}: level {item.level}",
                organisation_id=organisation.id if organisation else None,
                organisation_name=item.organisation,
                team="",
                assignee_user="",
                due_at=now + dt.timedelta(minutes=item.due_minutes),
                status="open",
                plan_id=plan.id,
                plan_task_key=item.key,
                response_plan_id=applied.response_plan_id,
                plan_division_code=applied.division_code,
                feedback="",
                created_by=scope.actor,
                created_at=now,
                updated_at=now,
            )
        )
        created += 1
    if created:
        data = {
            "plan": plan.id,
            "response_plan_id": applied.response_plan_id,
            "plan_division_code": applied.division_code,
            "tasks": created,
        }
        _timeline(session, scope, incident, "plan", f"plan {applied.describe()}: {created} tasks created", data)
    return applied, created


def respond(
    *,
    session: Session,
    scope: Scope,
    incident_id: int,
    version: int,
    action: str,
    level: int | None,
    reason: str = "",
) -> Incident:
    """Recommend, activate, escalate, de-escalate or end the response (level 1 highest … 4)."""
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    if action != "recommend":
        scope.require("incidents:command")
    current = incident.response_level
    status = lifecycle.parse_status(incident.status)
    if action in ("recommend", "activate", "escalate", "de_escalate") and level is None:
        raise InvalidInput(f"{action} needs a level (1 to 4)", field="level")
    if action in ("escalate", "de_escalate", "end") and not reason.strip():
        raise InvalidInput(f"{action} needs a reason", field="reason")
    if action == "activate":
        if current is not None:
            raise Conflict(f"a level-{current} response is already active; escalate or de-escalate it")
        if status not in (IncidentStatus.VERIFIED, IncidentStatus.RECOVERING):
            raise lifecycle.InvalidTransition(
                f"a response can be activated on a verified (or recovering) incident, not a {status.value} one",
                current=status.value,
            )
        if status is IncidentStatus.RECOVERING and not reason.strip():
            raise InvalidInput("re-activating a response during recovery needs a reason", field="reason")
    elif action in ("escalate", "de_escalate", "end"):
        if current is None:
            raise Conflict("no response is active")
        assert level is not None or action == "end"
        if action == "escalate" and not (level is not None and level < current):
            raise InvalidInput(f"escalating needs a higher level (a number below {current})", field="level")
        if action == "de_escalate" and not (level is not None and level > current):
            raise InvalidInput(f"de-escalating needs a lower level (a number above {current})", field="level")
    _claim(session, incident, version)
    before = audit.snapshot(incident)
    applied = None
    if action in ("activate", "escalate"):
        assert level is not None
        applied, _ = _create_plan_tasks(session, scope, incident, level)
    _record_response(session, scope, incident, action, level, reason, applied)
    if action in ("activate", "escalate", "de_escalate"):
        incident.response_level = level
    if action == "activate":
        _move(session, scope, incident, IncidentStatus.RESPONDING, reason, utcnow())
    if action == "end":
        incident.response_level = None
        _move(session, scope, incident, IncidentStatus.RECOVERING, reason, utcnow())
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action=f"response.{action}",
        entity="incident",
        entity_id=incident.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        before=before,
        after=audit.snapshot(incident),
    )
    return incident


def response_actions(*, session: Session, scope: Scope, incident_id: int) -> list[ResponseAction]:
    get(session=session, scope=scope, incident_id=incident_id)
    stmt = select(ResponseAction).where(ResponseAction.incident_id == incident_id)
    return list(session.scalars(stmt.order_by(ResponseAction.at, ResponseAction.id)))


# -- tasks -------------------------------------------------------------------------------------------

_TASK_MOVES: dict[str, frozenset[str]] = {
    "open": frozenset({"acknowledged", "in_progress", "done", "cancelled"}),
    "acknowledged": frozenset({"in_progress", "done", "cancelled"}),
    "in_progress": frozenset({"done", "cancelled"}),
    "done": frozenset(),
    "cancelled": frozenset(),
}


def _organisation_readable(session: Session, scope: Scope, organisation_id: int) -> Organisation:
    organisation = session.get(Organisation, organisation_id)
    if organisation is None or not scope.can_read(organisation.division_code):
        raise NotFound("organisation not found")
    return organisation


def create_task(*, session: Session, scope: Scope, incident_id: int, task_in: TaskCreate) -> Task:
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    organisation = _organisation_readable(session, scope, task_in.organisation_id) if task_in.organisation_id else None
    now = utcnow()
    task = Task(
        incident_id=incident.id,
        title=task_in.title,
        description=task_in.description,
        organisation_id=organisation.id if organisation else None,
        organisation_name=organisation.name if organisation else "",
        team=task_in.team,
        assignee_user=task_in.assignee_user,
        due_at=task_in.due_at,
        status="open",
        feedback="",
        created_by=scope.actor,
        created_at=now,
        updated_at=now,
    )
    session.add(task)
    session.flush()
    data = {"task_id": task.id, "title": task.title}
    _timeline(session, scope, incident, "task", f"task assigned: {task.title}", data)
    audit.record(
        session=session,
        scope=scope,
        action="create",
        entity="incident_task",
        entity_id=task.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        after=audit.snapshot(task),
    )
    return task


def tasks_of(*, session: Session, scope: Scope, incident_id: int) -> list[Task]:
    get(session=session, scope=scope, incident_id=incident_id)
    return list(session.scalars(select(Task).where(Task.incident_id == incident_id).order_by(Task.id)))


def get_task(*, session: Session, scope: Scope, task_id: int) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound("task not found")
    try:
        get(session=session, scope=scope, incident_id=task.incident_id)
    except NotFound:
        raise NotFound("task not found") from None
    return task


def update_task(*, session: Session, scope: Scope, task_id: int, change: TaskUpdate) -> Task:
    task = get_task(session=session, scope=scope, task_id=task_id)
    incident = get_for_change(session=session, scope=scope, incident_id=task.incident_id)
    before = audit.snapshot(task)
    now = utcnow()
    if change.status is not None and change.status != task.status:
        if change.status not in _TASK_MOVES[task.status]:
            raise Conflict(f"a {task.status} task cannot become {change.status}", current=task.status)
        if task.acknowledged_at is None and change.status != "cancelled":
            task.acknowledged_at, task.acknowledged_by = now, scope.actor
        if change.status == "done":
            task.completed_at = now
        _timeline(
            session,
            scope,
            incident,
            "task",
            f"task {task.title}: {task.status} → {change.status}",
            {"task_id": task.id, "title": task.title, "from": task.status, "to": change.status},
        )
        task.status = change.status
    if change.feedback is not None:
        task.feedback = change.feedback
        _timeline(
            session,
            scope,
            incident,
            "task.feedback",
            f"feedback on {task.title}: {change.feedback}",
            {"task_id": task.id, "title": task.title, "feedback": change.feedback},
        )
    if "due_at" in change.model_fields_set:
        task.due_at = change.due_at
    task.updated_at = now
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="update",
        entity="incident_task",
        entity_id=task.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        before=before,
        after=audit.snapshot(task),
    )
    return task


# -- situation reports -------------------------------------------------------------------------------


def create_report(*, session: Session, scope: Scope, incident_id: int, report_in: SituationReportIn) -> SituationReport:
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    number = (
        session.scalar(select(func.max(SituationReport.number)).where(SituationReport.incident_id == incident.id)) or 0
    ) + 1
    now = utcnow()
    report = SituationReport(
        incident_id=incident.id,
        number=number,
        revision=1,
        status="draft",
        conditions=report_in.conditions,
        actions=report_in.actions,
        needs=report_in.needs,
        created_by=scope.actor,
        created_at=now,
        updated_at=now,
    )
    session.add(report)
    session.flush()
    _save_revision(session, scope, report)
    _timeline(
        session,
        scope,
        incident,
        "sitrep",
        f"situation report no. {number} drafted",
        {"report_id": report.id, "number": number, "state": "drafted"},
    )
    audit.record(
        session=session,
        scope=scope,
        action="create",
        entity="situation_report",
        entity_id=report.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        after=audit.snapshot(report),
    )
    return report


def _save_revision(session: Session, scope: Scope, report: SituationReport) -> None:
    session.add(
        SituationReportRevision(
            report_id=report.id,
            revision=report.revision,
            conditions=report.conditions,
            actions=report.actions,
            needs=report.needs,
            edited_by=scope.actor,
            edited_at=utcnow(),
        )
    )


def reports_of(*, session: Session, scope: Scope, incident_id: int) -> list[SituationReport]:
    get(session=session, scope=scope, incident_id=incident_id)
    stmt = select(SituationReport).where(SituationReport.incident_id == incident_id)
    return list(session.scalars(stmt.order_by(SituationReport.number)))


def get_report(*, session: Session, scope: Scope, report_id: int) -> SituationReport:
    report = session.get(SituationReport, report_id)
    if report is None:
        raise NotFound("situation report not found")
    try:
        get(session=session, scope=scope, incident_id=report.incident_id)
    except NotFound:
        raise NotFound("situation report not found") from None
    return report


def _claim_report(session: Session, report: SituationReport, revision: int) -> None:
    result = session.execute(
        update(SituationReport)
        .where(SituationReport.id == report.id, SituationReport.revision == revision)
        .values(revision=revision + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(report)
        raise StaleVersion(
            f"situation report changed since revision {revision}; it is now revision {report.revision}",
            current=report,
            current_version=report.revision,
        )
    set_committed_value(report, "revision", revision + 1)


def edit_report(
    *, session: Session, scope: Scope, report_id: int, revision: int, report_in: SituationReportIn
) -> SituationReport:
    report = get_report(session=session, scope=scope, report_id=report_id)
    incident = get_for_change(session=session, scope=scope, incident_id=report.incident_id)
    if report.status != "draft":
        raise Conflict(f"a {report.status} situation report cannot be edited; draft a new one", current=report.status)
    _claim_report(session, report, revision)
    before = audit.snapshot(report)
    report.conditions, report.actions, report.needs = report_in.conditions, report_in.actions, report_in.needs
    report.updated_at = utcnow()
    _save_revision(session, scope, report)
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="update",
        entity="situation_report",
        entity_id=report.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        before=before,
        after=audit.snapshot(report),
    )
    return report


def report_revisions(*, session: Session, scope: Scope, report_id: int) -> list[SituationReportRevision]:
    get_report(session=session, scope=scope, report_id=report_id)
    stmt = select(SituationReportRevision).where(SituationReportRevision.report_id == report_id)
    return list(session.scalars(stmt.order_by(SituationReportRevision.revision)))


def set_report_status(*, session: Session, scope: Scope, report_id: int, revision: int, status: str) -> SituationReport:
    """draft → approved → published (approving and publishing are command decisions)."""
    report = get_report(session=session, scope=scope, report_id=report_id)
    incident = get_for_change(session=session, scope=scope, incident_id=report.incident_id)
    scope.require("incidents:command")
    allowed = {("draft", "approved"), ("approved", "published")}
    if (report.status, status) not in allowed:
        raise Conflict(f"a {report.status} situation report cannot become {status}", current=report.status)
    if report.revision != revision:
        raise StaleVersion(
            f"situation report changed since revision {revision}; it is now revision {report.revision}",
            current=report,
            current_version=report.revision,
        )
    before = audit.snapshot(report)
    now = utcnow()
    report.status = status
    if status == "approved":
        report.approved_by, report.approved_at = scope.actor, now
    else:
        report.published_by, report.published_at = scope.actor, now
    _timeline(
        session,
        scope,
        incident,
        "sitrep",
        f"situation report no. {report.number} {status}",
        {"report_id": report.id, "number": report.number, "state": status},
    )
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action=status,
        entity="situation_report",
        entity_id=report.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        before=before,
        after=audit.snapshot(report),
    )
    return report


# -- organisations and contacts ----------------------------------------------------------------------


def create_organisation(*, session: Session, scope: Scope, organisation_in: OrganisationIn) -> Organisation:
    scope.require("incidents:write")
    (code,) = _division_codes(session, scope, [organisation_in.division_code])
    parent = _organisation_readable(session, scope, organisation_in.parent_id) if organisation_in.parent_id else None
    organisation = Organisation(
        name=organisation_in.name,
        kind=organisation_in.kind,
        division_code=code,
        parent_id=parent.id if parent else None,
        phone=organisation_in.phone,
        created_at=utcnow(),
    )
    audit.created(session=session, scope=scope, row=organisation, entity="organisation", division_code=code)
    return organisation


def list_organisations(
    *, session: Session, scope: Scope, q: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Organisation], int]:
    scope.require("incidents:read")
    stmt = select(Organisation).where(scope.where_readable(Organisation.division_code))
    if q:
        stmt = stmt.where(Organisation.name.like(f"%{q.strip()}%"))
    return paginate(session, stmt, Organisation.division_code, Organisation.name, limit=limit, offset=offset)


def get_organisation(*, session: Session, scope: Scope, organisation_id: int) -> Organisation:
    scope.require("incidents:read")
    return _organisation_readable(session, scope, organisation_id)


def add_contact(*, session: Session, scope: Scope, organisation_id: int, contact_in: ContactIn) -> Contact:
    scope.require("incidents:write")
    organisation = _organisation_readable(session, scope, organisation_id)
    scope.require_write(organisation.division_code, "organisation")
    contact = Contact(organisation_id=organisation.id, **contact_in.model_dump())
    session.add(contact)
    session.flush()
    session.refresh(organisation, ["contacts"])
    audit.record(
        session=session,
        scope=scope,
        action="create",
        entity="contact",
        entity_id=contact.id,
        division_code=organisation.division_code,
        after=audit.snapshot(contact),
    )
    return contact


# -- information-reporting deadlines -----------------------------------------------------------------


def reporting_facts(session: Session, incident: Incident) -> deadlines.ReportingFacts:
    made = {r.key: r.made_at for r in session.scalars(select(ReportMade).where(ReportMade.incident_id == incident.id))}
    figures = incident.figures or {}
    deaths_and_missing = None
    if figures.get("deaths") is not None or figures.get("missing") is not None:
        deaths_and_missing = int(figures.get("deaths") or 0) + int(figures.get("missing") or 0)
    return deadlines.ReportingFacts(
        incident_type=IncidentType(incident.incident_type),
        occurred_at=incident.occurred_at,
        grade=incident.grade,
        deaths_and_missing=deaths_and_missing,
        unit_informed_at=incident.unit_informed_at,
        response_started_at=incident.response_at,
        stabilised_at=incident.recovering_at or incident.closed_at,
        reports_made=made,
    )


def due_reports(*, session: Session, scope: Scope, incident_id: int, now: dt.datetime) -> list[deadlines.DueReport]:
    incident = get(session=session, scope=scope, incident_id=incident_id)
    return deadlines.due_reports(reporting_facts(session, incident), now=now)


def record_report_made(
    *, session: Session, scope: Scope, incident_id: int, key: str, made_at: dt.datetime | None = None
) -> ReportMade:
    incident = get_for_change(session=session, scope=scope, incident_id=incident_id)
    when = made_at or utcnow()
    keys = {r.key for r in deadlines.due_reports(reporting_facts(session, incident), now=max(when, utcnow()))}
    if key not in keys:
        raise InvalidInput(f"key: {key!r} is not a report this incident owes", field="key")
    if session.scalar(select(ReportMade.id).where(ReportMade.incident_id == incident.id, ReportMade.key == key)):
        raise Conflict(f"report {key} is already recorded as made")
    row = ReportMade(incident_id=incident.id, key=key, made_at=when, actor=scope.actor)
    session.add(row)
    session.flush()
    _timeline(session, scope, incident, "report_made", f"report {key} made", {"key": key}, when)
    audit.record(
        session=session,
        scope=scope,
        action="create",
        entity="incident_report_made",
        entity_id=row.id,
        division_code=incident.division_code,
        divisions=incident.division_codes,
        after=audit.snapshot(row),
    )
    return row


_LEVEL_DIGITS = {"unit": 6, "county": 6, "municipal": 4, "provincial": 2, "national": 0}


def division_at_level(code: str, level: str) -> str:
    """The division code of ``level`` above (or at) ``code``: 540223… at municipal → 540200000000."""
    return code[: _LEVEL_DIGITS[level]].ljust(12, "0")


def list_notifications(
    *, session: Session, scope: Scope, limit: int = 100, offset: int = 0
) -> tuple[list[Notification], int]:
    scope.require("incidents:read")
    stmt = select(Notification).where(scope.where_covered(Notification.division_code))
    return paginate(session, stmt, Notification.id.desc(), limit=limit, offset=offset)


def _notify(
    session: Session,
    key: str,
    division_code: str,
    kind: str,
    text: str,
    now: dt.datetime,
    *,
    incident_id: int | None = None,
    duty_item_id: int | None = None,
    data: Mapping[str, Any] | None = None,
) -> Notification:
    row = Notification(
        key=key,
        created_at=now,
        division_code=division_code,
        kind=kind,
        text=text,
        incident_id=incident_id,
        duty_item_id=duty_item_id,
        data=dict(data) if data else None,
    )
    session.add(row)
    return row


def flag_overdue(*, session: Session, scope: Scope, now: dt.datetime) -> dict[str, int]:
    """The scheduler's work at ``now``: every overdue information report of an open incident, every
    overdue duty-desk action and every task of an open incident past its due time and not finished is
    flagged once — a notification (reports: to the level that should have received them; tasks: to the
    incident's division, which gave them) and, for reports and tasks, a timeline entry; the clock is the
    caller's."""
    if now.utcoffset() is None:
        raise InvalidInput("now must be timezone-aware", field="now")
    counts = {"reports": 0, "duty": 0, "tasks": 0}
    open_incidents = session.scalars(select(Incident).where(Incident.status != IncidentStatus.CLOSED.value))
    for incident in open_incidents:
        overdue = deadlines.overdue_reports(reporting_facts(session, incident), now=now)
        if not overdue:
            continue
        keys = {f"report:{incident.id}:{r.key}" for r in overdue}
        known = set(session.scalars(select(Notification.key).where(Notification.key.in_(keys))))
        for report in overdue:
            key = f"report:{incident.id}:{report.key}"
            if key in known:
                continue
            text = (
                f"overdue: {report.reporter} → {report.recipient} report {report.key} of incident "
                f"{incident.id} ({incident.title}) was due {report.due_at.isoformat()}"
            )
            data = {"report": report.key, "due_at": report.due_at.isoformat()}
            _notify(
                session,
                key,
                division_at_level(incident.division_code, report.recipient),
                "report_overdue",
                text,
                now,
                incident_id=incident.id,
                data=data,
            )
            _timeline(session, scope, incident, "report_overdue", text, data, now)
            counts["reports"] += 1
    counts["duty"] = _flag_duty(session, now)
    counts["tasks"] = _flag_tasks(session, scope, now)
    session.flush()
    if counts["reports"] or counts["duty"] or counts["tasks"]:
        audit.record(
            session=session,
            scope=scope,
            action="flag_overdue",
            entity="scheduler",
            entity_id=now.isoformat(),
            after=dict(counts),
        )
    return counts


# Task statuses a task can still leave: not done, not cancelled.
UNFINISHED_TASK = tuple(status for status, moves in _TASK_MOVES.items() if moves)


def _flag_tasks(session: Session, scope: Scope, now: dt.datetime) -> int:
    rows = session.execute(
        select(Task, Incident)
        .join(Incident, Incident.id == Task.incident_id)
        .where(
            Task.due_at.is_not(None),
            Task.due_at < now,
            Task.status.in_(UNFINISHED_TASK),
            Incident.status != IncidentStatus.CLOSED.value,
        )
        .order_by(Task.id)
    ).all()
    keys = {f"task:{task.id}:overdue" for task, _ in rows}
    known = set(session.scalars(select(Notification.key).where(Notification.key.in_(keys)))) if keys else set()
    flagged = 0
    for task, incident in rows:
        key = f"task:{task.id}:overdue"
        if key in known or task.due_at is None:
            continue
        who = task.organisation_name or task.team or task.assignee_user or "-"
        text = (
            f"overdue task {task.id} of incident {incident.id} ({incident.title}): {task.title} for {who}, "
            f"due {task.due_at.isoformat()}, still {task.status}"
        )
        data = {"task_id": task.id, "due_at": task.due_at.isoformat(), "status": task.status}
        _notify(session, key, incident.division_code, "task_overdue", text, now, incident_id=incident.id, data=data)
        _timeline(session, scope, incident, "task_overdue", text, data, now)
        flagged += 1
    return flagged


# -- duty desk ---------------------------------------------------------------------------------------


def _done_times(item: DutyItem) -> dict[str, dt.datetime]:
    return {action: dt.datetime.fromisoformat(when) for action, when in (item.done or {}).items()}


def escalations_of(item: DutyItem, now: dt.datetime) -> list[duty.Escalation]:
    return duty.escalations(item.received_at, _done_times(item), now=now, closed_at=item.closed_at)


def _flag_duty(session: Session, now: dt.datetime) -> int:
    flagged = 0
    for item in session.scalars(select(DutyItem).where(DutyItem.status == "open")):
        for escalation in duty.overdue(item.received_at, _done_times(item), now=now, closed_at=item.closed_at):
            key = f"duty:{item.id}:{escalation.action}"
            if session.scalar(select(Notification.id).where(Notification.key == key)):
                continue
            text = (
                f"overdue duty action {escalation.action} for received information {item.id} "
                f"(due {escalation.due_at.isoformat()}): {item.summary[:80]}"
            )
            _notify(session, key, item.division_code, "duty_overdue", text, now, duty_item_id=item.id)
            flagged += 1
    return flagged


def create_shift(*, session: Session, scope: Scope, shift_in: ShiftIn) -> DutyShift:
    scope.require("incidents:write")
    (code,) = _division_codes(session, scope, [shift_in.division_code])
    if shift_in.ends_at <= shift_in.starts_at:
        raise InvalidInput("ends_at must be after starts_at", field="ends_at")
    shift = DutyShift(
        division_code=code,
        starts_at=shift_in.starts_at,
        ends_at=shift_in.ends_at,
        leader=shift_in.leader,
        officers=list(shift_in.officers),
        handover_note="",
        created_by=scope.actor,
    )
    audit.created(session=session, scope=scope, row=shift, entity="duty_shift", division_code=code)
    return shift


def list_shifts(
    *, session: Session, scope: Scope, at: dt.datetime | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[DutyShift], int]:
    scope.require("incidents:read")
    stmt = select(DutyShift).where(scope.where_covered(DutyShift.division_code))
    if at is not None:
        stmt = stmt.where(DutyShift.starts_at <= at, DutyShift.ends_at > at)
    return paginate(session, stmt, DutyShift.starts_at.desc(), DutyShift.id.desc(), limit=limit, offset=offset)


def _shift(session: Session, scope: Scope, shift_id: int) -> DutyShift:
    shift = session.get(DutyShift, shift_id)
    if shift is None or not scope.covers(shift.division_code):
        raise NotFound("duty shift not found")
    return shift


def hand_over(*, session: Session, scope: Scope, shift_id: int, note: str) -> DutyShift:
    scope.require("incidents:write")
    shift = _shift(session, scope, shift_id)
    if shift.handed_over_at is not None:
        raise Conflict("this shift has already been handed over")
    before = audit.snapshot(shift)
    shift.handover_note, shift.handed_over_at, shift.handed_over_by = note, utcnow(), scope.actor
    session.add(
        DutyLogEntry(
            division_code=shift.division_code,
            shift_id=shift.id,
            at=shift.handed_over_at,
            actor=scope.actor,
            text=f"handover: {note}",
        )
    )
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="handover",
        entity="duty_shift",
        entity_id=shift.id,
        division_code=shift.division_code,
        before=before,
        after=audit.snapshot(shift),
    )
    return shift


def add_log_entry(*, session: Session, scope: Scope, entry_in: DutyLogIn) -> DutyLogEntry:
    scope.require("incidents:write")
    (code,) = _division_codes(session, scope, [entry_in.division_code])
    if entry_in.shift_id is not None:
        shift = _shift(session, scope, entry_in.shift_id)
        if shift.division_code != code:
            raise InvalidInput("shift_id: the shift belongs to another duty desk", field="shift_id")
    entry = DutyLogEntry(
        division_code=code, shift_id=entry_in.shift_id, at=utcnow(), actor=scope.actor, text=entry_in.text
    )
    audit.created(session=session, scope=scope, row=entry, entity="duty_log", division_code=code)
    return entry


def list_log(*, session: Session, scope: Scope, limit: int = 100, offset: int = 0) -> tuple[list[DutyLogEntry], int]:
    scope.require("incidents:read")
    stmt = select(DutyLogEntry).where(scope.where_covered(DutyLogEntry.division_code))
    return paginate(session, stmt, DutyLogEntry.at.desc(), DutyLogEntry.id.desc(), limit=limit, offset=offset)


def receive(*, session: Session, scope: Scope, item_in: DutyItemIn, place_checked: bool = False) -> DutyItem:
    """Information received by the duty desk (phone, fax, system). Its position must lie in its division
    unless the caller placed it by its own rule (``place_checked``: a feed's epicentre)."""
    scope.require("incidents:write")
    (code,) = _division_codes(session, scope, [item_in.division_code])
    if (item_in.lon is None) != (item_in.lat is None):
        raise InvalidInput("give both lon and lat, or neither", field="lon")
    if not place_checked:
        division_service.check_position(session=session, division_codes=[code], lon=item_in.lon, lat=item_in.lat,
                                        what="duty item position")
    item = DutyItem(
        division_code=code,
        received_at=item_in.received_at or utcnow(),
        channel=item_in.channel,
        caller=item_in.caller,
        summary=item_in.summary,
        lon=item_in.lon,
        lat=item_in.lat,
        status="open",
        done={},
        close_reason="",
        received_by=scope.actor,
    )
    audit.created(session=session, scope=scope, row=item, entity="duty_item", division_code=code)
    return item


def get_item(*, session: Session, scope: Scope, item_id: int) -> DutyItem:
    scope.require("incidents:read")
    item = session.get(DutyItem, item_id)
    if item is None or not scope.covers(item.division_code):
        raise NotFound("received information not found")
    return item


def list_items(
    *, session: Session, scope: Scope, status: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[DutyItem], int]:
    scope.require("incidents:read")
    stmt = select(DutyItem).where(scope.where_covered(DutyItem.division_code))
    if status:
        stmt = stmt.where(DutyItem.status == status)
    return paginate(session, stmt, DutyItem.received_at.desc(), DutyItem.id.desc(), limit=limit, offset=offset)


def _open_item(session: Session, scope: Scope, item_id: int) -> DutyItem:
    scope.require("incidents:write")
    item = get_item(session=session, scope=scope, item_id=item_id)
    if item.status != "open":
        raise Conflict(f"this information is already {item.status}", current=item.status)
    return item


def record_duty_action(
    *, session: Session, scope: Scope, item_id: int, action: str, at: dt.datetime | None = None
) -> DutyItem:
    """Mark an escalation action done (``leader_told``, ``forwarded``)."""
    item = _open_item(session, scope, item_id)
    known = {rule.action for rule in duty.DEFAULT_RULES}
    if action not in known:
        raise InvalidInput(
            f"action: unknown duty action {action!r}; one of: {', '.join(sorted(known))}", field="action"
        )
    when = at or utcnow()
    if when < item.received_at:
        raise InvalidInput("at: an action cannot be done before the information was received", field="at")
    before = audit.snapshot(item)
    item.done = {**(item.done or {}), action: when.isoformat()}
    session.add(
        DutyLogEntry(division_code=item.division_code, at=when, actor=scope.actor, text=f"item {item.id}: {action}")
    )
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action=action,
        entity="duty_item",
        entity_id=item.id,
        division_code=item.division_code,
        before=before,
        after=audit.snapshot(item),
    )
    return item


def item_to_incident(*, session: Session, scope: Scope, item_id: int, incident_in: IncidentCreate) -> Incident:
    """The received information becomes an incident (reported when it was received)."""
    item = _open_item(session, scope, item_id)
    before = audit.snapshot(item)
    incident_in = incident_in.model_copy(update={"reported_at": incident_in.reported_at or item.received_at})
    incident = create(session=session, scope=scope, incident_in=incident_in)
    item.status, item.incident_id = "incident", incident.id
    _timeline(
        session,
        scope,
        incident,
        "duty",
        f"from the duty desk: {item.channel} information received {item.received_at.isoformat()}: {item.summary}",
        {
            "duty_item_id": item.id,
            "channel": item.channel,
            "received_at": item.received_at.isoformat(),
            "summary": item.summary,
        },
        item.received_at,
    )
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="to_incident",
        entity="duty_item",
        entity_id=item.id,
        division_code=item.division_code,
        before=before,
        after=audit.snapshot(item),
    )
    return incident


def close_item(*, session: Session, scope: Scope, item_id: int, reason: str) -> DutyItem:
    item = _open_item(session, scope, item_id)
    if not reason.strip():
        raise InvalidInput("reason: closing received information needs a reason", field="reason")
    before = audit.snapshot(item)
    item.status, item.close_reason, item.closed_at = "closed", reason, utcnow()
    session.flush()
    audit.record(
        session=session,
        scope=scope,
        action="close",
        entity="duty_item",
        entity_id=item.id,
        division_code=item.division_code,
        before=before,
        after=audit.snapshot(item),
    )
    return item


# -- metrics -----------------------------------------------------------------------------------------


def response_metrics(
    *,
    session: Session,
    scope: Scope,
    by: Sequence[metrics.GroupField] = ("incident_type", "division"),
    division_digits: int | None = None,
    since: dt.datetime | None = None,
) -> dict[tuple[str, ...], dict[metrics.Interval, metrics.Summary]]:
    """Response-time metrics over readable incidents (exercises left out, by ``metrics.py``)."""
    scope.require("incidents:read")
    stmt = select(
        Incident.incident_type,
        Incident.division_code,
        Incident.occurred_at,
        Incident.reported_at,
        Incident.verified_at,
        Incident.response_at,
        Incident.closed_at,
        Incident.exercise,
    ).where(readable_clause(scope), Incident.exercise.is_(False))
    if since is not None:
        stmt = stmt.where(Incident.reported_at >= since)
    records = [metrics.IncidentRecord(*row) for row in session.execute(stmt)]
    return metrics.response_times(records, by=by, division_digits=division_digits)


def notify(
    *, session: Session, key: str, division_code: str, kind: str, text: str, now: dt.datetime,
    data: Mapping[str, Any] | None = None,
) -> bool:  # fmt: skip
    """A notification for the users of a division, once per ``key`` (other domains' schedulers use it:
    e.g. an overdue hazard rectification). True when it was new."""
    if session.scalar(select(Notification.id).where(Notification.key == key)) is not None:
        return False
    _notify(session, key, division_code, kind, text, now, data=data)
    return True
