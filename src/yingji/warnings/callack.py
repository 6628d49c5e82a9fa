"""Call and acknowledge (叫应) for a public warning (pure; the clock is a parameter).

When a warning is issued, the responsible officials of the warned divisions are *called* (over
whatever channels deliver: SMS, phone, webhook, e-mail — the channel code records a receipt per
recipient and channel) and each must *acknowledge* (应). Whoever has not acknowledged within
``escalate_after_s`` is escalated: their superior is called in turn and must acknowledge too, and so
on up the chain. Every function returns a new :class:`CallState`; nothing reads a clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from yingji.errors import Conflict, InvalidInput


@dataclass(frozen=True)
class Official:
    id: str
    name: str
    division: str  # GB/T 2260 code of the division the official answers for
    superior: str | None = None  # id of the official to call when this one does not answer


@dataclass(frozen=True)
class Receipt:
    recipient: str
    channel: str
    at: int
    delivered: bool
    detail: str = ""


@dataclass(frozen=True)
class Escalation:
    from_official: str
    to_official: str | None  # None: the chain ends here (report to the duty desk)
    at: int


@dataclass(frozen=True)
class CallState:
    warning: str  # CAP identifier
    called_at: dict[str, int]  # official id → when their call started
    acknowledged_at: dict[str, int] = field(default_factory=dict)
    receipts: tuple[Receipt, ...] = ()
    escalations: tuple[Escalation, ...] = ()

    @property
    def pending(self) -> list[str]:
        """Called, not acknowledged, not yet escalated past."""
        escalated = {e.from_official for e in self.escalations}
        return sorted(o for o in self.called_at if o not in self.acknowledged_at and o not in escalated)


def start_call(warning: str, officials: Iterable[str], at: int) -> CallState:
    """Call the responsible officials of the warned divisions."""
    called = {official: at for official in officials}
    if not called:
        raise InvalidInput("call: a warning needs at least one responsible official to call")
    return CallState(warning=warning, called_at=called)


def officials_for(divisions: Iterable[str], directory: Mapping[str, Official]) -> list[str]:
    """The officials answering for the warned divisions (a division code covers its sub-divisions)."""
    wanted = [_prefix(d) for d in divisions]
    return sorted(o.id for o in directory.values() if any(o.division.startswith(w) for w in wanted))


def _prefix(code: str) -> str:
    """GB/T 2260 levels are 2-digit pairs: 330000 (province) covers 33xxxx, 330100 (city) 3301xx."""
    while code.endswith("00") and len(code) > 2:
        code = code[:-2]
    return code


def record_receipt(state: CallState, receipt: Receipt) -> CallState:
    if receipt.recipient not in state.called_at:
        raise InvalidInput(f"receipt: {receipt.recipient!r} was not called for warning {state.warning}")
    return replace(state, receipts=(*state.receipts, receipt))


def acknowledge(state: CallState, official: str, at: int) -> CallState:
    """The official answers (应). Refused if not called or already answered."""
    if official not in state.called_at:
        raise Conflict(f"{official} was not called for warning {state.warning}")
    if official in state.acknowledged_at:
        raise Conflict(f"{official} already acknowledged warning {state.warning}")
    return replace(state, acknowledged_at={**state.acknowledged_at, official: at})


def escalate_due(
    state: CallState, now: int, directory: Mapping[str, Official], escalate_after_s: float
) -> tuple[CallState, list[Escalation]]:
    """Escalate everyone who has not acknowledged within ``escalate_after_s`` of being called: their
    superior is called (at the moment the wait ran out) and must acknowledge in turn."""
    if escalate_after_s <= 0:
        raise InvalidInput("escalate_after_s: must be positive")
    wait = round(escalate_after_s * 1000)
    new: list[Escalation] = []
    called = dict(state.called_at)
    changed = True
    escalations = list(state.escalations)
    while changed:  # a superior called in the past may be overdue already
        changed = False
        done = {e.from_official for e in escalations}
        for official, since in sorted(called.items()):
            if official in state.acknowledged_at or official in done or now < since + wait:
                continue
            superior = directory[official].superior if official in directory else None
            escalation = Escalation(official, superior, since + wait)
            escalations.append(escalation)
            new.append(escalation)
            if superior is not None and superior not in called:
                called[superior] = since + wait
            changed = True
    return replace(state, called_at=called, escalations=tuple(escalations)), new


@dataclass(frozen=True)
class CallSummary:
    called: int
    delivered: int  # officials with at least one delivered receipt
    acknowledged: int
    pending: int
    escalated: int
    unreachable: list[str]  # called, every receipt failed


def summarise(state: CallState) -> CallSummary:
    delivered = {r.recipient for r in state.receipts if r.delivered}
    tried = {r.recipient for r in state.receipts}
    return CallSummary(
        called=len(state.called_at),
        delivered=len(delivered),
        acknowledged=len(state.acknowledged_at),
        pending=len(state.pending),
        escalated=len(state.escalations),
        unreachable=sorted(tried - delivered),
    )
