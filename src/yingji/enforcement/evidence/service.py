"""Evidence files of penalty cases (证据): add a file to a case of the caller's subtree at a stage the case has
reached (``enforcement:write``; refused once the case is closed), list a case's files and read one
(``enforcement:read``; 404 outside the subtree). Every file added and every file read writes an audit entry.
Files live under the evidence directory (``YINGJI_EVIDENCE_DIR``, default ``<state_dir>/evidence``); the rows
hold each one's SHA-256, size, type, uploader, time, description and stage. Services never commit."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.config import Settings
from yingji.db import utcnow
from yingji.enforcement import penalty
from yingji.enforcement.cases import service as cases
from yingji.enforcement.cases.models import CaseEvidence
from yingji.enforcement.evidence import files
from yingji.errors import Conflict, InvalidInput, NotFound

READ, WRITE = cases.READ, cases.WRITE
STAGES = penalty.STATES[:-1]  # every state but closed (结案): nothing is added after it


def directory(settings: Settings) -> Path:
    return settings.evidence_dir if settings.evidence_dir is not None else settings.state_dir / "evidence"


def add(*, session: Session, scope: Scope, case_id: int, source: BinaryIO, filename: str, description: str,
        stage: str | None, settings: Settings) -> CaseEvidence:  # fmt: skip
    """Store ``source`` as evidence of the case at ``stage`` (default: the case's state). The case is checked
    first (404 outside the subtree, 409 when closed), so nothing reaches the disk for a refused request."""
    scope.require(WRITE)
    case = cases.get_case(session=session, scope=scope, case_id=case_id)
    scope.require_write(case.division_code, "case")
    if case.state not in STAGES:
        raise Conflict("the case is closed (结案): its evidence is no longer changed")
    reached = STAGES[: STAGES.index(case.state) + 1]
    stage = stage or case.state
    if stage not in reached:
        raise InvalidInput(f"the stage is one the case has reached: {', '.join(reached)}", field="stage")
    try:
        stored = files.store(source, directory(settings), max_bytes=settings.evidence_max_bytes)
    except files.EvidenceError as exc:
        raise InvalidInput(str(exc), field="file") from None
    row = CaseEvidence(case_id=case.id, division_code=case.division_code, stage=stage, description=description,
                       filename=filename[:200], media_type=stored.media_type, size=stored.size, sha256=stored.sha256,
                       path=stored.path, uploaded_by=scope.actor, uploaded_at=utcnow())  # fmt: skip
    audit.created(session, scope, row, entity="case_evidence", division_code=row.division_code)
    return row


def list_for(*, session: Session, scope: Scope, case_id: int) -> list[CaseEvidence]:
    case = cases.get_case(session=session, scope=scope, case_id=case_id)
    stmt = select(CaseEvidence).where(CaseEvidence.case_id == case.id).order_by(CaseEvidence.id)
    return list(session.scalars(stmt))


def get(*, session: Session, scope: Scope, case_id: int, evidence_id: int) -> CaseEvidence:
    case = cases.get_case(session=session, scope=scope, case_id=case_id)
    row = session.get(CaseEvidence, evidence_id)
    if row is None or row.case_id != case.id:
        raise NotFound("evidence not found")
    return row


def record_read(*, session: Session, scope: Scope, row: CaseEvidence) -> None:
    """The audit entry of one read of an evidence file (written in its own transaction by the route)."""
    audit.acted(session, scope, row, entity="case_evidence", action="download",
                after={"sha256": row.sha256, "case_id": row.case_id}, division_code=row.division_code)  # fmt: skip


def path_of(row: CaseEvidence, settings: Settings) -> Path:
    try:
        found = files.open_stored(directory(settings), row.path)
    except files.EvidenceError:
        raise NotFound("evidence file not found") from None
    if not found.is_file():
        raise NotFound("evidence file not found")
    return found
