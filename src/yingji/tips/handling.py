"""Tip handling (pure): the moves of a tip, its handling clocks on a given day, duplicate groups, and public
statistics with small counts suppressed.

Moves: received → accepted (受理) or rejected (不予受理, closed with a reason); accepted → verified (核查属实/不实)
→ closed (办结, with the outcome and a reply the reporter reads through the tracking code). ``extend`` lengthens
the handling clock once (data: ``standards/tips/handling_clocks.yaml``).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from yingji.enforcement import clocks as penalty_clocks

MOVES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "accept": (("received",), "accepted"),
    "reject": (("received",), "closed"),
    "assign": (("received", "accepted", "verified"), None),
    "extend": (("accepted", "verified"), None),
    "verify": (("accepted",), "verified"),
    "close": (("accepted", "verified"), "closed"),
}
OUTCOMES = ("substantiated", "partly", "unsubstantiated", "rejected")
SMALL_COUNT = 5  # public statistics: a cell below this is shown as suppressed (no re-identification)


class MoveRefused(ValueError):
    pass


def next_status(status: str, move: str) -> str:
    allowed, after = MOVES.get(move, ((), None))
    if not allowed:
        raise MoveRefused(f"unknown action {move!r}")
    if status not in allowed:
        raise MoveRefused(f"the action {move} cannot follow the status {status}")
    return after or status


@cache
def rules() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(
        (files("yingji.standards") / "tips" / "handling_clocks.yaml").read_text(encoding="utf-8")
    )
    return data


class Clock(BaseModel):
    """One handling clock of a tip on a day (also the API's ``ClockRead``)."""

    model_config = ConfigDict(frozen=True)

    key: str
    due: dt.date | None
    state: str
    days_left: int | None
    source: str
    status: str


def evaluate(events: Mapping[str, dt.date], today: dt.date, *, extended: bool = False) -> list[Clock]:
    """The tip's clocks (``events``: received, accepted, rejected, closed → day)."""
    data = rules()
    cal, warn = penalty_clocks.calendar(), int(data["warn_days"])
    out = []
    for clock in data["clocks"]:
        start = events.get(clock["starts"])
        told = {"key": clock["key"], "source": clock["source"], "status": clock["status"]}
        if start is None:
            out.append(Clock(due=None, state=penalty_clocks.WAITING, days_left=None, **told))
            continue
        days = int(clock["days"]) + (int(clock.get("extension_days", 0)) if extended else 0)
        due = cal.add(start, days, clock["unit"])
        stopped = min((events[s] for s in clock["stops"] if s in events), default=None)
        if stopped is not None:
            state, left = (penalty_clocks.MET if stopped <= due else penalty_clocks.LATE), None
        else:
            left = (due - today).days
            state = penalty_clocks.OVERDUE if left < 0 else penalty_clocks.RUNNING
            if 0 <= left <= warn:
                state = penalty_clocks.DUE_SOON
        out.append(Clock(due=due, state=state, days_left=left, **told))
    return out


# -- duplicates --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TipPoint:
    id: int
    division_code: str
    category: str
    text: str
    at: dt.datetime
    lon: float | None = None
    lat: float | None = None


def _bigrams(text: str) -> frozenset[str]:
    compact = "".join(ch for ch in text.lower() if ch.isalnum())
    return frozenset(compact[i : i + 2] for i in range(max(len(compact) - 1, 1)))


def similarity(a: str, b: str) -> float:
    """Jaccard similarity of the character bigrams (works for Chinese without word segmentation)."""
    x, y = _bigrams(a), _bigrams(b)
    return len(x & y) / len(x | y) if x | y else 0.0


def _km(a: TipPoint, b: TipPoint) -> float | None:
    if None in (a.lon, a.lat, b.lon, b.lat):
        return None
    assert a.lon is not None and a.lat is not None and b.lon is not None and b.lat is not None
    dy = (a.lat - b.lat) * 111.2
    dx = (a.lon - b.lon) * 111.2 * math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot(dx, dy)


def near(a: TipPoint, b: TipPoint, *, days: float = 7, km: float = 2.0, threshold: float = 0.35) -> bool:
    """Two tips probably report the same matter: same category, within ``days``, in the same division (or
    points within ``km``), and texts at least ``threshold`` similar."""
    if a.category != b.category or abs((a.at - b.at).total_seconds()) > days * 86400:
        return False
    distance = _km(a, b)
    close = distance <= km if distance is not None else a.division_code == b.division_code
    return close and similarity(a.text, b.text) >= threshold


def groups(tips: Sequence[TipPoint], **criteria: float) -> list[list[int]]:
    """Groups (of two or more tip ids, oldest first) linked by :func:`near`, transitively (union–find)."""
    parent = {t.id: t.id for t in tips}

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    ordered = sorted(tips, key=lambda t: (t.category, t.at))
    for n, a in enumerate(ordered):
        for b in ordered[n + 1 :]:
            if b.category != a.category or (b.at - a.at).total_seconds() > criteria.get("days", 7) * 86400:
                break
            if near(a, b, **criteria):
                parent[root(b.id)] = root(a.id)
    found: dict[int, list[int]] = {}
    for t in sorted(tips, key=lambda t: (t.at, t.id)):
        found.setdefault(root(t.id), []).append(t.id)
    return [g for g in found.values() if len(g) > 1]


# -- public statistics ------------------------------------------------------------------------------


def suppress(count: int) -> int | None:
    """A count as published: below :data:`SMALL_COUNT` (and not zero) it is withheld."""
    return None if 0 < count < SMALL_COUNT else count


def publish(counts: Mapping[str, int], also: frozenset[str] = frozenset()) -> dict[str, int | None]:
    """A breakdown whose total is published, as published: each count from 1 to :data:`SMALL_COUNT` − 1 is
    withheld (primary; ``also`` names further cells to withhold), and when the withheld cells are one alone, or add
    up to less than :data:`SMALL_COUNT`, the smallest published non-zero cells are withheld too (secondary), until
    the withheld cells add up to at least :data:`SMALL_COUNT` or every non-zero cell is withheld — so that no
    withheld count can be had back by subtracting the published ones from the total."""
    out: dict[str, int | None] = {k: None if k in also and v else suppress(v) for k, v in counts.items()}
    hidden = [k for k, v in out.items() if v is None]
    if not hidden:
        return out
    shown = sorted((v, k) for k, v in counts.items() if out[k] is not None and v > 0)
    while shown and (len(hidden) < 2 or sum(counts[k] for k in hidden) < SMALL_COUNT):
        _, key = shown.pop(0)
        out[key] = None
        hidden.append(key)
    return out


def publish_together(cells: Mapping[tuple[str, ...], int]) -> list[dict[str, int | None]]:
    """Several breakdowns of the same records (e.g. by category and by division), as published together: the
    counts of ``cells`` (one key part per breakdown: ``(category, division)`` → count) summed per breakdown, each
    withheld by :func:`publish`, and then — since a count withheld in one breakdown might be had back from the
    others — checked together against someone who knows every published figure, that a withheld count is not
    zero, and which combinations can hold records at all (e.g. which categories of enterprise a township has, from
    the public register): while such a reader can pin a withheld count to one value (:func:`exposed`), the
    smallest published count of another breakdown sharing records with it is withheld too (then of its own
    breakdown, then any), and each breakdown's secondary rule is applied again."""
    width = len(next(iter(cells))) if cells else 0
    counts = [_marginal(cells, i) for i in range(width)]
    also: list[frozenset[str]] = [frozenset() for _ in range(width)]
    out = [publish(counts[i]) for i in range(width)]
    while True:
        found = exposed(cells, out)
        if found is None:
            return out
        side, key = found
        touching = [{c[i] for c in cells if c[side] == key and cells[c] > 0} for i in range(width)]
        order = [i for i in range(width) if i != side] + [side]
        choice = next(((v, k, i) for i in order for v, k in sorted((counts[i][k], k) for k in touching[i] or counts[i])
                       if out[i][k] is not None and v > 0), None)  # fmt: skip
        if choice is None:
            choice = next(((v, k, i) for i in order for k, v in sorted(counts[i].items())
                           if out[i][k] is not None and v > 0), None)  # fmt: skip
        if choice is None:
            return out  # everything non-zero is withheld: nothing is left to withhold
        _, key, index = choice
        also[index] = also[index] | {key}
        out[index] = publish(counts[index], also[index])


def _marginal(cells: Mapping[tuple[str, ...], int], index: int) -> dict[str, int]:
    out: dict[str, int] = {}
    for key, count in cells.items():
        out[key[index]] = out.get(key[index], 0) + count
    return dict(sorted(out.items()))


def exposed(
    cells: Mapping[tuple[str, ...], int], published: Sequence[Mapping[str, int | None]]
) -> tuple[int, str] | None:
    """The first withheld count (breakdown, key) that the published figures pin to one value, or None. The
    reader knows every published figure, that a withheld count is not zero, the total (published from
    :data:`SMALL_COUNT` on) and which combinations of ``cells`` can hold records (their non-zero cells). Each
    withheld count's least and greatest possible values are found by linear programming (the constraints are
    those of a transportation problem, so the bounds are whole numbers)."""
    from scipy.optimize import linprog

    support = [key for key, count in cells.items() if count > 0]
    if not support or not any(None in p.values() for p in published):
        return None
    rows_eq: list[list[float]] = []
    rhs_eq: list[float] = []
    rows_ub: list[list[float]] = []
    rhs_ub: list[float] = []
    total = sum(cells.values())
    if total >= SMALL_COUNT:  # the total is published (suppress)
        rows_eq.append([1.0] * len(support))
        rhs_eq.append(float(total))
    for i, breakdown in enumerate(published):
        for key, value in breakdown.items():
            row = [1.0 if cell[i] == key else 0.0 for cell in support]
            if value is None:
                rows_ub.append([-x for x in row])
                rhs_ub.append(-1.0)  # withheld: not zero
            else:
                rows_eq.append(row)
                rhs_eq.append(float(value))
    for i, breakdown in enumerate(published):
        for key, value in breakdown.items():
            if value is not None:
                continue
            objective = [1.0 if cell[i] == key else 0.0 for cell in support]
            bounds = []
            for sign in (1.0, -1.0):
                result = linprog([sign * c for c in objective], A_ub=rows_ub or None, b_ub=rhs_ub or None,
                                 A_eq=rows_eq or None, b_eq=rhs_eq or None, method="highs")  # fmt: skip
                bounds.append(math.inf if result.status == 3 else sign * float(result.fun))
            if bounds[1] - bounds[0] < 0.5:
                return i, key
    return None


def median_days(days: list[int]) -> float | None:
    """The median of days to close, published only over at least :data:`SMALL_COUNT` tips (a median of a few
    tips would describe those few)."""
    if len(days) < SMALL_COUNT:
        return None
    ordered = sorted(days)
    middle = len(ordered) // 2
    return float(ordered[middle]) if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
