"""Tip operations: intake (public), status by tracking code (public), the staff inbox (scoped).

Photos are judged and re-encoded (:mod:`yingji.tips.photos`) before anything is written, so a refused file
leaves neither files nor rows. Files are named by content hash and written whole (a temporary name, then a
rename), so a retried or duplicate photo is one file.
"""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import paginate, utcnow
from yingji.errors import InvalidInput, NotFound
from yingji.geo import service as geo_service
from yingji.tips import tracking
from yingji.tips.models import Tip, TipPhoto
from yingji.tips.photos import CleanPhoto
from yingji.tips.schemas import TipIn

ENTITY = "tip"
IDENTITY_PERMISSION = "tips:identity"
PUBLIC = Scope(actor="public", division_code="", prefix="-", role="public")  # covers no division


def _division_of(session: Session, tip_in: TipIn) -> str:
    if tip_in.division is not None:
        try:
            return geo_service.get_unscoped(session=session, code=tip_in.division).code
        except (NotFound, InvalidInput):
            raise InvalidInput(f"division {tip_in.division} does not exist", field="division") from None
    assert tip_in.lon is not None and tip_in.lat is not None
    everywhere = Scope(actor="public", division_code="", prefix="")
    for level in ("township", "county"):
        found = geo_service.locate(session=session, scope=everywhere, lons=[tip_in.lon], lats=[tip_in.lat], level=level)
        if found[0] is not None:
            return found[0]
    raise InvalidInput("the point lies in no known division", field="lon")


def _store(directory: Path, photo: CleanPhoto) -> str:
    relative = f"{photo.sha256[:2]}/{photo.sha256}.{photo.extension}"
    target = directory / relative
    if target.exists():
        return relative
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(photo.content)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return relative


def submit(
    *, session: Session, scope: Scope, tip_in: TipIn, photos: Sequence[CleanPhoto], photo_dir: Path
) -> tuple[Tip, str]:
    """Record a tip; return it with its tracking code (the only time the code exists in clear)."""
    division = _division_of(session, tip_in)
    code = tracking.new_code(secrets.token_bytes)
    now = utcnow()
    named = not tip_in.anonymous
    tip = Tip(
        code_digest=tracking.digest(code),
        category=tip_in.category,
        text=tip_in.text,
        division_code=division,
        lon=tip_in.lon,
        lat=tip_in.lat,
        anonymous=not named,
        reporter_name=tip_in.name if named else None,
        reporter_phone=tip_in.phone if named else None,
        status="received",
        created_at=now,
        updated_at=now,
    )
    for position, photo in enumerate(photos, start=1):
        tip.photos.append(
            TipPhoto(
                position=position,
                sha256=photo.sha256,
                path=_store(photo_dir, photo),
                media_type=photo.media_type,
                size=len(photo.content),
                width=photo.width,
                height=photo.height,
            )
        )
    session.add(tip)
    session.flush()
    audit.record(session=session, scope=scope, action="submit", entity=ENTITY, entity_id=tip.id,
                 division_code=division,
                 after={"category": tip.category, "anonymous": tip.anonymous, "photos": len(photos)})  # fmt: skip
    return tip, code


def status(*, session: Session, tracking_code: str) -> tuple[Tip, str]:
    """The tip a tracking code names, and its division's name; unknown or malformed codes are 404 alike."""
    if tracking.normalise(tracking_code) is None:
        raise NotFound("no tip has this tracking code")
    tip = session.scalar(select(Tip).where(Tip.code_digest == tracking.digest(tracking_code)))
    if tip is None:
        raise NotFound("no tip has this tracking code")
    names = geo_service.names_of(session=session, codes=[tip.division_code])
    return tip, names.get(tip.division_code, "")


def list_tips(
    *, session: Session, scope: Scope, status_is: str | None = None, limit: int = 50, offset: int = 0
) -> tuple[list[Tip], int]:
    scope.require("tips:read")
    stmt = select(Tip).where(scope.where_covered(Tip.division_code)).options(selectinload(Tip.photos))
    if status_is is not None:
        stmt = stmt.where(Tip.status == status_is)
    return paginate(session, stmt, Tip.created_at.desc(), Tip.id.desc(), limit=limit, offset=offset)


def get(*, session: Session, scope: Scope, tip_id: int) -> Tip:
    scope.require("tips:read")
    tip = session.get(Tip, tip_id)
    if tip is None or not scope.covers(tip.division_code):
        raise NotFound("tip not found")
    return tip


def reporter(*, session: Session, scope: Scope, tip_id: int) -> Tip:
    """The tip, for reading its reporter's name and phone: needs the identity permission (403 without), and
    every disclosure is audited (a write: callers use a writing transaction)."""
    tip = get(session=session, scope=scope, tip_id=tip_id)
    scope.require(IDENTITY_PERMISSION)
    audit.record(session=session, scope=scope, action="read_identity", entity=ENTITY, entity_id=tip.id,
                 division_code=tip.division_code)  # fmt: skip
    return tip
