"""Scoped reads by id: the row if the caller's jurisdiction reaches it, else "not found" (404).

One place for the rule every domain applies to a row with a ``division_code``; a row outside the scope
is answered exactly as a row that does not exist."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import NotFound

R = TypeVar("R")


def get_readable(
    *,
    session: Session,
    scope: Scope,
    model: type[R],
    row_id: Any,
    what: str,
    lock: bool = False,
    permission: str | None = None,
    place: str = "division_code",
) -> R:
    """The row if its division (the column ``place``) is readable by the caller (own subtree or an ancestor);
    ``permission``, when given, is required first."""
    return _scoped(
        session, scope, model, row_id, what, lock, permission, lambda row: scope.can_read(getattr(row, place, None))
    )


def get_covered(
    *,
    session: Session,
    scope: Scope,
    model: type[R],
    row_id: Any,
    what: str,
    lock: bool = False,
    permission: str | None = None,
    place: str = "division_code",
) -> R:
    """The row if its division (the column ``place``) lies in the caller's own subtree; ``permission``, when
    given, is required first."""
    return _scoped(
        session, scope, model, row_id, what, lock, permission, lambda row: scope.covers(getattr(row, place, None))
    )


def _scoped(
    session: Session,
    scope: Scope,
    model: type[R],
    row_id: Any,
    what: str,
    lock: bool,
    permission: str | None,
    reaches: Callable[[Any], bool],
) -> R:
    if permission is not None:
        scope.require(permission)
    row = session.get(model, row_id, with_for_update=lock) if lock else session.get(model, row_id)
    if row is None or not reaches(row):
        raise NotFound(f"{what} not found")
    return row


def retire(
    *, session: Session, scope: Scope, row: Any, entity: str, what: str, also: Callable[[], None] | None = None
) -> None:
    """Stop applying a rule row (an override, a plan): kept, inactive, with the time it was retired; audited.
    ``also`` retires what hangs on it. Retiring a retired row changes nothing."""
    scope.require_write(row.division_code, what)
    if not row.active:
        return
    before = audit.snapshot(row)
    row.active = False
    row.retired_at = utcnow()
    if also is not None:
        also()
    audit.changed(session, scope, row, before, entity=entity, action="retire")


@dataclass(frozen=True)
class RuleRows(Generic[R]):
    """Rule rows kept per jurisdiction (grading overrides, response plans): read by id with ``read``,
    retired (never deleted) with ``command``."""

    model: type[R]
    entity: str
    what: str
    read: str
    command: str

    def get(self, *, session: Session, scope: Scope, row_id: Any) -> R:
        return get_readable(
            session=session, scope=scope, model=self.model, row_id=row_id, what=self.what, permission=self.read
        )

    def retire(self, *, session: Session, scope: Scope, row_id: Any, also: Callable[[R], None] | None = None) -> R:
        """Stop applying the row (see :func:`retire`); ``also(row)`` retires what hangs on it."""
        scope.require(self.command)
        row = self.get(session=session, scope=scope, row_id=row_id)
        then = None if also is None else lambda: also(row)
        retire(session=session, scope=scope, row=row, entity=self.entity, what=self.what, also=then)
        return row


def readable_rows(scope: Scope, model: type[R], permission: str, place: str = "division_code") -> Select[R]:
    """The rows of ``model`` whose division (the column ``place``) is readable by the caller (own subtree or an
    ancestor), to filter and page further; ``permission`` is required first."""
    scope.require(permission)
    return select(model).where(scope.where_readable(getattr(model, place)))


def covered_rows(scope: Scope, model: type[R], permission: str, place: str = "division_code") -> Select[R]:
    """The rows of ``model`` whose division (the column ``place``) lies in the caller's own subtree, to filter
    and page further; ``permission`` is required first."""
    scope.require(permission)
    return select(model).where(scope.where_covered(getattr(model, place)))
