"""Major hazard installations: registered per enterprise, their inventory lines assessed by GB 18218-2018
(exactly) on every change, with the history of assessments kept."""

from __future__ import annotations

import datetime as dt
from fractions import Fraction
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import InvalidInput, NotFound
from yingji.hazards import gb18218
from yingji.hazards.enterprises import service as enterprise_service
from yingji.hazards.installations.models import Installation, InstallationAssessment
from yingji.hazards.installations.schemas import InstallationIn, InventoryIn, InventoryLineIn

READ, WRITE = enterprise_service.READ, enterprise_service.WRITE


def _fraction_text(value: Fraction | None) -> str | None:
    return None if value is None else str(value)


def assess_lines(lines: list[InventoryLineIn], exposed_people: int) -> tuple[gb18218.Assessment, list[dict[str, Any]]]:
    """The GB 18218 assessment of an inventory, and the lines as stored (names as the standard writes them)."""
    cat = gb18218.catalogue()
    parsed: list[gb18218.Line] = []
    stored: list[dict[str, Any]] = []
    for n, line in enumerate(lines, start=1):
        try:
            entry = cat.find(line.substance)
            beta = None
            if line.category:
                if line.category.upper() not in cat.categories:
                    raise LookupError(f"unknown category {line.category!r}")
                beta = cat.categories[line.category.upper()].beta
        except LookupError as exc:
            raise InvalidInput(f"line {n}: {exc}", field="lines") from None
        parsed.append(gb18218.Line(entry, Fraction(line.quantity_t), beta))
        name = entry.name if isinstance(entry, gb18218.Substance) else entry.symbol
        stored.append({"substance": name, "quantity_t": line.quantity_t, "category": line.category.upper()})
    return gb18218.assess(parsed, exposed_people), stored


def _apply(session: Session, scope: Scope, row: Installation, lines: list[InventoryLineIn], people: int) -> None:
    result, stored = assess_lines(lines, people)
    row.lines, row.exposed_people = stored, people
    row.s, row.r = str(result.s), _fraction_text(result.r)
    row.major, row.grade = result.major, result.grade
    row.updated_at = utcnow()
    session.flush()
    session.add(
        InstallationAssessment(
            installation_id=row.id, at=row.updated_at, actor=scope.actor, lines=stored, exposed_people=people,
            s=row.s, r=row.r, major=row.major, grade=row.grade,
        )
    )  # fmt: skip


def get(*, session: Session, scope: Scope, installation_id: int) -> Installation:
    scope.require(READ)
    row = session.get(Installation, installation_id)
    if row is None:
        raise NotFound("installation not found")
    enterprise_service.get(session=session, scope=scope, enterprise_id=row.enterprise_id)  # 404 outside scope
    return row


def create(*, session: Session, scope: Scope, installation_in: InstallationIn) -> Installation:
    scope.require(WRITE)
    enterprise = enterprise_service.get(session=session, scope=scope, enterprise_id=installation_in.enterprise_id)
    row = Installation(
        enterprise_id=enterprise.id, division_code=enterprise.division_code, name=installation_in.name,
        unit_kind=installation_in.unit_kind, exposed_people=installation_in.exposed_people, lines=[], s="0",
        major=False, monitoring_site=installation_in.monitoring_site,
    )  # fmt: skip
    audit.created(session, scope, row, entity="installation", division_code=row.division_code)
    _apply(session, scope, row, installation_in.lines, installation_in.exposed_people)
    return row


def set_inventory(*, session: Session, scope: Scope, installation_id: int, inventory: InventoryIn) -> Installation:
    """Replace the inventory lines and recompute S, R and the grade (the previous assessment stays in the
    history)."""
    row = get(session=session, scope=scope, installation_id=installation_id)
    scope.require(WRITE)
    before = audit.snapshot(row)
    _apply(session, scope, row, inventory.lines, inventory.exposed_people)
    audit.acted(
        session, scope, row, entity="installation", action="inventory", before=before, after=audit.snapshot(row)
    )
    return row


def list_installations(
    *, session: Session, scope: Scope, enterprise_id: int | None = None, major: bool | None = None,
    limit: int | None = 100, offset: int = 0,
) -> tuple[list[Installation], int]:  # fmt: skip
    scope.require(READ)
    stmt = select(Installation).where(
        enterprise_service.visible(
            session=session, scope=scope, enterprise_id=Installation.enterprise_id,
            division_code=Installation.division_code,
        )
    )  # fmt: skip
    if enterprise_id:
        stmt = stmt.where(Installation.enterprise_id == enterprise_id)
    if major is not None:
        stmt = stmt.where(Installation.major.is_(major))
    return paginate(session, stmt, Installation.id, limit=limit, offset=offset)


def assessments(*, session: Session, scope: Scope, installation_id: int) -> list[InstallationAssessment]:
    get(session=session, scope=scope, installation_id=installation_id)
    return list(
        session.scalars(
            select(InstallationAssessment)
            .where(InstallationAssessment.installation_id == installation_id)
            .order_by(InstallationAssessment.id)
        )
    )


def monitored(*, session: Session, scope: Scope) -> list[Installation]:
    """Installations of the caller's view that name a monitoring site."""
    rows, _ = list_installations(session=session, scope=scope, limit=None)
    return [r for r in rows if r.monitoring_site]


def monitoring(*, session: Session, scope: Scope, installation: Installation, now: dt.datetime) -> dict[str, Any]:
    """The installation's online monitoring: connected or not, alive or not, device alarms (monitoring
    domain's site health)."""
    from yingji.monitoring import service as monitoring_service

    if not installation.monitoring_site:
        return {"connected": False, "alive": False}
    health = monitoring_service.site_health(
        session=session,
        scope=scope,
        site_code=installation.monitoring_site,
        now=now,
        division_code=installation.division_code,
    )
    if health is None:
        return {"connected": False, "alive": False, "site": installation.monitoring_site}
    return {"connected": True, **health}


def record_check(*, session: Session, scope: Scope, installation_id: int, present: bool, note: str) -> Installation:
    """A check made at the installation (a person scanned its QR code): audited, with whether the label's tag
    proved presence."""
    row = get(session=session, scope=scope, installation_id=installation_id)
    scope.require(WRITE)
    audit.acted(
        session,
        scope,
        row,
        entity="installation",
        action="site_check",
        after={"present": present, "note": note, "at": utcnow().isoformat()},
    )
    return row
