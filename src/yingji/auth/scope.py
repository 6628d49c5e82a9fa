"""Jurisdiction scope: the one rule every domain applies.

A user reads and writes what lies in their division's subtree; reads (never writes) the divisions on
their ancestor chain and the shared resources registered there; a record spanning several divisions is
visible to users of each. Anything else is answered as "not found".
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import InstrumentedAttribute

from yingji.errors import Forbidden, NotFound
from yingji.geo.codes import code_range


@dataclass(frozen=True)
class Scope:
    """The caller: who they are, what they may do, and where."""

    actor: str
    division_code: str
    prefix: str
    ancestors: tuple[str, ...] = ()
    role: str = "admin"
    permissions: frozenset[str] = field(default_factory=frozenset)
    user_id: int | None = None
    token_version: int = 0  # the user's, when the scope was read (access tokens must carry the same)

    # -- checks on codes -------------------------------------------------------------------------
    def covers(self, code: str | None) -> bool:
        """The code lies in the caller's own subtree (readable and writable)."""
        return code is not None and code.startswith(self.prefix)

    def can_read(self, code: str | None) -> bool:
        return self.covers(code) or code in self.ancestors

    def can_read_any(self, codes: Iterable[str]) -> bool:
        return any(self.can_read(c) for c in codes)

    def covers_any(self, codes: Iterable[str]) -> bool:
        return any(self.covers(c) for c in codes)

    def require_read(self, code: str | None, what: str = "record") -> None:
        if not self.can_read(code):
            raise NotFound(f"{what} not found")

    def require_write(self, code: str | None, what: str = "record") -> None:
        """Writes only in the subtree: a readable ancestor row is 403, anything else 404."""
        if self.covers(code):
            return
        if self.can_read(code):
            raise Forbidden(f"{what} belongs to a higher level and is read-only for you")
        raise NotFound(f"{what} not found")

    def require(self, permission: str) -> None:
        if permission not in self.permissions:
            raise Forbidden(f"your role ({self.role}) lacks the permission {permission}")

    # -- SQL filters -------------------------------------------------------------------------------
    def where_covered(
        self, column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None]
    ) -> ColumnElement[bool]:
        if not self.prefix:
            return column.is_not(None)
        low, high = code_range(self.prefix)
        return and_(column >= low, column <= high)

    def where_readable(
        self, column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None]
    ) -> ColumnElement[bool]:
        if not self.ancestors:
            return self.where_covered(column)
        return or_(self.where_covered(column), column.in_(self.ancestors))

    def nothing(self) -> ColumnElement[bool]:
        return false()


def system_scope(actor: str = "system") -> Scope:
    """Full national scope for the CLI and internal jobs (audited under ``actor``)."""
    from yingji.auth.roles import all_permissions

    return Scope(actor=actor, division_code="000000000000", prefix="", permissions=all_permissions())
