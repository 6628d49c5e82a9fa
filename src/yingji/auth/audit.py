"""The audit log: every write through a service appends who, when, what, before and after."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any, TypedDict, Unpack

from sqlalchemy import Select, inspect, or_, select
from sqlalchemy.orm import Session

from yingji import events
from yingji.auth import access
from yingji.auth.models import AuditEntry
from yingji.auth.scope import Scope
from yingji.db import utcnow

_SECRET_COLUMNS = frozenset({"password_hash", "digest"})


def snapshot(row: Any) -> dict[str, Any]:
    """The row's column values as JSON-ready data (bytes summarised, secrets left out)."""
    out: dict[str, Any] = {}
    for attr in inspect(row).mapper.column_attrs:
        if attr.key in _SECRET_COLUMNS:
            continue
        value = getattr(row, attr.key)
        if isinstance(value, dt.datetime | dt.date):
            value = value.isoformat()
        elif isinstance(value, bytes):
            value = f"<{len(value)} bytes>"
        out[attr.key] = value
    return out


def record(
    *,
    session: Session,
    scope: Scope,
    action: str,
    entity: str,
    entity_id: str | int,
    division_code: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    divisions: Sequence[str] = (),
) -> AuditEntry:
    """Append an audit entry and queue the matching live event (published after commit).

    ``divisions`` lists every division the record spans (e.g. an incident over three counties), so the
    live event reaches users of each; by default the event is scoped to ``division_code`` alone.
    """
    now = utcnow()
    codes = tuple(divisions) or ((division_code,) if division_code else ())
    events.queue(
        session,
        events.Event(
            kind=f"{entity}.{action}",
            entity=entity,
            entity_id=str(entity_id),
            action=action,
            division_codes=codes,
            at=now.isoformat(),
            actor=scope.actor,
        ),
    )
    entry = AuditEntry(
        at=now,
        actor=scope.actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        division_code=division_code,
        before=before,
        after=after,
    )
    session.add(entry)
    return entry


def _entries(session: Session, scope: Scope) -> Select[AuditEntry]:
    scope.require("audit:read")
    stmt = select(AuditEntry)
    return stmt.where(or_(scope.where_covered(AuditEntry.division_code))) if scope.prefix else stmt


# Audit entries inside the caller's subtree (national admins see everything), newest first.
query = access.Listing(
    AuditEntry,
    rows=_entries,
    order=(AuditEntry.id.desc(),),
    equal=("entity", "actor"),
    where={"since": lambda since: AuditEntry.at >= since},
)


class Filing(TypedDict, total=False):
    """Where an entry is filed, when not where the row lies: ``division_code`` and ``divisions`` given
    outright, or those of ``within`` (the record the row belongs to, e.g. a task's incident)."""

    division_code: str | None
    divisions: Sequence[str] | None
    within: Any


def created(
    session: Session, scope: Scope, row: Any, *, entity: str, action: str = "create", **filing: Unpack[Filing]
) -> None:
    """Add a new row, flush it (so it has its id) and audit its creation — the usual first write. The
    divisions are found as for :func:`changed`."""
    session.add(row)
    changed(session, scope, row, None, entity=entity, action=action, **filing)


def changed(
    session: Session,
    scope: Scope,
    row: Any,
    before: dict[str, Any] | None,
    *,
    entity: str,
    action: str = "update",
    **filing: Unpack[Filing],
) -> None:
    """Flush the change made to ``row`` since ``before = snapshot(row)`` and audit it (before and after).

    The entry is filed under ``division_code`` and ``divisions`` when given, else under those of ``within``
    (the record the row belongs to, e.g. a task's incident), else under the row's own ``division_code``
    (and ``division_codes`` when it spans several) — read now, so a change of divisions is filed where the
    row lies after it."""
    session.flush()
    acted(session, scope, row, entity=entity, action=action, before=before, after=snapshot(row), **filing)


def acted(
    session: Session,
    scope: Scope,
    row: Any,
    *,
    entity: str,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    **filing: Unpack[Filing],
) -> None:
    """Audit an action on ``row`` told by what it did (``after``, ``before``) rather than by snapshots — a
    logout, a call answered, a plan committed. Filed under the row's id and divisions as :func:`changed`
    files them; nothing is flushed."""
    within = filing.get("within")
    division_code = filing.get("division_code")
    divisions = filing.get("divisions")
    place = row if within is None else within
    record(
        session=session,
        scope=scope,
        action=action,
        entity=entity,
        entity_id=row.id,
        division_code=division_code if division_code is not None else getattr(place, "division_code", None),
        before=before,
        after=after,
        divisions=divisions if divisions is not None else getattr(place, "division_codes", ()),
    )
