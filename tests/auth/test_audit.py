"""The audit log: every service write appends an entry; the log refuses changes."""

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from yingji.auth import audit, service
from yingji.auth.models import AuditEntry
from yingji.auth.scope import system_scope

SYSTEM = system_scope("auditor-test")


def test_user_creation_is_audited_without_the_password_hash(session: Session) -> None:
    user = service.create_user(
        session=session,
        scope=SYSTEM,
        username="audited",
        password="Correct-horse-9!",
        role="analyst",
        division_code="540223",
    )
    entry = session.scalars(
        select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.entity_id == str(user.id))
    ).one()
    assert entry.actor == "auditor-test" and entry.action == "create" and entry.before is None
    assert entry.after is not None and entry.after["username"] == "audited"
    assert "password_hash" not in entry.after


def test_disabling_records_before_and_after(session: Session) -> None:
    service.set_disabled(session=session, scope=SYSTEM, username="lazi_duty")
    rows, _ = audit.query(session=session, scope=SYSTEM, entity="user", actor="auditor-test")
    assert rows[0].action == "disable"
    assert rows[0].before is not None and rows[0].before["disabled"] is False
    assert rows[0].after is not None and rows[0].after["disabled"] is True


@pytest.mark.parametrize("statement", ["UPDATE audit_log SET actor = 'mallory'", "DELETE FROM audit_log"])
def test_raw_update_or_delete_of_the_audit_log_is_rejected(engine: Engine, statement: str) -> None:
    with engine.connect() as conn:
        before = conn.execute(text("SELECT count(*) FROM audit_log")).scalar()
        assert before
        with pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text(statement))
        conn.rollback()
        assert conn.execute(text("SELECT count(*) FROM audit_log")).scalar() == before


def test_truncate_of_the_audit_log_is_rejected_on_postgres(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists only on PostgreSQL")
    with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
        conn.execute(text("TRUNCATE audit_log"))
