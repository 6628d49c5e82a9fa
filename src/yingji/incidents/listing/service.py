"""Reading many incidents at once: filtered pages, the map's points, weekly statistics and response-time
metrics."""

from __future__ import annotations

import datetime as dt
import functools
import operator
from collections.abc import Sequence
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
)
from sqlalchemy.orm import Session, defer, lazyload

from yingji.auth.scope import Scope
from yingji.db import is_postgres
from yingji.geo import service as division_service
from yingji.geo.codes import code_range, prefix
from yingji.incidents import metrics
from yingji.incidents.models import (
    Incident,
    IncidentDivision,
)
from yingji.incidents.records.service import readable_clause


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


def response_metrics(
    *,
    session: Session,
    scope: Scope,
    by: Sequence[metrics.GroupField] = ("incident_type", "division"),
    division_digits: int | None = None,
    since: dt.datetime | None = None,
) -> dict[tuple[str, ...], dict[metrics.Interval, metrics.IntervalSummary]]:
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
