"""Follow-up inspections (复查): after a rectification order (责令限期整改指令书) with its deadline, two or more
inspectors check each ordered item — every finding of the inspection — as rectified or not. The work-safety
hazards linked to the findings move through the hazard register's own service (``act``): a rectified item's
hazard that the enterprise reported rectified is verified (复核); an item not rectified sends a hazard reported
rectified back (``reject``), or a verified one (``fail_verification``); a hazard in any other state is left as it
is and the item says so (empty ``hazard_action``). Items not rectified stay open, or become one penalty case
(``open_case``) filed on the follow-up's day, linked to the inspection. Services never commit."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.enforcement import documents
from yingji.enforcement.cases import service as cases
from yingji.enforcement.cases.models import Finding, FollowUp, FollowUpItem, Inspection, PenaltyCase
from yingji.enforcement.cases.schemas import CaseIn, FollowUpIn
from yingji.errors import InvalidInput
from yingji.hazards.enterprises import service as enterprise_service
from yingji.hazards.register import service as hazard_service
from yingji.hazards.register.schemas import ActionIn

READ, WRITE = cases.READ, cases.WRITE
# (rectified?, the hazard's state) -> the hazard register's action (yingji.hazards.lifecycle.MOVES)
HAZARD_MOVES = {
    (True, "rectified"): "verify",  # 复核: the regulator's verification record
    (False, "rectified"): "reject",  # 整改不合格: back to rectifying
    (False, "verified"): "fail_verification",
}
# 安全生产法 (2021) 第一百零二条: a unit that does not remove an accident hazard as ordered is fined (up to 50,000
# yuan), and one that refuses is ordered to stop production for rectification.
CASE_BASIS = "《中华人民共和国安全生产法》第一百零二条"


def _ordered(session: Session, scope: Scope, inspection_id: int) -> tuple[Inspection, dict[int, Finding]]:
    inspection = cases.get_inspection(session=session, scope=scope, inspection_id=inspection_id)
    if inspection.rectification_deadline is None:
        raise InvalidInput("the inspection has no rectification order (责令限期整改) to follow up",
                           field="inspection_id")  # fmt: skip
    findings = cases.findings_of(session=session, inspection_ids=[inspection.id])[inspection.id]
    return inspection, {f.id: f for f in findings}


def _check_items(findings: dict[int, Finding], follow_up_in: FollowUpIn) -> None:
    named = [item.finding_id for item in follow_up_in.items]
    if len(set(named)) != len(named):
        raise InvalidInput("an ordered item is named twice", field="items")
    unknown = sorted(set(named) - set(findings))
    if unknown:
        raise InvalidInput(f"not a finding of the inspection: {unknown}", field="items")
    missing = sorted(set(findings) - set(named))
    if missing:
        raise InvalidInput(f"every ordered item is checked at the follow-up; missing: {missing}", field="items")
    if follow_up_in.open_case and all(item.rectified for item in follow_up_in.items):
        raise InvalidInput("every item is rectified: there is nothing to file a case for", field="open_case")


def _move_hazard(session: Session, scope: Scope, hazard_id: int, rectified: bool, follow_up: FollowUp) -> str:
    hazard = hazard_service.get(session=session, scope=scope, hazard_id=hazard_id)
    action = HAZARD_MOVES.get((rectified, hazard.state), "")
    if action:
        reason = "" if rectified else f"复查未整改（复查 #{follow_up.id}）"
        body = ActionIn(reason=reason, note=f"整改复查意见书 #{follow_up.id}（{follow_up.inspected_on.isoformat()}）",
                        evidence=[f"enforcement/follow-ups/{follow_up.id}"])  # fmt: skip
        hazard_service.act(session=session, scope=scope, hazard_id=hazard_id, action=action, body=body)
    return action


def create(*, session: Session, scope: Scope, inspection_id: int, follow_up_in: FollowUpIn) -> FollowUp:
    """Record a follow-up of the inspection's rectification order; refused (422) unless the inspection has an
    order, the day is not before the inspection and every finding is checked exactly once."""
    scope.require(WRITE)
    inspection, findings = _ordered(session, scope, inspection_id)
    scope.require_write(inspection.division_code, "inspection")
    if follow_up_in.inspected_on < inspection.inspected_on:
        raise InvalidInput("a follow-up is not dated before the inspection", field="inspected_on")
    _check_items(findings, follow_up_in)
    ids = list(dict.fromkeys(follow_up_in.inspector_ids))
    if len(ids) < cases.PAIR:
        raise InvalidInput("a follow-up needs at least two distinct inspectors (行政处罚法第四十二条)",
                           field="inspector_ids")  # fmt: skip
    cases.check_inspectors(session=session, scope=scope, enterprise_id=inspection.enterprise_id, inspector_ids=ids)
    row = FollowUp(inspection_id=inspection.id, division_code=inspection.division_code,
                   enterprise_id=inspection.enterprise_id, inspector_ids=ids, inspected_on=follow_up_in.inspected_on,
                   summary=follow_up_in.summary, case_id=None, created_by=scope.actor, created_at=utcnow())  # fmt: skip
    session.add(row)
    session.flush()
    for item in follow_up_in.items:
        hazard_id = findings[item.finding_id].hazard_id
        action = _move_hazard(session, scope, hazard_id, item.rectified, row) if hazard_id else ""
        session.add(FollowUpItem(follow_up_id=row.id, finding_id=item.finding_id, rectified=item.rectified,
                                 note=item.note, hazard_id=hazard_id, hazard_action=action))  # fmt: skip
    if follow_up_in.open_case:
        row.case_id = _open_case(session, scope, inspection, row, findings, follow_up_in).id
    audit.created(session, scope, row, entity="follow_up", division_code=row.division_code)
    return row


def _open_case(session: Session, scope: Scope, inspection: Inspection, row: FollowUp, findings: dict[int, Finding],
               follow_up_in: FollowUpIn) -> PenaltyCase:  # fmt: skip
    open_items = [findings[i.finding_id].text for i in follow_up_in.items if not i.rectified]
    deadline = inspection.rectification_deadline or row.inspected_on
    listed = "；".join(f"{n}. {text}" for n, text in enumerate(open_items, start=1))
    facts = (f"你单位未按《责令限期整改指令书》（{cases.order_number(inspection)}）的要求于{_zh(deadline)}前整改完毕，"
             f"经{_zh(row.inspected_on)}复查，下列问题仍未整改：{listed}")  # fmt: skip
    case_in = CaseIn(enterprise_id=inspection.enterprise_id, inspection_id=inspection.id,
                     title=follow_up_in.case_title or "逾期未整改", facts=facts[:5000], legal_basis=CASE_BASIS,
                     filed_on=row.inspected_on)  # fmt: skip
    return cases.create_case(session=session, scope=scope, case_in=case_in)


def get(*, session: Session, scope: Scope, follow_up_id: int) -> FollowUp:
    return access.get_covered(
        session=session, scope=scope, model=FollowUp, row_id=follow_up_id, what="follow-up", permission=READ
    )


def list_for(*, session: Session, scope: Scope, inspection_id: int) -> list[FollowUp]:
    """The follow-ups of an inspection of the caller's subtree, first to last."""
    inspection = cases.get_inspection(session=session, scope=scope, inspection_id=inspection_id)
    stmt = select(FollowUp).where(FollowUp.inspection_id == inspection.id).order_by(FollowUp.inspected_on, FollowUp.id)
    return list(session.scalars(stmt))


def items_of(*, session: Session, follow_up_ids: list[int]) -> dict[int, list[tuple[FollowUpItem, str]]]:
    """Each follow-up's items with their finding's text, in the order of the findings."""
    out: dict[int, list[tuple[FollowUpItem, str]]] = {i: [] for i in follow_up_ids}
    if follow_up_ids:
        stmt = (select(FollowUpItem, Finding.text).join(Finding, Finding.id == FollowUpItem.finding_id)
                .where(FollowUpItem.follow_up_id.in_(follow_up_ids)).order_by(FollowUpItem.finding_id))  # fmt: skip
        for item, text in session.execute(stmt).all():
            out[item.follow_up_id].append((item, text))
    return out


def _zh(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def document(*, session: Session, scope: Scope, follow_up_id: int) -> bytes:
    """整改复查意见书 (PDF): the order followed up, each item rectified or not, and what follows."""
    row = get(session=session, scope=scope, follow_up_id=follow_up_id)
    inspection = cases.get_inspection(session=session, scope=scope, inspection_id=row.inspection_id)
    enterprise = enterprise_service.get(session=session, scope=scope, enterprise_id=row.enterprise_id)
    items = items_of(session=session, follow_up_ids=[row.id])[row.id]
    deadline = inspection.rectification_deadline or row.inspected_on
    opened = "；对未整改的问题，本机关已依法立案查处" if row.case_id else "；对未整改的问题，本机关将依法处理"
    done = all(i.rectified for i, _ in items)
    verdict = "上述问题已整改完毕。" if done else f"上述未整改的问题，你单位应当立即整改{opened}。"
    doc = documents.Document(
        issuer=cases.issuer_of(session, row.division_code), title="整改复查意见书",
        number=f"（{row.inspected_on.year}）复查〔{row.id}〕号", addressee=enterprise.name,
        paragraphs=[f"本机关于{_zh(inspection.inspected_on)}作出了《责令限期整改指令书》（{cases.order_number(inspection)}），"
                    f"责令你单位于{_zh(deadline)}前整改完毕。经{_zh(row.inspected_on)}对你单位整改情况进行复查，"
                    "提出如下意见："],
        items=[f"{text}：{'已整改' if item.rectified else '未整改'}{'（' + item.note + '）' if item.note else ''}"
               for item, text in items],
        closing=[verdict,
                 f"复查人员：{cases.inspector_line(session, scope, row.inspector_ids)}"],
        signatures=["被复查单位负责人", "执法人员"], dated=row.inspected_on,
    )  # fmt: skip
    return documents.render(doc)
