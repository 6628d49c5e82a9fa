"""Incidents themselves: the scoped reads, the version claim, the timeline, creation with grading, and changes of
details and figures (re-graded).

Optimistic concurrency: a change carries the version the caller read; :class:`StaleVersion` (409) carries the
record as it is now. Services never commit; every write is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar, cast

from pydantic import BaseModel
from sqlalchemy import (
    bindparam,
    exists,
    select,
    update,
)
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.incidents import lifecycle
from yingji.incidents.grading import Figures, grade_incident
from yingji.incidents.incident_types import IncidentType, RuleFamily, family_of
from yingji.incidents.models import (
    FigureChange,
    Incident,
    IncidentDivision,
    ResponseAction,
    TimelineEntry,
)
from yingji.incidents.overrides import service as overrides
from yingji.incidents.schemas import (
    FiguresIn,
    IncidentCreate,
    IncidentRead,
    IncidentUpdate,
)

C = TypeVar("C")

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
    """The record changed since the caller read it. Extras: ``current_version`` and ``current``, the record as
    it is now in its API form (JSON-ready), so the one error mapper answers 409 with it."""

    code = "stale_version"


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


def stale_version(row: Any, column: str, read: type[BaseModel], stale: Callable[[int], str]) -> StaleVersion:
    """The 409 for a change based on an older ``row.<column>``: the message ``stale(current)`` and the row now."""
    current = getattr(row, column)
    return StaleVersion(
        stale(current), current=read.model_validate(row).model_dump(mode="json"), current_version=current
    )


def claim_version(
    session: Session,
    row: Any,
    column: str,
    expected: int,
    read: type[BaseModel],
    stale: Callable[[int], str],
    **also: Any,
) -> None:
    """Take an optimistic lock: bump ``row.<column>`` (and set ``also``) if it is still ``expected``, else
    :class:`StaleVersion` with the row as it is now and the message ``stale(current)``."""
    model = type(row)
    result = session.execute(
        update(model)
        .where(model.id == row.id, getattr(model, column) == expected)
        .values({column: expected + 1, **also})
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        session.refresh(row)
        raise stale_version(row, column, read, stale)
    set_committed_value(row, column, expected + 1)
    for key, value in also.items():
        set_committed_value(row, key, value)


def _claim(session: Session, incident: Incident, expected: int) -> None:
    """Take the optimistic lock: bump the version if it is still ``expected`` (see the module docstring)."""
    claim_version(
        session,
        incident,
        "version",
        expected,
        IncidentRead,
        lambda now_at: f"incident {incident.id} changed since you read version {expected}; it is now version {now_at}",
        updated_at=utcnow(),
    )


def get_child(*, session: Session, scope: Scope, model: type[C], row_id: int, what: str) -> C:
    """A row that belongs to an incident (a task, a situation report), if the caller may read that incident;
    else "<what> not found", as for a row that does not exist."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(f"{what} not found")
    try:
        get(session=session, scope=scope, incident_id=cast(Any, row).incident_id)
    except NotFound:
        raise NotFound(f"{what} not found") from None
    return row


def _division_codes(session: Session, scope: Scope, codes: Sequence[str]) -> list[str]:
    """Normalised, existing, writable division codes (a foreign one is "not found")."""
    out: list[str] = []
    for raw in codes:
        division = division_service.get_writable(session=session, scope=scope, code=raw)
        if division.code not in out:
            out.append(division.code)
    return out


def _written_at(session: Session, scope: Scope, code: str) -> str:
    """The division a new record of the duty desk or the directory is written at: ``incidents:write`` is
    required, and the division must exist in the caller's subtree (a foreign one is "not found")."""
    scope.require("incidents:write")
    (written,) = _division_codes(session, scope, [code])
    return written


def _check_area(session: Session, codes: Sequence[str], area: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Rings closed, polygon valid, within the incident's divisions (``geo.service.check_area``)."""
    if area is None:
        return None
    division_service.check_area(session=session, division_codes=codes, geometry=dict(area))
    return dict(area)


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
    audit.created(session, scope, entry, entity="incident_timeline", action="append", within=incident)
    return entry


def timeline(
    *, session: Session, scope: Scope, incident_id: int, limit: int = 100, offset: int = 0
) -> tuple[list[TimelineEntry], int]:
    get(session=session, scope=scope, incident_id=incident_id)
    stmt = select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)
    return paginate(session, stmt, TimelineEntry.at, TimelineEntry.id, limit=limit, offset=offset)


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
        division_service.check_position(
            session=session, division_codes=codes, lon=incident_in.lon, lat=incident_in.lat, what="incident position"
        )
    incident = Incident(
        title=incident_in.title,
        incident_type=incident_in.incident_type.value,
        status=lifecycle.INITIAL_STATUS.value,
        exercise=incident_in.exercise,
        division_code=codes[0],
        lon=incident_in.lon,
        lat=incident_in.lat,
        area=_check_area(
            session, [] if place_checked else codes, incident_in.area.model_dump() if incident_in.area else None
        ),
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
    audit.created(session, scope, incident, entity="incident", division_code=incident.division_code)
    return incident


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
        division_service.check_position(
            session=session, division_codes=final_codes, lon=incident.lon, lat=incident.lat, what="incident position"
        )
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
    audit.changed(session, scope, incident, before, entity="incident")
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
    audit.changed(session, scope, incident, before, entity="incident", action="figures")
    return incident


def figure_history(*, session: Session, scope: Scope, incident_id: int) -> list[FigureChange]:
    get(session=session, scope=scope, incident_id=incident_id)
    stmt = select(FigureChange).where(FigureChange.incident_id == incident_id)
    return list(session.scalars(stmt.order_by(FigureChange.at, FigureChange.id)))
