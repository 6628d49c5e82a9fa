"""Organisations and their contacts (who receives tasks)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.incidents.models import Contact, Organisation
from yingji.incidents.records.service import _written_at
from yingji.incidents.schemas import ContactIn, OrganisationIn
from yingji.incidents.tasks.service import _organisation_readable


def create_organisation(*, session: Session, scope: Scope, organisation_in: OrganisationIn) -> Organisation:
    code = _written_at(session, scope, organisation_in.division_code)
    parent = _organisation_readable(session, scope, organisation_in.parent_id) if organisation_in.parent_id else None
    organisation = Organisation(
        name=organisation_in.name,
        kind=organisation_in.kind,
        division_code=code,
        parent_id=parent.id if parent else None,
        phone=organisation_in.phone,
        created_at=utcnow(),
    )
    audit.created(session, scope, organisation, entity="organisation", division_code=code)
    return organisation


def list_organisations(
    *, session: Session, scope: Scope, q: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[Organisation], int]:
    stmt = access.readable_rows(scope, Organisation, "incidents:read")
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
    audit.created(session, scope, contact, entity="contact", division_code=organisation.division_code)
    return contact
