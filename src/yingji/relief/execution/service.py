"""Carrying out a relief dispatch plan (调拨方案的执行): committing it (transfer orders, stock holds, Command
tasks and a timeline entry), confirming that its supplies left, and cancelling it. Making, reading and
drawing a plan is ``relief/plans/service.py``. Services never commit; every write is audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from yingji.auth import audit
from yingji.auth.scope import Scope
from yingji.db import utcnow
from yingji.errors import Conflict, InvalidInput
from yingji.incidents import service as incident_service
from yingji.incidents.schemas import TaskCreate
from yingji.relief.models import ReliefPlan
from yingji.relief.plans.service import PLAN, _audit_view, get_plan, shipment_groups
from yingji.relief.travel import great_circle_km
from yingji.resources import service as resources
from yingji.resources.schemas import MovementIn, TransferIn, TransferLineIn


def _holder(plan_id: int) -> str:
    """A committed plan's name as the holder of its direct shipments (``resources.StockHold``)."""
    return f"relief_plan:{plan_id}"


def _receiving_depot(candidates: list[Any], lon: float, lat: float) -> Any | None:
    if not candidates:
        return None
    km = great_circle_km(np.array([d.lon for d in candidates]), np.array([d.lat for d in candidates]), lon, lat)
    return candidates[int(np.argmin(km))]


def commit_plan(*, session: Session, scope: Scope, plan_id: int) -> ReliefPlan:
    """Transfer orders (status created: stock moves when a transfer is confirmed) from each writable depot
    to the writable depot nearest the destination, and one Command task per depot → destination on the
    plan's incident, with a timeline entry. Committing twice creates nothing new.

    Committing reserves the stock the plan ships from the caller's depots (open transfer orders reserve
    their lines; shipments without a receiving depot are held by the plan), so no other plan can
    allocate it. If another plan or order reserved some of it since this plan was made, nothing is
    committed: :class:`Conflict` names the depots and items short — plan again."""
    scope.require(PLAN)
    plan = get_plan(session=session, scope=scope, plan_id=plan_id, lock=True)
    scope.require_write(plan.division_code, "plan")
    if plan.status == "committed":
        return plan
    if plan.status != "planned":
        raise InvalidInput(f"plan {plan.id} is {plan.status}; only a planned plan can be committed", field="status")
    own_depots = [d for d in resources.list_depots(session=session, scope=scope, active=True, limit=None)[0]
                  if scope.covers(d.division_code)]  # fmt: skip
    _check_free_stock(session, scope, plan)
    transfers, tasks, requests, held = [], [], [], []
    committed_at = utcnow()  # the tasks are due when the plan says the goods and teams arrive, counted from now
    for g in shipment_groups(plan):
        depot, place = g["depot"], g["place"]
        lines = ", ".join(f"{item} × {q}" for item, q in sorted(g["items"].items()))
        receiver = _receiving_depot([d for d in own_depots if d.id != depot["depot_id"]], place["lon"], place["lat"])
        if depot["read_only"] or not scope.covers(depot["division_code"]):
            requests.append({"depot_id": depot["depot_id"], "place": place["id"], "items": g["items"],
                             "reason": "higher-level depot: request the allocation from that level"})  # fmt: skip
        elif receiver is not None:
            transfer = resources.create_transfer(session=session, scope=scope, transfer_in=TransferIn(
                from_depot_id=depot["depot_id"], to_depot_id=receiver.id,
                lines=[TransferLineIn(item=item, quantity=q) for item, q in sorted(g["items"].items())][:200],
                reference=f"relief plan {plan.id}", note=f"for {place['name']} ({place['id']})"[:2000]))  # fmt: skip
            transfers.append(transfer.id)
        else:
            held += [{"depot_id": depot["depot_id"], "place": place["id"], "item": item, "quantity": q}
                     for item, q in sorted(g["items"].items())]  # fmt: skip
        if plan.incident_id is not None:
            task = incident_service.create_task(session=session, scope=scope, incident_id=plan.incident_id,
                                                task_in=TaskCreate(
                title=f"调运物资 {depot['name']} → {place['name']}"[:200],
                description=f"relief plan {plan.id}: {lines}; about {g['hours']:.1f} h by {g['mode']}"[:10_000],
                team=str(depot["name"])[:100],
                due_at=committed_at + dt.timedelta(hours=float(g["hours"]))))  # fmt: skip
            tasks.append(task.id)
    team_tasks = []
    if plan.incident_id is not None:
        for a in (plan.teams or {}).get("assignments", []):
            task = incident_service.create_task(session=session, scope=scope, incident_id=plan.incident_id,
                                                task_in=TaskCreate(
                title=f"派遣救援队 {a['team']} → {a['place']}"[:200],
                description=(f"relief plan {plan.id}: {a['capability']}, {a['headcount']} people, arrival about "
                             f"{a['arrival_hours']:.1f} h (deadline {a['deadline_hours']:g} h)")[:10_000],
                team=str(a["team"])[:100],
                due_at=committed_at + dt.timedelta(hours=float(a["arrival_hours"]))))  # fmt: skip
            team_tasks.append(task.id)
    if plan.incident_id is not None:
        incident_service.add_timeline_entry(
            session=session, scope=scope, incident_id=plan.incident_id, kind="relief",
            text=f"dispatch plan {plan.id} committed: {len(transfers)} transfer orders, "
                 f"{len(tasks) + len(team_tasks)} tasks; "
                 f"unmet {plan.total_unmet} of {plan.total_need} units",
            data={"plan_id": plan.id, "transfers": transfers, "tasks": tasks, "team_tasks": team_tasks})  # fmt: skip
    hold_lines = [(h["depot_id"], h["item"], h["quantity"], f"relief plan {plan.id}: to {h['place']}") for h in held]
    resources.hold_stock(session=session, scope=scope, holder=_holder(plan.id), lines=hold_lines)
    plan.status = "committed"
    plan.committed_at = committed_at
    plan.committed_by = scope.actor
    plan.commit_result = {"transfers": transfers, "tasks": tasks, "requests": requests, "held": held,
                          "team_tasks": team_tasks}  # fmt: skip
    session.flush()
    audit.acted(session, scope, plan, entity="relief_plan", action="commit", after=_audit_view(plan))
    return plan


def _check_free_stock(session: Session, scope: Scope, plan: ReliefPlan) -> None:
    """Refuse (Conflict) when the plan ships more from one of the caller's depots than is free there
    now: on hand, less open transfer orders, less other committed plans' holds. The depots are locked
    first, so two plans committed at once cannot both take the same stock."""
    shipped: dict[tuple[int, str], int] = {}
    writable = {d["depot_id"] for d in plan.depots if not d["read_only"] and scope.covers(d["division_code"])}
    for s in plan.shipments:
        if s["depot_id"] in writable:
            key = (int(s["depot_id"]), str(s["item"]))
            shipped[key] = shipped.get(key, 0) + int(s["quantity"])
    if not shipped:
        return
    depot_ids = sorted({d for d, _ in shipped})
    resources.lock_depots(session=session, depot_ids=depot_ids)
    have = resources.on_hand(session=session, depot_ids=depot_ids)
    promised = resources.promised_stock(session=session, depot_ids=depot_ids, exclude_holder=_holder(plan.id))
    names = {d["depot_id"]: d["name"] for d in plan.depots}
    short = []
    for key, quantity in sorted(shipped.items()):
        free = have.get(key, 0) - promised.get(key, 0)
        if quantity > free:
            short.append(f"{names.get(key[0], key[0])} {key[1]}: ships {quantity}, {max(free, 0)} free")
    if short:
        raise Conflict(
            f"plan {plan.id}: stock was reserved or moved since it was made ({'; '.join(short)}); plan again"
        )


def _open_plan(session: Session, scope: Scope, plan_id: int) -> ReliefPlan:
    scope.require(PLAN)
    plan = get_plan(session=session, scope=scope, plan_id=plan_id, lock=True)
    scope.require_write(plan.division_code, "plan")
    return plan


def confirm_plan(*, session: Session, scope: Scope, plan_id: int) -> ReliefPlan:
    """The plan's supplies left their depots: every open transfer order of the plan is confirmed (stock
    moves through the ledger) and every held shipment is issued from its depot (an ``issue`` line);
    the reservation ends. All or nothing: a depot short of stock refuses the whole confirmation."""
    plan = _open_plan(session, scope, plan_id)
    if plan.status != "committed":
        raise InvalidInput(f"plan {plan.id} is {plan.status}; only a committed plan can be confirmed", field="status")
    result = dict(plan.commit_result or {})
    confirmed, skipped = [], []
    for transfer_id in result.get("transfers", []):
        transfer = resources.get_transfer(session=session, scope=scope, transfer_id=transfer_id)
        if transfer.status == "created":
            resources.confirm_transfer(session=session, scope=scope, transfer_id=transfer_id)
            confirmed.append(transfer_id)
        else:
            skipped.append({"transfer": transfer_id, "status": transfer.status})
    plan.status = "confirmed"
    resources.release_holds(session=session, holder=_holder(plan.id))  # before the issues that replace them
    session.flush()
    issued = []
    for line in result.get("held", []):
        moves = resources.move_stock(session=session, scope=scope, depot_id=int(line["depot_id"]),
                                     movement_in=MovementIn(kind="issue", item=line["item"],
                                                            quantity=int(line["quantity"]),
                                                            reference=f"relief plan {plan.id}",
                                                            note=f"to {line['place']}"[:2000]))  # fmt: skip
        issued += [m.id for m in moves]
    result.update({"confirmed_transfers": confirmed, "skipped_transfers": skipped, "issued_movements": issued})
    plan.commit_result = result
    session.flush()
    audit.acted(session, scope, plan, entity="relief_plan", action="confirm", after=_audit_view(plan))
    return plan


def cancel_plan(*, session: Session, scope: Scope, plan_id: int) -> ReliefPlan:
    """Drop a planned or committed plan: its open transfer orders are cancelled and its holds end, so the
    stock it reserved is free again. Tasks already given to the Command stay (they are closed there)."""
    plan = _open_plan(session, scope, plan_id)
    if plan.status not in ("planned", "committed"):
        raise InvalidInput(f"plan {plan.id} is already {plan.status}", field="status")
    result = dict(plan.commit_result or {})
    cancelled = []
    for transfer_id in result.get("transfers", []):
        transfer = resources.get_transfer(session=session, scope=scope, transfer_id=transfer_id)
        if transfer.status == "created":
            resources.cancel_transfer(session=session, scope=scope, transfer_id=transfer_id)
            cancelled.append(transfer_id)
    if plan.commit_result is not None:
        result["cancelled_transfers"] = cancelled
        plan.commit_result = result
    resources.release_holds(session=session, holder=_holder(plan.id))
    plan.status = "cancelled"
    session.flush()
    audit.acted(session, scope, plan, entity="relief_plan", action="cancel", after=_audit_view(plan))
    return plan
