"""The hazard roll-ups: kept in the same transaction as every change to a hazard (so exact), recounted
nationally after a bulk load, and a regulator's figures over them reused while no hazard has changed.
Services never commit."""

from __future__ import annotations

import datetime as dt
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.errors import Forbidden
from yingji.geo.codes import code_range, level_of, normalise_code, prefix
from yingji.hazards.register.models import Hazard, HazardCloseDays, HazardCount, HazardEvent, HazardMonth

CHINA = dt.timezone(dt.timedelta(hours=8))
TREND_MONTHS = 12
BOARD_CACHE_S = 30.0
_CACHE: dict[tuple[Any, ...], tuple[int | None, float, Any]] = {}


def reused(session: Session, key: tuple[Any, ...], compute: Callable[[], Any], max_age: float | None = None) -> Any:
    """A regulator's view (board, list total, a page of the list, the answers of the board and list routes),
    computed once per process, database and key and reused while no hazard has changed — the newest history
    entry is the same, so a change answered to one request shows in the next — and for at most ``max_age``
    seconds (BOARD_CACHE_S by default: the overdue count moves with the clock, and a change committed out of
    id order shows within that bound).

    Every change to a hazard writes a history entry (``register.service._event``). The key must hold
    everything the value depends on besides the data: the caller's jurisdiction and the filters."""
    version = session.scalar(select(func.max(HazardEvent.id)))
    full = (str(session.get_bind().engine.url), *key)
    clock = time.monotonic()
    cached = _CACHE.get(full)
    age_limit = BOARD_CACHE_S if max_age is None else max_age
    if cached is not None and cached[0] == version and clock - cached[1] < age_limit:
        return cached[2]
    value = compute()
    if len(_CACHE) >= 4096:  # bounded: jurisdictions × groupings and filters
        _CACHE.clear()
    _CACHE[full] = (version, clock, value)
    return value


def total(session: Session, scope: Scope, *, state: str | None, level: str | None, division: str | None) -> int:
    """How many hazards a regulator's list holds, from ``hazard_counts`` (kept in the same transaction as every
    change, so exact)."""
    stmt = select(func.coalesce(func.sum(HazardCount.count), 0)).where(scope.where_covered(HazardCount.division_code))
    if state:
        stmt = stmt.where(HazardCount.state == state)
    if level:
        stmt = stmt.where(HazardCount.level == level)
    if division:
        low, high = code_range(prefix(normalise_code(division), level_of(normalise_code(division))))
        stmt = stmt.where(and_(HazardCount.division_code >= low, HazardCount.division_code <= high))
    return int(session.scalar(stmt) or 0)


def whole_days(reported: dt.datetime, closed: dt.datetime | None) -> int:
    return max(0, int(((closed or reported) - reported).total_seconds() // 86400))


def month(moment: dt.datetime) -> str:
    """The month of a moment in China time (UTC+8), ``YYYY-MM``."""
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(CHINA).strftime("%Y-%m")


def last_months(now: dt.datetime, n: int = TREND_MONTHS) -> list[str]:
    year, mon = (int(x) for x in month(now).split("-"))
    out = []
    for _ in range(n):
        out.append(f"{year:04d}-{mon:02d}")
        year, mon = (year, mon - 1) if mon > 1 else (year - 1, 12)
    return out[::-1]


def month_start(month: str) -> dt.datetime:
    year, mon = (int(x) for x in month.split("-"))
    return dt.datetime(year, mon, 1, tzinfo=CHINA)


def _grouping(row: Hazard) -> dict[str, Any]:
    return {"division_code": row.division_code, "supervision_category": row.supervision_category}


def _add(session: Session, model: Any, key: dict[str, Any], column: str, delta: int) -> None:
    """Add ``delta`` to one roll-up row's ``column``, making the row (zeros elsewhere) when it is the first."""
    target = getattr(model, column)
    changed = session.execute(update(model).filter_by(**key).values({target: target + delta})).rowcount  # type: ignore[attr-defined]
    if not changed:
        session.add(model(**key, **{column: delta}))
        session.flush()


def count(session: Session, row: Hazard, delta: int) -> None:
    """``delta`` hazards in the row's (division, category, level, state)."""
    _add(session, HazardCount, {**_grouping(row), "level": row.level or "", "state": row.state}, "count", delta)


def count_closed(session: Session, row: Hazard) -> None:
    """One more hazard of the row's division and category closed in its whole days."""
    _add(session, HazardCloseDays, {**_grouping(row), "days": whole_days(row.reported_at, row.closed_at)}, "count", 1)


def count_month(session: Session, row: Hazard, moment: dt.datetime, column: str) -> None:
    """One more hazard ``reported`` or ``closed`` in the month (China time) of ``moment``."""
    _add(session, HazardMonth, {**_grouping(row), "month": month(moment)}, column, 1)


def rebuild(*, session: Session, scope: Scope) -> int:
    """Recount the board's roll-ups from the hazards (after a bulk load); returns the hazards counted."""
    if scope.prefix:
        raise Forbidden("the roll-ups are rebuilt nationally")
    session.execute(delete(HazardCount))
    session.execute(delete(HazardCloseDays))
    session.execute(delete(HazardMonth))
    level = func.coalesce(Hazard.level, "")
    grouped = select(Hazard.division_code, Hazard.supervision_category, level, Hazard.state, func.count()).group_by(
        Hazard.division_code, Hazard.supervision_category, level, Hazard.state
    )
    counted = 0
    for division, category, lvl, state, n in session.execute(grouped):
        session.add(HazardCount(division_code=division, supervision_category=category, level=lvl, state=state, count=n))
        counted += int(n)
    days: dict[tuple[str, str, int], int] = defaultdict(int)
    closed = select(Hazard.division_code, Hazard.supervision_category, Hazard.reported_at, Hazard.closed_at).where(
        Hazard.state == "closed"
    )
    for division, category, reported, ended in session.execute(closed.execution_options(yield_per=10_000)):
        days[(division, category, whole_days(reported, ended))] += 1
    session.add_all(
        HazardCloseDays(division_code=d, supervision_category=c, days=k, count=n) for (d, c, k), n in days.items()
    )
    per_month: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    dated = select(Hazard.division_code, Hazard.supervision_category, Hazard.reported_at, Hazard.closed_at)
    for division, category, reported, ended in session.execute(dated.execution_options(yield_per=10_000)):
        per_month[(division, category, month(reported))][0] += 1
        if ended is not None:
            per_month[(division, category, month(ended))][1] += 1
    session.add_all(
        HazardMonth(division_code=d, supervision_category=c, month=m, reported=r, closed=k)
        for (d, c, m), (r, k) in per_month.items()
    )
    session.flush()
    return counted
