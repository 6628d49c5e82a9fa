"""Scoped reads by id: the row if the caller's jurisdiction reaches it, else "not found" (404).

One place for the rule every domain applies to a row with a ``division_code``; a row outside the scope
is answered exactly as a row that does not exist."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, and_, select
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import NotFound
from yingji.geo.codes import code_range, level_of, normalise_code, prefix

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
    covered: bool = False,
) -> R:
    """The row if its division (the column ``place``) is readable by the caller (own subtree or an ancestor) —
    with ``covered``, if it lies in the caller's own subtree; ``permission``, when given, is required first."""
    if permission is not None:
        scope.require(permission)
    row = session.get(model, row_id, with_for_update=lock) if lock else session.get(model, row_id)
    code = getattr(row, place, None)
    if row is None or not (scope.covers(code) if covered else scope.can_read(code)):
        raise NotFound(f"{what} not found")
    return row


# The row if its division (the column ``place``) lies in the caller's own subtree (see get_readable).
get_covered = partial(get_readable, covered=True)


def retire(
    *, session: Session, scope: Scope, row: Any, entity: str, what: str, also: Callable[[], None] | None = None
) -> None:
    """Stop applying a rule row (an override, a plan): kept, inactive, with the time it was retired; audited.
    ``also`` retires what hangs on it. Retiring a retired row changes nothing."""
    from yingji.auth import audit  # audit lists its entries through this module

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


def under(column: Any, code: str) -> Any:
    """The condition "``column`` lies in the subtree of the division ``code``" (code ranges: see ``geo.codes``)."""
    code = normalise_code(code)
    low, high = code_range(prefix(code, level_of(code)))
    return and_(column >= low, column <= high)


Filter = Callable[[Any], Any]


@dataclass(frozen=True)
class Listing(Generic[R]):
    """A domain's ``list_…``: the rows ``rows(session, scope)`` starts from (the caller's share, its permission
    checked), narrowed by each filter the caller gives, in ``order``, one page — ``(items, total)``.

    A filter counts when it is given: a flag when it is not None, any other value when it is not empty (None,
    "" and 0 are not given). ``equal`` names the columns of ``model`` a filter of the same name must equal (a
    flag: IS); ``where`` maps every other filter to the condition its value makes; ``within(session, scope,
    code)`` is the condition of the filter ``division`` (the rows under that division). An unknown filter
    is refused (TypeError), as a function refuses an unknown keyword."""

    model: type[R]
    rows: Callable[[Session, Scope], Select[R]]
    order: tuple[Any, ...]
    equal: tuple[str, ...] = ()
    where: Mapping[str, Filter] = field(default_factory=dict)
    within: Callable[[Session, Scope, str], Any] | None = None

    @classmethod
    def readable(cls, model: type[R], permission: str, **how: Any) -> Listing[R]:
        """The list of ``model``'s rows the caller may read (see :func:`readable_rows`)."""
        return cls(model, rows=lambda session, scope: readable_rows(scope, model, permission), **how)

    @classmethod
    def covered(cls, model: type[R], permission: str, **how: Any) -> Listing[R]:
        """The list of ``model``'s rows in the caller's own subtree (see :func:`covered_rows`)."""
        return cls(model, rows=lambda session, scope: covered_rows(scope, model, permission), **how)

    def query(self, session: Session, scope: Scope, given: Mapping[str, Any]) -> Select[R]:
        """The rows the filters ``given`` leave, unordered and unpaged."""
        stmt = self.rows(session, scope)
        for name, value in given.items():
            if name not in self.equal and name not in self.where and not (name == "division" and self.within):
                raise TypeError(f"{self.model.__name__} rows have no filter {name!r}")
            if value is None or (value in ("", 0) and not isinstance(value, bool)):
                continue
            if name in self.equal:
                column = getattr(self.model, name)
                stmt = stmt.where(column.is_(value) if isinstance(value, bool) else column == value)
            elif name in self.where:
                stmt = stmt.where(self.where[name](value))
            elif self.within is not None:
                stmt = stmt.where(self.within(session, scope, value))
        return stmt

    def __call__(
        self, *, session: Session, scope: Scope, limit: int | None = 100, offset: int = 0, **given: Any
    ) -> tuple[list[R], int]:
        return paginate(session, self.query(session, scope, given), *self.order, limit=limit, offset=offset)
