"""Accident-hazard lifecycle to closure (隐患排查治理闭环), pure.

``reported → determined → planned → rectifying → rectified → verified → closed`` (报告 → 判定 → 整改方案 →
整改中 → 整改完成 → 复核/验收 → 销号). A hazard proposed by the monitoring domain starts as ``proposed`` and
becomes ``reported`` only when a person confirms it (never automatically); it may be dismissed instead.

Rules beyond the moves (checked by :func:`check`):

* determining needs the level (``general``/``major``); a major hazard cites at least one item of a
  determination standard (重大事故隐患判定标准);
* a plan for a major hazard has all five of 五落实 — responsible person, measures, funds, deadline,
  contingency plan (《安全生产事故隐患排查治理暂行规定》(安监总局令第16号) Art. 15, P); a general hazard's plan
  needs at least the responsible person, the measures and the deadline;
* ``rectified → closed`` directly is for general hazards only: a major hazard is closed only after the
  regulator's verification record (``verified``), as 16号令 Art. 18 requires for 挂牌督办 major hazards;
* return paths each need a reason: determination returned (``determined → reported``), plan returned
  (``planned → determined``), rectification rejected (``rectified → rectifying``), verification failed
  (``verified → rectifying``).

``closed`` and ``dismissed`` are final. Who may make a move (enterprise or regulator) is :data:`REGULATOR_ONLY`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from yingji.hazards.errors import InvalidTransition, MissingRequirement


class HazardState(StrEnum):
    PROPOSED = "proposed"  # 系统提示 (from monitoring), awaiting a person
    REPORTED = "reported"  # 报告
    DETERMINED = "determined"  # 判定 (一般/重大)
    PLANNED = "planned"  # 整改方案
    RECTIFYING = "rectifying"  # 整改中
    RECTIFIED = "rectified"  # 整改完成 (企业)
    VERIFIED = "verified"  # 复核/验收 (监管部门)
    CLOSED = "closed"  # 销号
    DISMISSED = "dismissed"  # 提示不成立


class Level(StrEnum):
    GENERAL = "general"  # 一般事故隐患
    MAJOR = "major"  # 重大事故隐患


OPEN_STATES = frozenset(s for s in HazardState if s not in (HazardState.CLOSED, HazardState.DISMISSED))
FIVE_IMPLEMENTATIONS = ("responsible", "measures", "funds", "deadline", "contingency")  # 五落实
GENERAL_PLAN = ("responsible", "measures", "deadline")


@dataclass(frozen=True)
class Move:
    action: str
    source: HazardState
    target: HazardState
    needs_reason: bool = False


_S = HazardState
MOVES: tuple[Move, ...] = (
    Move("confirm", _S.PROPOSED, _S.REPORTED),
    Move("dismiss", _S.PROPOSED, _S.DISMISSED, needs_reason=True),
    Move("determine", _S.REPORTED, _S.DETERMINED),
    Move("return_determination", _S.DETERMINED, _S.REPORTED, needs_reason=True),
    Move("plan", _S.DETERMINED, _S.PLANNED),
    Move("return_plan", _S.PLANNED, _S.DETERMINED, needs_reason=True),
    Move("start", _S.PLANNED, _S.RECTIFYING),
    Move("complete", _S.RECTIFYING, _S.RECTIFIED),
    Move("reject", _S.RECTIFIED, _S.RECTIFYING, needs_reason=True),
    Move("verify", _S.RECTIFIED, _S.VERIFIED),
    Move("fail_verification", _S.VERIFIED, _S.RECTIFYING, needs_reason=True),
    Move("close", _S.VERIFIED, _S.CLOSED),
    Move("close", _S.RECTIFIED, _S.CLOSED),  # general hazards only (check())
)
ACTIONS = frozenset(m.action for m in MOVES)
# Moves that belong to the regulator (监管部门), not to the enterprise itself.
REGULATOR_ONLY = frozenset(
    {"confirm", "dismiss", "return_determination", "return_plan", "reject", "verify", "fail_verification", "close"}
)


def move_for(state: HazardState, action: str) -> Move:
    for move in MOVES:
        if move.source is state and move.action == action:
            return move
    allowed = ", ".join(sorted({m.action for m in MOVES if m.source is state})) or "none (final)"
    raise InvalidTransition(f"a hazard in state {state.value} cannot {action}; allowed: {allowed}")


def allowed_actions(state: HazardState) -> tuple[str, ...]:
    return tuple(sorted({m.action for m in MOVES if m.source is state}))


def missing_plan_parts(level: Level | None, plan: Mapping[str, Any]) -> list[str]:
    required = FIVE_IMPLEMENTATIONS if level is Level.MAJOR else GENERAL_PLAN
    return [part for part in required if not str(plan.get(part) or "").strip()]


def check(
    move: Move,
    *,
    level: Level | None,
    items: tuple[str, ...] = (),
    plan: Mapping[str, Any] | None = None,
    reason: str | None = None,
    verified: bool = False,
) -> None:
    """Refuse a move the lifecycle allows but whose requirements are not met (MissingRequirement)."""
    if move.needs_reason and not (reason or "").strip():
        raise MissingRequirement(f"{move.action} needs a reason")
    if move.action == "determine":
        if level is None:
            raise MissingRequirement("determining a hazard needs its level (general or major)")
        if level is Level.MAJOR and not items:
            raise MissingRequirement("a major hazard cites at least one item of a determination standard")
    if move.action == "plan":
        missing = missing_plan_parts(level, plan or {})
        if missing:
            what = "五落实" if level is Level.MAJOR else "the plan"
            raise MissingRequirement(f"{what} is incomplete: missing {', '.join(missing)}")
    if move.action == "close" and level is Level.MAJOR and (move.source is not _S.VERIFIED or not verified):
        raise MissingRequirement("a major hazard is closed (销号) only after the regulator's verification record")
