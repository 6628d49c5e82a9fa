"""Enterprises: register, read within scope, import a register all or nothing, link enterprise users.

Scope rule of this domain: a user of role ``enterprise`` sees and acts for the enterprises they are a
member of (``enterprise_members``), whatever their division; any other user sees the enterprises whose
division lies in their subtree. Anything else is "not found". The 统一社会信用代码 is unique nationally; a
code registered outside the caller's view is refused without saying where.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import ColumnElement, Select, insert, or_, select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth import service as auth_service
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import Conflict, Forbidden, InvalidInput, NotFound
from yingji.geo.models import Division
from yingji.hazards.enterprises.models import Enterprise, EnterpriseMember
from yingji.hazards.enterprises.schemas import (
    IMPORT_COLUMNS,
    REQUIRED_COLUMNS,
    EnterpriseIn,
    EnterprisePatch,
    ImportResult,
)
from yingji.hazards.errors import ImportRejected
from yingji.hazards.tabular import Table

READ, WRITE = "hazards:read", "hazards:write"
ENTERPRISE_ROLE = "enterprise"
_TAKEN = "this 统一社会信用代码 is already registered"


def is_enterprise_user(scope: Scope) -> bool:
    return scope.role == ENTERPRISE_ROLE


def member_ids(*, session: Session, scope: Scope) -> list[int]:
    """The enterprises an enterprise user acts for."""
    if scope.user_id is None:
        return []
    return list(
        session.scalars(select(EnterpriseMember.enterprise_id).where(EnterpriseMember.user_id == scope.user_id))
    )


def visible(*, session: Session, scope: Scope, enterprise_id: Any, division_code: Any) -> ColumnElement[bool]:
    """The SQL condition for rows (of any table carrying an enterprise id and a division code) that the
    caller may see."""
    if is_enterprise_user(scope):
        ids = member_ids(session=session, scope=scope)
        return enterprise_id.in_(ids) if ids else scope.nothing()
    return scope.where_covered(division_code)


def can_see(*, session: Session, scope: Scope, enterprise: Enterprise) -> bool:
    if is_enterprise_user(scope):
        return enterprise.id in member_ids(session=session, scope=scope)
    return scope.covers(enterprise.division_code)


def get(*, session: Session, scope: Scope, enterprise_id: int) -> Enterprise:
    scope.require(READ)
    row = session.get(Enterprise, enterprise_id)
    if row is None or not can_see(session=session, scope=scope, enterprise=row):
        raise NotFound("enterprise not found")
    return row


def _query(session: Session, scope: Scope) -> Select[Enterprise]:
    scope.require(READ)
    return select(Enterprise).where(
        visible(session=session, scope=scope, enterprise_id=Enterprise.id, division_code=Enterprise.division_code)
    )


def _matching(q: str) -> Any:
    return or_(Enterprise.name.like(f"%{q.strip()}%"), Enterprise.credit_code == q.strip().upper())


list_enterprises = access.Listing(
    Enterprise,
    rows=_query,
    order=(Enterprise.id,),
    equal=("supervision_category",),
    where={"division": lambda code: access.under(Enterprise.division_code, code), "q": _matching},
)


def _require_registrar(scope: Scope, division_code: str) -> None:
    scope.require(WRITE)
    if is_enterprise_user(scope):
        raise Forbidden("enterprises are registered by their regulator")
    scope.require_write(division_code, "division")


def _taken_by(session: Session, code: str) -> Enterprise | None:
    return session.scalars(select(Enterprise).where(Enterprise.credit_code == code)).first()


def create(*, session: Session, scope: Scope, enterprise_in: EnterpriseIn) -> Enterprise:
    """Register an enterprise in the caller's subtree (refused without saying where if its code is taken)."""
    _require_registrar(scope, enterprise_in.division_code)
    if _taken_by(session, enterprise_in.credit_code) is not None:
        raise Conflict(_TAKEN)  # the same words whether or not the caller can see the holder
    row = Enterprise(**enterprise_in.model_dump())
    audit.created(session, scope, row, entity="enterprise", division_code=row.division_code)
    return row


def update(*, session: Session, scope: Scope, enterprise_id: int, patch: EnterprisePatch) -> Enterprise:
    row = get(session=session, scope=scope, enterprise_id=enterprise_id)
    scope.require(WRITE)
    if not is_enterprise_user(scope):
        scope.require_write(row.division_code, "enterprise")
    values = patch.model_dump(exclude_unset=True)
    if is_enterprise_user(scope):  # an enterprise keeps its contacts current; its grading is the regulator's
        values = {k: v for k, v in values.items() if k not in ("risk_color", "risk_basis", "status")}
    before = audit.snapshot(row)
    for key, value in values.items():
        if value is not None or key in ("lon", "lat", "headcount"):
            setattr(row, key, value)
    audit.changed(session, scope, row, before, entity="enterprise", action="update")
    return row


def add_member(*, session: Session, scope: Scope, enterprise_id: int, username: str) -> EnterpriseMember:
    """Let a user of role ``enterprise`` act for this enterprise (regulators of its division only)."""
    row = get(session=session, scope=scope, enterprise_id=enterprise_id)
    _require_registrar(scope, row.division_code)
    user = auth_service.get_by_username(session=session, username=username)
    if user is None or not scope.covers(user.division_code):
        raise NotFound("user not found")
    if user.role != ENTERPRISE_ROLE:
        raise InvalidInput(f"user {username!r} has role {user.role}, not {ENTERPRISE_ROLE}")
    existing = session.scalars(
        select(EnterpriseMember).where(EnterpriseMember.user_id == user.id, EnterpriseMember.enterprise_id == row.id)
    ).first()
    if existing is not None:
        return existing
    member = EnterpriseMember(user_id=user.id, enterprise_id=row.id)
    audit.created(session, scope, member, entity="enterprise_member", division_code=row.division_code)
    return member


# -- import ---------------------------------------------------------------------------------------------


def _row_values(values: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {"division_code": values.get("division", "")}
    for column in IMPORT_COLUMNS:
        if column == "division":
            continue
        text = values.get(column, "")
        if text != "" or column in REQUIRED_COLUMNS:
            out[column] = text
    return out


def _validate_rows(table: Table) -> tuple[list[tuple[int, EnterpriseIn]], list[str]]:
    errors: list[str] = []
    missing = [c for c in REQUIRED_COLUMNS if c not in table.header]
    if missing:
        return [], [f"row 1: missing column(s) {', '.join(missing)} (required: {', '.join(REQUIRED_COLUMNS)})"]
    unknown = [c for c in table.header if c and c not in IMPORT_COLUMNS]
    if unknown:
        errors.append(f"row 1: unknown column(s) {', '.join(unknown)}")
    good: list[tuple[int, EnterpriseIn]] = []
    seen: dict[str, int] = {}
    for number, values in table.rows:
        raw_code = values.get("credit_code", "").strip().upper()
        if raw_code and raw_code in seen:
            errors.append(f"row {number}, column credit_code: {raw_code} repeats row {seen[raw_code]}")
            continue
        if raw_code:
            seen[raw_code] = number
        try:
            row = EnterpriseIn.model_validate(_row_values(values))
        except ValidationError as exc:
            for err in exc.errors():
                column = str(err["loc"][0]) if err["loc"] else "?"
                column = "division" if column == "division_code" else column
                message = str(err["msg"]).removeprefix("Value error, ")
                errors.append(f"row {number}, column {column}: {message}")
            continue
        good.append((number, row))
    return good, errors


def _existing(session: Session, codes: Sequence[str]) -> dict[str, Enterprise]:
    found: dict[str, Enterprise] = {}
    for start in range(0, len(codes), 500):
        chunk = codes[start : start + 500]
        for row in session.scalars(select(Enterprise).where(Enterprise.credit_code.in_(chunk))):
            found[row.credit_code] = row
    return found


def _unknown_divisions(session: Session, codes: Iterable[str]) -> list[str]:
    wanted = sorted(set(codes))
    known: set[str] = set()
    for start in range(0, len(wanted), 500):
        known.update(session.scalars(select(Division.code).where(Division.code.in_(wanted[start : start + 500]))))
    return [c for c in wanted if c not in known]


def import_table(*, session: Session, scope: Scope, table: Table, source: str = "") -> ImportResult:
    """Register (or update, when the code is already the caller's) every row of an enterprise register, or
    nothing: any error — naming its row and column — rejects the whole file."""
    scope.require(WRITE)
    if is_enterprise_user(scope):
        raise Forbidden("enterprises are registered by their regulator")
    good, errors = _validate_rows(table)
    existing = _existing(session, [row.credit_code for _, row in good])
    for number, row in good:
        if not scope.covers(row.division_code):
            errors.append(f"row {number}, column division: {row.division_code} is outside your jurisdiction")
        holder = existing.get(row.credit_code)
        if holder is not None and not scope.covers(holder.division_code):
            errors.append(f"row {number}, column credit_code: {_TAKEN}")
    if errors:
        shown = errors[:50] + ([f"… and {len(errors) - 50} more"] if len(errors) > 50 else [])
        raise ImportRejected(
            f"{len(errors)} error(s); nothing of the file was stored:\n" + "\n".join(shown), errors=len(errors)
        )
    created = updated = 0
    new_rows: list[dict[str, Any]] = []
    now = utcnow()
    for _, row in good:
        holder = existing.get(row.credit_code)
        if holder is None:
            new_rows.append({**row.model_dump(), "created_at": now, "updated_at": now})
            created += 1
            continue
        for key, value in row.model_dump(exclude_unset=True).items():
            setattr(holder, key, value)
        updated += 1
    session.flush()
    for start in range(0, len(new_rows), 5000):  # bulk INSERTs, no ORM object per row (a 50,000-row register)
        session.execute(insert(Enterprise), new_rows[start : start + 5000])
    audit.record(
        session=session, scope=scope, action="import", entity="enterprise", entity_id="import",
        division_code=scope.division_code if scope.prefix else None,
        after={"source": source, "created": created, "updated": updated, "rows": len(good)},
    )  # fmt: skip
    unknown = _unknown_divisions(session, (row.division_code for _, row in good))
    warnings = [f"division {c} is not in the stored divisions (stored anyway)" for c in unknown[:20]]
    return ImportResult(created=created, updated=updated, warnings=warnings)
