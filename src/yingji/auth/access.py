"""Scoped reads by id: the row if the caller's jurisdiction reaches it, else "not found" (404).

One place for the rule every domain applies to a row with a ``division_code``; a row outside the scope
is answered exactly as a row that does not exist."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.errors import NotFound

R = TypeVar("R")


def _get(session: Session, model: type[R], row_id: Any, lock: bool) -> R | None:
    return session.get(model, row_id, with_for_update=lock) if lock else session.get(model, row_id)


def get_readable(*, session: Session, scope: Scope, model: type[R], row_id: Any, what: str, lock: bool = False) -> R:
    """The row if its division is readable by the caller (own subtree or an ancestor)."""
    row = _get(session, model, row_id, lock)
    if row is None or not scope.can_read(getattr(row, "division_code", None)):
        raise NotFound(f"{what} not found")
    return row


def get_covered(*, session: Session, scope: Scope, model: type[R], row_id: Any, what: str, lock: bool = False) -> R:
    """The row if its division lies in the caller's own subtree."""
    row = _get(session, model, row_id, lock)
    if row is None or not scope.covers(getattr(row, "division_code", None)):
        raise NotFound(f"{what} not found")
    return row
