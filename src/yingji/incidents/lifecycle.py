"""Incident status machine (pure): reported → verified → responding → recovering → closed.

Forward moves go one step at a time. The only other moves allowed, each needing a reason:

* ``reported → closed`` and ``verified → closed`` — dismissed: a false or duplicate report, or an event
  below every response threshold (核实后不需启动响应);
* ``recovering → responding`` — renewed emergency (e.g. a strong aftershock or a secondary disaster) during
  recovery: the response is raised again (the relief and earthquake plans allow re-activation and level
  adjustment while the event lasts).

``closed`` is final: a closed incident is not reopened; a new report becomes a new incident (linked by the
caller). Everything else — skipping steps forward, or going back from ``verified``/``responding`` — is
refused with :class:`InvalidTransition`.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from yingji.errors import Conflict, InvalidInput


class IncidentStatus(StrEnum):
    REPORTED = "reported"  # 接报
    VERIFIED = "verified"  # 核实
    RESPONDING = "responding"  # 响应
    RECOVERING = "recovering"  # 恢复
    CLOSED = "closed"  # 结束


class InvalidTransition(Conflict):
    code = "invalid_transition"


@dataclass(frozen=True)
class Transition:
    source: IncidentStatus
    target: IncidentStatus
    needs_reason: bool
    meaning: str


_S = IncidentStatus
TRANSITIONS: tuple[Transition, ...] = (
    Transition(_S.REPORTED, _S.VERIFIED, False, "verified"),
    Transition(_S.VERIFIED, _S.RESPONDING, False, "response activated"),
    Transition(_S.RESPONDING, _S.RECOVERING, False, "response ended, recovery begins"),
    Transition(_S.RECOVERING, _S.CLOSED, False, "closed"),
    Transition(_S.REPORTED, _S.CLOSED, True, "dismissed before verification (false or duplicate report)"),
    Transition(_S.VERIFIED, _S.CLOSED, True, "dismissed after verification (no response needed)"),
    Transition(_S.RECOVERING, _S.RESPONDING, True, "renewed emergency during recovery"),
)
_BY_PAIR = {(t.source, t.target): t for t in TRANSITIONS}
INITIAL_STATUS = IncidentStatus.REPORTED


def parse_status(name: str, *, parameter: str = "status") -> IncidentStatus:
    try:
        return IncidentStatus(name)
    except ValueError:
        known = ", ".join(s.value for s in IncidentStatus)
        raise InvalidInput(f"{parameter}: unknown status {name!r}; one of: {known}", parameter=parameter) from None


def allowed_targets(status: IncidentStatus) -> tuple[IncidentStatus, ...]:
    """Where an incident in ``status`` may go next."""
    return tuple(t.target for t in TRANSITIONS if t.source is status)


def is_allowed(source: IncidentStatus, target: IncidentStatus) -> bool:
    return (source, target) in _BY_PAIR


def transition(source: IncidentStatus, target: IncidentStatus, *, reason: str | None = None) -> Transition:
    """The transition from ``source`` to ``target``; refused if not allowed or if a needed reason is missing."""
    found = _BY_PAIR.get((source, target))
    if found is None:
        allowed = ", ".join(s.value for s in allowed_targets(source)) or "none (final)"
        raise InvalidTransition(
            f"status cannot change from {source.value} to {target.value}; allowed: {allowed}",
            current=source.value,
        )
    if found.needs_reason and not (reason and reason.strip()):
        raise InvalidTransition(
            f"changing status from {source.value} to {target.value} needs a reason", current=source.value
        )
    return found


def is_final(status: IncidentStatus) -> bool:
    return not allowed_targets(status)
