"""Inspections and penalty cases: record an inspection (from a drawn pair or named inspectors), its findings
(hazards reported to the work-safety register and linked), penalty cases moved step by step with their
statutory clocks, and the enforcement documents as PDF. Services never commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Integer, cast, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import Session

from yingji.auth import access, audit
from yingji.auth.scope import Scope
from yingji.db import rows_by, utcnow
from yingji.enforcement import clocks, documents, penalty
from yingji.enforcement import service as enforcement_service
from yingji.enforcement.cases.models import CaseEvent, Finding, Inspection, PenaltyCase
from yingji.enforcement.cases.schemas import CaseIn, FindingIn, InspectionIn, StepIn
from yingji.errors import InvalidInput, NotFound
from yingji.geo import service as geo_service
from yingji.hazards.enterprises import service as enterprise_service
from yingji.hazards.register import service as hazard_service
from yingji.hazards.register.schemas import HazardIn

READ, WRITE = enforcement_service.READ, enforcement_service.WRITE
PAIR = 2  # 行政处罚法 (2021) 第四十二条: at least two enforcement officers


def today() -> dt.date:
    return utcnow().date()


# -- inspections ------------------------------------------------------------------------------------


def _inspectors_for(session: Session, scope: Scope, inspection_in: InspectionIn) -> tuple[list[int], int | None]:
    """(inspector ids, plan id): the pair drawn for the enterprise, or the inspectors named."""
    plan_id = inspection_in.plan_id
    if inspection_in.draw_id is not None:
        drawn = enforcement_service.get_draw(session=session, scope=scope, draw_id=inspection_in.draw_id)
        wanted = inspection_in.enterprise_id
        pair = next((ids for _, e, ids in enforcement_service.pairs_of(drawn) if e == wanted), None)
        if pair is None:
            raise InvalidInput("the draw has no pair for this enterprise", field="enterprise_id")
        return pair, drawn.plan_id
    if plan_id is not None:
        enforcement_service.get_plan(session=session, scope=scope, plan_id=plan_id)
    ids = list(dict.fromkeys(inspection_in.inspector_ids))
    if len(ids) < PAIR:
        raise InvalidInput("an inspection needs at least two distinct inspectors (行政处罚法第四十二条) or a draw",
                           field="inspector_ids")  # fmt: skip
    return ids, plan_id


def check_inspectors(*, session: Session, scope: Scope, enterprise_id: int, inspector_ids: list[int]) -> None:
    """Every inspector active, in the caller's subtree (404 otherwise) and without a recusal tie (回避) to the
    enterprise — checked at each inspection, since a tie may have been recorded after the draw."""
    tied = {r.inspector_id for rows in enforcement_service.recusals_of(session=session, inspector_ids=inspector_ids)
            .values() for r in rows if r.enterprise_id == enterprise_id}  # fmt: skip
    for inspector_id in inspector_ids:
        inspector = enforcement_service.get_inspector(session=session, scope=scope, inspector_id=inspector_id)
        if not inspector.active:
            raise InvalidInput(f"inspector {inspector_id} is not active", field="inspector_ids")
        if inspector_id in tied:
            raise InvalidInput(f"inspector {inspector_id} has a recusal tie (回避) to this enterprise",
                               field="inspector_ids")  # fmt: skip


def create_inspection(*, session: Session, scope: Scope, inspection_in: InspectionIn) -> Inspection:
    scope.require(WRITE)
    enterprise = enterprise_service.get(session=session, scope=scope, enterprise_id=inspection_in.enterprise_id)
    scope.require_write(enterprise.division_code, "enterprise")
    ids, plan_id = _inspectors_for(session, scope, inspection_in)
    check_inspectors(session=session, scope=scope, enterprise_id=enterprise.id, inspector_ids=ids)
    row = Inspection(
        division_code=enterprise.division_code, enterprise_id=enterprise.id, plan_id=plan_id,
        draw_id=inspection_in.draw_id, inspector_ids=ids, inspected_on=inspection_in.inspected_on,
        summary=inspection_in.summary, rectification_deadline=inspection_in.rectification_deadline,
        created_by=scope.actor, created_at=utcnow(),
    )  # fmt: skip
    audit.created(session, scope, row, entity="inspection", division_code=row.division_code)
    return row


def get_inspection(*, session: Session, scope: Scope, inspection_id: int) -> Inspection:
    return access.get_covered(
        session=session, scope=scope, model=Inspection, row_id=inspection_id, what="inspection", permission=READ
    )


list_inspections = access.Listing.covered(
    Inspection, READ, order=(Inspection.inspected_on.desc(), Inspection.id.desc()), equal=("enterprise_id",)
)


def findings_of(*, session: Session, inspection_ids: list[int]) -> dict[int, list[Finding]]:
    return rows_by(session, Finding.inspection_id, inspection_ids)


def add_finding(*, session: Session, scope: Scope, inspection_id: int, finding_in: FindingIn) -> Finding:
    """Record a finding; with ``hazard_title`` it is reported to the work-safety hazard register (source
    ``inspection``) and the finding keeps the hazard's id."""
    scope.require(WRITE)
    inspection = get_inspection(session=session, scope=scope, inspection_id=inspection_id)
    scope.require_write(inspection.division_code, "inspection")
    hazard_id = None
    if finding_in.hazard_title:
        hazard = hazard_service.report(
            session=session, scope=scope,
            hazard_in=HazardIn(enterprise_id=inspection.enterprise_id, title=finding_in.hazard_title,
                               description=f"{finding_in.text}\n（现场检查记录 #{inspection.id}）"[:5000],
                               source="inspection"),
        )  # fmt: skip
        hazard_id = hazard.id
    row = Finding(inspection_id=inspection.id, text=finding_in.text, violation=finding_in.violation,
                  hazard_id=hazard_id, created_by=scope.actor, created_at=utcnow())  # fmt: skip
    audit.created(session, scope, row, entity="inspection_finding", division_code=inspection.division_code)  # fmt: skip
    return row


# -- penalty cases ----------------------------------------------------------------------------------


def create_case(*, session: Session, scope: Scope, case_in: CaseIn) -> PenaltyCase:
    """File a case (立案); its clocks follow the regime in force on the filing day."""
    scope.require(WRITE)
    enterprise = enterprise_service.get(session=session, scope=scope, enterprise_id=case_in.enterprise_id)
    scope.require_write(enterprise.division_code, "enterprise")
    if case_in.inspection_id is not None:
        inspection = get_inspection(session=session, scope=scope, inspection_id=case_in.inspection_id)
        if inspection.enterprise_id != enterprise.id:
            raise InvalidInput("the inspection is of another enterprise", field="inspection_id")
    try:
        regime = clocks.regime_for(case_in.filed_on)
    except clocks.ClockError as exc:
        raise InvalidInput(str(exc), field="filed_on") from None
    moment = utcnow()
    row = PenaltyCase(
        division_code=enterprise.division_code, enterprise_id=enterprise.id, inspection_id=case_in.inspection_id,
        title=case_in.title, facts=case_in.facts, legal_basis=case_in.legal_basis, proposed_penalty="", decision="",
        fine_yuan=None, regime_id=regime["id"], state="filed", filed_on=case_in.filed_on, decision_days=None,
        created_by=scope.actor, created_at=moment, updated_at=moment,
    )  # fmt: skip
    audit.created(session, scope, row, entity="penalty_case", division_code=row.division_code)
    return row


def get_case(*, session: Session, scope: Scope, case_id: int) -> PenaltyCase:
    return access.get_covered(
        session=session, scope=scope, model=PenaltyCase, row_id=case_id, what="case", permission=READ
    )


list_cases = access.Listing.covered(
    PenaltyCase, READ, order=(PenaltyCase.filed_on.desc(), PenaltyCase.id.desc()), equal=("state",)
)


def events_of(*, session: Session, case_ids: list[int]) -> dict[int, list[CaseEvent]]:
    return rows_by(session, CaseEvent.case_id, case_ids)


def event_days(case: PenaltyCase, events: list[CaseEvent]) -> dict[str, dt.date]:
    """The clock events of a case (``filed``, ``notified``, ``hearing_at`` …) with their days."""
    days: dict[str, dt.date] = {"filed": case.filed_on}
    for event in events:
        days.setdefault(penalty.EVENT_OF_STEP.get(event.kind, event.kind), event.on)
        if event.kind == "hearing_notified" and event.data.get("hearing_at"):
            days.setdefault("hearing_at", dt.date.fromisoformat(event.data["hearing_at"]))
    return days


def regime_of(case: PenaltyCase) -> dict[str, Any]:
    """The case's regime; a stored id this program does not know (an edited row, a retired file) falls back to
    the regime of the filing day, which is how the id was chosen."""
    try:
        return clocks.regime_by_id(case.regime_id)
    except clocks.ClockError:
        return clocks.regime_for(case.filed_on)


def case_clocks(case: PenaltyCase, events: list[CaseEvent], on: dt.date) -> list[clocks.ClockState]:
    try:
        regime = regime_of(case)
    except clocks.ClockError:
        return []
    return clocks.evaluate(regime, event_days(case, events), on, extension_days=case.decision_days)


def step(*, session: Session, scope: Scope, case_id: int, step_in: StepIn) -> PenaltyCase:
    """Move a case one step (dated ``on``); refused steps change nothing and say why (422)."""
    scope.require(WRITE)
    case = get_case(session=session, scope=scope, case_id=case_id)
    scope.require_write(case.division_code, "case")
    events = events_of(session=session, case_ids=[case.id])[case.id]
    try:
        regime = regime_of(case)
    except clocks.ClockError as exc:
        raise InvalidInput(str(exc), field="kind") from None
    facts = step_in.facts if step_in.facts is not None else case.facts
    basis = step_in.legal_basis if step_in.legal_basis is not None else case.legal_basis
    proposal = step_in.proposed_penalty if step_in.proposed_penalty is not None else case.proposed_penalty
    try:
        after = penalty.next_state(
            case.state, penalty.Step(step_in.kind, step_in.on, step_in.hearing_at), filed=case.filed_on,
            events=event_days(case, events), last_step_on=max((e.on for e in events), default=None), regime=regime,
            extensions_used=sum(e.kind == "extend" for e in events),
            has_penalty_text=bool(facts and basis and proposal),
        )  # fmt: skip
        if step_in.kind == "decide" and not step_in.decision:
            raise penalty.StepRefused("the decision (决定) needs its text")
        if step_in.kind == "extend" and not step_in.approval:
            raise penalty.StepRefused("an extension needs the approval (who approved it)")
    except penalty.StepRefused as exc:
        raise InvalidInput(str(exc), field="kind") from None
    data: dict[str, Any] = {}
    case.facts, case.legal_basis, case.proposed_penalty = facts, basis, proposal
    if step_in.kind == "extend":
        extension = clocks.allowed_extensions(regime)[sum(e.kind == "extend" for e in events)]
        case.decision_days = int(extension["to_days"])
        data = {"to_days": case.decision_days, "approval": step_in.approval, "rule_approval": extension["approval"]}
    if step_in.kind == "decide":
        case.decision, case.fine_yuan = step_in.decision or "", step_in.fine_yuan
        data = {"fine_yuan": step_in.fine_yuan}
    if step_in.kind == "hearing_notified" and step_in.hearing_at is not None:
        data = {"hearing_at": step_in.hearing_at.isoformat()}
    before = case.state
    case.state, case.updated_at = after, utcnow()
    session.add(CaseEvent(case_id=case.id, kind=step_in.kind, on=step_in.on, from_state=before, to_state=after,
                          note=step_in.note, data=data, actor=scope.actor, recorded_at=case.updated_at))  # fmt: skip
    audit.acted(
        session,
        scope,
        case,
        entity="penalty_case",
        action=step_in.kind,
        before={"state": before},
        after={"state": after, **data},
    )
    return case


# -- documents --------------------------------------------------------------------------------------

INSPECTION_DOCUMENTS = ("record", "rectification")  # 现场检查记录, 责令限期整改指令书
CASE_DOCUMENTS = ("notice", "decision")  # 行政处罚告知书, 行政处罚决定书


def order_number(inspection: Inspection) -> str:
    """The number of the inspection's rectification order (责令限期整改指令书)."""
    return f"（{inspection.inspected_on.year}）责改〔{inspection.id}〕号"


def issuer_of(session: Session, division_code: str) -> str:
    name = geo_service.names_of(session=session, codes=[division_code]).get(division_code, "")
    return f"{name}应急管理局" if name else "应急管理局"


def inspector_line(session: Session, scope: Scope, ids: list[int]) -> str:
    rows = [enforcement_service.get_inspector(session=session, scope=scope, inspector_id=i) for i in ids]
    return "、".join(f"{r.name}（执法证号 {r.certificate_no}）" for r in rows)


def inspection_document(*, session: Session, scope: Scope, inspection_id: int, kind: str) -> bytes:
    inspection = get_inspection(session=session, scope=scope, inspection_id=inspection_id)
    enterprise = enterprise_service.get(session=session, scope=scope, enterprise_id=inspection.enterprise_id)
    findings = findings_of(session=session, inspection_ids=[inspection.id])[inspection.id]
    issuer = issuer_of(session, inspection.division_code)
    year = inspection.inspected_on.year
    day = inspection.inspected_on
    if kind == "record":
        doc = documents.Document(
            title="现场检查记录", number=f"（{year}）现检记〔{inspection.id}〕号",
            fields=[("被检查单位", enterprise.name), ("地址", enterprise.address or "—"),
                    ("检查时间", f"{year}年{inspection.inspected_on.month}月{inspection.inspected_on.day}日"),
                    ("检查人员", inspector_line(session, scope, inspection.inspector_ids)),
                    ("检查情况", inspection.summary or "—")],
            items=[f.text for f in findings] or ["未发现问题。"],
            signatures=["检查人员", "被检查单位现场负责人"], issuer=issuer, addressee=enterprise.name, dated=day,
        )  # fmt: skip
    elif kind == "rectification":
        if inspection.rectification_deadline is None:
            raise InvalidInput("the inspection has no rectification deadline", field="kind")
        deadline = inspection.rectification_deadline
        doc = documents.Document(
            title="责令限期整改指令书", number=order_number(inspection),
            paragraphs=["经查，你单位存在下列问题："],
            items=[f.text for f in findings] or ["（无）"],
            closing=[f"依据《中华人民共和国安全生产法》的有关规定，现责令你单位于{deadline.year}年{deadline.month}月"
                     f"{deadline.day}日前整改完毕，达到有关法律法规规章和标准规定的要求。整改期间，应当采取措施确保安全。",
                     "如果不服本指令，可以依法在六十日内申请行政复议，或者在六个月内依法提起行政诉讼，但本指令不停止执行。"],
            signatures=["执法人员", "被检查单位负责人"], issuer=issuer, addressee=enterprise.name, dated=day,
        )  # fmt: skip
    else:
        raise NotFound("no such document")
    return documents.render(doc)


def case_document(*, session: Session, scope: Scope, case_id: int, kind: str) -> bytes:
    case = get_case(session=session, scope=scope, case_id=case_id)
    enterprise = enterprise_service.get(session=session, scope=scope, enterprise_id=case.enterprise_id)
    issuer = issuer_of(session, case.division_code)
    events = events_of(session=session, case_ids=[case.id])[case.id]
    year = case.filed_on.year
    if kind == "notice":
        notified = next((e.on for e in events if e.kind == "notify"), None)
        if notified is None:
            raise InvalidInput("the case has not reached the notice (告知) step", field="kind")
        doc = documents.Document(
            issuer=issuer, title="行政处罚告知书", number=f"（{year}）应急罚告〔{case.id}〕号",
            addressee=enterprise.name,
            paragraphs=[f"经查，你单位{case.facts}", f"以上事实违反了{case.legal_basis}。",
                        f"依据有关规定，本机关拟对你单位作出以下行政处罚：{case.proposed_penalty}。"],
            closing=["依据《中华人民共和国行政处罚法》第四十四条、第四十五条、第六十三条、第六十四条的规定，你单位有权进行"
                     "陈述和申辩；符合听证条件的，可以在收到本告知书之日起五个工作日内向本机关提出听证要求，逾期视为放弃。"],
            dated=notified, signatures=["执法人员"],
        )  # fmt: skip
    elif kind == "decision":
        decided = next((e.on for e in events if e.kind == "decide"), None)
        if decided is None:
            raise InvalidInput("the case has not been decided", field="kind")
        fine = f"罚款人民币{case.fine_yuan:,}元。" if case.fine_yuan else ""
        doc = documents.Document(
            issuer=issuer, title="行政处罚决定书", number=f"（{year}）应急罚〔{case.id}〕号", addressee=enterprise.name,
            fields=[("统一社会信用代码", enterprise.credit_code), ("地址", enterprise.address or "—"),
                    ("法定代表人", enterprise.legal_representative or "—")],
            paragraphs=[f"违法事实及证据：{case.facts}", f"以上事实违反了{case.legal_basis}。",
                        f"依据有关规定，决定给予以下行政处罚：{case.decision}{fine}"],
            closing=["罚款自收到本决定书之日起十五日内缴至指定银行或者通过电子支付系统缴纳（《中华人民共和国行政处罚法》"
                     "第六十七条）。到期不缴纳的，每日按罚款数额的百分之三加处罚款。",
                     "如果不服本决定，可以依法在六十日内申请行政复议，或者在六个月内依法向人民法院提起行政诉讼，但本决定不停止执行。"],
            dated=decided,
        )  # fmt: skip
    else:
        raise NotFound("no such document")
    return documents.render(doc)


# -- public statistics ------------------------------------------------------------------------------


def public_statistics(*, session: Session, division: str | None = None, year: int | None = None) -> dict[str, Any]:
    """Public figures of enforcement (no sign-in): inspections and penalty cases by supervision category, by the
    divisions one level below ``division`` (provinces by default) and by state; findings; fines; median days to
    decision and to close. Small counts are withheld as the tips' statistics withhold them
    (``tips.handling.publish``: counts 1–4, and enough others that none can be had back from the total). Counts
    are grouped in SQL (a public route: rows per division and category, not per record)."""
    from sqlalchemy import func

    from yingji.enforcement.cases.models import CaseEvent
    from yingji.geo.codes import COUNTRY_CODE, child_of, level_of, prefix
    from yingji.hazards.enterprises.models import Enterprise
    from yingji.tips import handling

    code = geo_service.get_unscoped(session=session, code=division).code if division else COUNTRY_CODE
    area = Scope(actor="public", division_code=code, prefix=prefix(code, level_of(code)))
    inspections = (
        select(Inspection.id)
        .join(Enterprise, Enterprise.id == Inspection.enterprise_id)
        .where(area.where_covered(Inspection.division_code))
    )
    cases = (
        select(PenaltyCase.id)
        .join(Enterprise, Enterprise.id == PenaltyCase.enterprise_id)
        .where(area.where_covered(PenaltyCase.division_code))
    )
    if year is not None:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        inspections = inspections.where(Inspection.inspected_on.between(first, last))
        cases = cases.where(PenaltyCase.filed_on.between(first, last))
    category = func.coalesce(Enterprise.supervision_category, "")
    done = session.execute(
        inspections.with_only_columns(Inspection.division_code, category, func.count())
        .group_by(Inspection.division_code, category)
    ).all()  # fmt: skip
    filed = session.execute(
        cases.with_only_columns(PenaltyCase.division_code, category, PenaltyCase.state, func.count(),
                                func.sum(sql_case((PenaltyCase.fine_yuan > 0, 1), else_=0)),
                                func.sum(PenaltyCase.fine_yuan))
        .group_by(PenaltyCase.division_code, category, PenaltyCase.state)
    ).all()  # fmt: skip

    def tally_cells(rows: Any, key: Any, count_at: int) -> dict[tuple[str, ...], int]:
        out: dict[tuple[str, ...], int] = {}
        for row in rows:
            out[key(row)] = out.get(key(row), 0) + int(row[count_at])
        return out

    findings = session.execute(
        select(func.count(), func.sum(cast(Finding.violation, Integer)), func.count(Finding.hazard_id))
        .where(Finding.inspection_id.in_(inspections.scalar_subquery()))
    ).one()  # fmt: skip
    firsts = (
        select(CaseEvent.case_id, CaseEvent.kind, func.min(CaseEvent.on))
        .where(CaseEvent.kind.in_(("decide", "close")), CaseEvent.case_id.in_(cases.scalar_subquery()))
        .group_by(CaseEvent.case_id, CaseEvent.kind)
    )
    decided = cases.with_only_columns(PenaltyCase.id, PenaltyCase.filed_on).where(
        PenaltyCase.state.in_(("decided", "served", "executed", "closed"))
    )
    filed_on: dict[int, dt.date] = {case_id: on for case_id, on in session.execute(decided).all()}
    days: dict[str, list[int]] = {"decide": [], "close": []}
    for case_id, kind, on in session.execute(firsts).all():
        if case_id in filed_on:
            days[kind].append((on - filed_on[case_id]).days)
    fined = sum(int(r[4] or 0) for r in filed)
    fines_total = sum(int(r[5] or 0) for r in filed)
    places = sorted({child_of(str(r[0]), code) for r in [*done, *filed]})
    names = geo_service.names_of(session=session, codes=places)
    # breakdowns of the same records are withheld together, so that none gives back what another withholds
    by_category_i, by_place_i = handling.publish_together(
        tally_cells(done, lambda r: (r[1] or "", child_of(str(r[0]), code)), count_at=2)
    ) or [{}, {}]
    by_category_c, by_state_c, by_place_c = handling.publish_together(
        tally_cells(filed, lambda r: (r[1] or "", r[2], child_of(str(r[0]), code)), count_at=3)
    ) or [{}, {}, {}]
    return {
        "division": code if division else "",
        "year": year,
        "suppressed_below": handling.SMALL_COUNT,
        "inspections": {
            "total": handling.suppress(sum(int(r[2]) for r in done)),
            "by_category": by_category_i,
            "findings": handling.suppress(int(findings[0] or 0)),
            "violations": handling.suppress(int(findings[1] or 0)),
            "hazards_reported": handling.suppress(int(findings[2] or 0)),
        },
        "cases": {
            "total": handling.suppress(sum(int(r[3]) for r in filed)),
            "by_category": by_category_c,
            "by_state": by_state_c,
            "fined": handling.suppress(fined),
            "fines_total_yuan": fines_total if fined >= handling.SMALL_COUNT else None,
            "median_days_to_decision": handling.median_days(days["decide"]),
            "median_days_to_close": handling.median_days(days["close"]),
        },
        "by_division": [
            {"code": p, "name": names.get(p, ""), "inspections": by_place_i.get(p, 0), "cases": by_place_c.get(p, 0)}
            for p in places
        ],
    }
