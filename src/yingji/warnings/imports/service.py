"""Warnings of other issuers taken in: a CAP 1.2 alert or an Atom feed of them (known alerts skipped, Cancels
applied). Services never commit; every write is audited."""

from __future__ import annotations

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji import untrusted_xml
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import InvalidInput, NotFound
from yingji.geo import service as division_service
from yingji.warnings import cap
from yingji.warnings.models import PublicWarning, WarningDivision
from yingji.warnings.service import ISSUE, audit_warning, from_ms, mark_cancelled


def _alerts(xml: bytes) -> list[etree._Element]:
    try:
        root = untrusted_xml.parse(xml)
    except etree.XMLSyntaxError as exc:
        raise InvalidInput(f"xml: not well-formed XML ({exc})", field="xml") from exc
    if root.tag == f"{{{cap.CAP_NS}}}alert":
        return [root]
    found = list(root.iterfind(f".//{{{cap.CAP_NS}}}alert"))
    if not found:
        raise InvalidInput("xml: neither a CAP 1.2 alert nor a feed holding CAP alerts", field="xml")
    return found


def import_cap(*, session: Session, scope: Scope, xml: bytes, now: int) -> dict[str, int]:
    """Take in warnings of other issuers (a CAP alert or an Atom feed of them). An alert already known is
    skipped; a Cancel referencing a known one cancels it. Named geocodes in the caller's reach become the
    warned divisions; else the caller's division."""
    scope.require(ISSUE)
    counts = {"imported": 0, "cancelled": 0, "skipped": 0}
    for element in _alerts(xml)[:500]:
        text = etree.tostring(element, encoding="unicode")
        parsed = cap.parse_element(element)
        errors = cap.validate(text.encode("utf-8"))
        if errors or not parsed.identifier:
            counts["skipped"] += 1
            continue
        if session.scalar(select(PublicWarning.id).where(PublicWarning.identifier == parsed.identifier)):
            counts["skipped"] += 1
            continue
        referenced = [r.split(",")[1] for r in parsed.references if r.count(",") == 2]
        if parsed.msg_type == "Cancel" and referenced:
            known = session.scalars(
                select(PublicWarning).where(
                    PublicWarning.identifier.in_(referenced), PublicWarning.source == "imported"
                )
            ).all()
            for warning in known:
                if scope.covers(warning.division_code) and warning.status == "active":
                    mark_cancelled(session, scope, warning, parsed.identifier)
                    counts["cancelled"] += 1
            if known:
                continue
        codes = []
        for geocode in parsed.geocodes:
            try:
                division = division_service.get(session=session, scope=scope, code=geocode)
            except (NotFound, InvalidInput):
                continue
            if scope.covers(division.code):
                codes.append(division.code)
        warning = PublicWarning(
            identifier=parsed.identifier[:200],
            sender=parsed.sender[:200],
            division_code=scope.division_code,
            source="imported",
            colour=parsed.colour if parsed.colour in cap.COLOUR_LEVELS else None,
            type=(parsed.type or None) and parsed.type[:40],
            headline=(parsed.headline or parsed.event or "")[:300],
            description="",
            instruction="",
            area={
                "description": "; ".join(parsed.area_descriptions),
                "polygons": [],
                "circles": [],
                "divisions": codes,
                "cap_polygons": list(parsed.polygons),
                "cap_circles": list(parsed.circles),
            },
            status="active" if parsed.msg_type != "Cancel" else "cancelled",
            msg_type=parsed.msg_type[:8],
            version=1,
            references=list(parsed.references),
            sent_at=from_ms(parsed.sent or now),
            expires_at=from_ms(parsed.expires) if parsed.expires else None,
            cap_xml=text,
            created_by=scope.actor,
            updated_at=utcnow(),
        )
        warning.divisions = [WarningDivision(code=c) for c in sorted(set(codes) or {scope.division_code})]
        session.add(warning)
        session.flush()
        audit_warning(session, scope, "import", warning, {"identifier": warning.identifier, "sender": warning.sender})
        counts["imported"] += 1
    return counts
