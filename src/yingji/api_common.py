"""What every domain's API shares: the session and caller dependencies, pagination parameters.

``Schema``, ``Page`` and ``PageParams`` live in :mod:`yingji.schemas_common` (pydantic only); they are
re-exported here for the routes that import them with the dependencies."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

import anyio
from fastapi import Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from yingji.auth import deps
from yingji.auth.deps import SAFE_METHODS
from yingji.auth.scope import Scope
from yingji.config import Settings
from yingji.schemas_common import MAX_ID, ApiDateTime, Page, PageParams, Schema
from yingji.web.headers import REPORT_CSP

__all__ = ["SAFE_METHODS", "ApiDateTime", "Page", "PageParams", "Schema"]
T = TypeVar("T")
oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


# Dependencies that do no I/O are ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread,
# and each such hop costs more than the work of most of them.


async def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


# Requests holding a database session at once, per server process. Fewer than the pool's connections
# (yingji.db.make_engine: 40 + 10) and than the worker threads (40), so a request that holds a connection
# always gets a thread and one that has a thread always gets a connection: without the cap a burst could
# fill every thread with requests waiting for connections held by requests waiting for a thread (a
# deadlock until the pool's 30-s timeout). Requests beyond it wait on the event loop, which costs nothing.
DB_REQUESTS = 16
# Of those, at most this many writes: a read (a board, a roll-up) finds a slot while writes queue behind a
# burst, instead of waiting for every write queued before it (bench/disaster_stats.py: the staleness of the
# totals under a backlog of reports).
WRITE_REQUESTS = 12


def _db_slots(request: Request) -> tuple[asyncio.Semaphore, asyncio.Semaphore]:
    """The process's request slots and its write slots (one pair per event loop: a test may serve one app from
    several)."""
    loop = asyncio.get_running_loop()
    slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore, asyncio.Semaphore] | None = getattr(
        request.app.state, "db_slots", None
    )
    if slots is None or slots[0] is not loop:
        slots = (loop, asyncio.Semaphore(DB_REQUESTS), asyncio.Semaphore(WRITE_REQUESTS))
        request.app.state.db_slots = slots
    return slots[1], slots[2]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error.

    Opening a session does no I/O (the connection is taken at the first statement), so it happens on the
    event loop; the commit or rollback and the return of the connection take one worker thread.

    A safe request (GET, HEAD, OPTIONS) gets a read-only session instead (:func:`yingji.db.read_session_factory`):
    no transaction to end, so after a handler that returned, closing it does no I/O and stays on the loop.
    A write first waits for one of the ``WRITE_REQUESTS`` write slots, so reads always have slots left."""
    slots, write_slots = _db_slots(request)
    if request.method in SAFE_METHODS:
        async with slots:
            reader: Session = request.app.state.read_session_factory()
            try:
                yield reader
            except BaseException:
                with anyio.CancelScope(shield=True):  # the handler's thread may still hold the connection
                    await run_in_threadpool(reader.close)
                raise
            reader.close()
            return
    async with write_slots, slots:
        session: Session = request.app.state.session_factory()
        try:
            yield session
        except BaseException:
            with anyio.CancelScope(shield=True):
                await run_in_threadpool(_end_transaction, session, commit=False)
            raise
        if not session.in_transaction() and not (session.new or session.dirty or session.deleted):
            session.close()  # committed by the handler (run_and_commit) or never used: no connection held
            return
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_end_transaction, session, commit=True)


async def run_and_commit(session: Session, work: Callable[[], T]) -> T:
    """For an ``async def`` write route: ``work`` (the service call and the response's schema) and the commit
    in one worker thread, where a plain ``def`` route takes three (the handler, the response's validation,
    the commit). The commit is still before the response; a failing ``work`` or commit rolls back (the
    session dependency). Made for the routes a burst goes through (a township's report and its review:
    bench/disaster_stats.py)."""

    def run() -> T:
        result = work()
        session.commit()
        return result

    return await run_in_threadpool(run)


def _end_transaction(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


# scope="function": the transaction commits before the response is sent, so a client that got 201 reads its
# own write on the next request (with the default request scope the commit ran after sending).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


async def get_scope(
    request: Request, session: SessionDep, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Scope:
    """The caller's scope: remembered by this process (on the loop, no I/O), else read in a worker thread."""
    scope = deps.remembered_scope(request=request, settings=settings, token=token)
    if scope is None:
        scope = await run_in_threadpool(
            deps.scope_from_token, request=request, session=session, settings=settings, token=token
        )
    return scope


ScopeDep = Annotated[Scope, Depends(get_scope)]


def get_scope_detached(
    request: Request, settings: SettingsDep, token: Annotated[str | None, Depends(oauth2_scheme)]
) -> Scope:
    """The caller's scope from a short transaction of its own — for long-lived responses (streams) that
    must not hold a database connection open."""
    with request.app.state.session_factory() as session, session.begin():
        return deps.scope_from_token(request=request, session=session, settings=settings, token=token)


DetachedScopeDep = Annotated[Scope, Depends(get_scope_detached)]


async def page_params(
    limit: Annotated[int, Query(ge=1, le=1000)] = 100, offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0
) -> PageParams:
    return PageParams(limit=limit, offset=offset)


PageDep = Annotated[PageParams, Depends(page_params)]


@dataclass(frozen=True)
class ListRequest:
    """What a list route hands its service: the request's session, the caller's scope and the page asked for."""

    session: Session
    scope: Scope
    page: PageParams

    def of(
        self, list_rows: Callable[..., tuple[Sequence[Any], int]], out: Callable[[Any], T], **filters: Any
    ) -> Page[T]:
        """The page of ``list_rows`` (a service's list operation, called with ``filters``), each row as ``out``
        reads it."""
        rows, total = self.rows(list_rows, **filters)
        return Page.of([out(row) for row in rows], total, self.page)

    def rows(self, list_rows: Callable[..., tuple[Sequence[Any], int]], **filters: Any) -> tuple[Sequence[Any], int]:
        """``list_rows`` (a service's list operation) called for the caller and the page, with ``filters``."""
        page = self.page
        return list_rows(session=self.session, scope=self.scope, limit=page.limit, offset=page.offset, **filters)


async def list_request(session: SessionDep, scope: ScopeDep, page: PageDep) -> ListRequest:
    return ListRequest(session, scope, page)


# A list route's session, caller and page (``limit``, ``offset``) in one parameter.
ListRequestDep = Annotated[ListRequest, Depends(list_request)]


# Routes answered without authentication, each with the reason — listed here and nowhere else. Every
# other API route depends on the caller's scope (tests/api/test_api_contract.py walks the routes' dependencies;
# tests/api/test_jurisdiction.py checks each answers 401 without a token).
PUBLIC_ROUTE_REASONS: dict[tuple[str, str], str] = {
    ("GET", "/api/v1/health"): "liveness for load balancers and monitors; names no record, only ok/degraded",
    ("POST", "/api/v1/auth/token"): "the password login itself (throttled per account and client)",
    ("GET", "/api/v1/warnings/feed"): "the public CAP feed: warnings already issued to the public",
    ("POST", "/api/v1/tips"): "public reports (举报) from citizens: intake only, nothing is read back "
    "(per-address limit before the body is read: yingji.tips.api.TipGate)",
    ("GET", "/api/v1/tips/{tracking_code}"): "a tip's status for whoever holds its 100-bit tracking code; no "
    "field identifies the reporter (rate-limited per address against guessing)",
    ("GET", "/api/v1/enforcement/public/draws/{draw_id}"): "a published draw (双随机一公开): the public list of "
    "who inspects whom, with its seed and digest; unpublished draws are 404",
    ("POST", "/api/v1/tips/{tracking_code}/messages"): "the reporter's messages to the staff, by the tracking code "
    "alone (rate-limited per address with the status reads)",
    ("POST", "/api/v1/tips/{tracking_code}/reward/claim"): "the reporter claims an approved reward by the tracking "
    "code alone, naming who is to be paid (rate-limited per address with the status reads)",
    ("GET", "/api/v1/tips/public/statistics"): "public counts of tips by category, status and outcome; counts "
    "below 5 withheld",
    ("GET", "/api/v1/enforcement/public/statistics"): "public figures of inspections and penalty cases by "
    "category, division and state; counts below 5 withheld (and enough others that none can be derived)",
    ("GET", "/api/v1/docs"): "the API reference page: the published OpenAPI document, no data",
    ("GET", "/api/v1/docs/init.js"): "the API reference page's start-up script (static)",
    ("GET", "/api/v1/metrics"): "Prometheus metrics: its own check (a metrics token, or loopback without forwarding)",
}
PUBLIC_ROUTES: frozenset[tuple[str, str]] = frozenset(PUBLIC_ROUTE_REASONS)

# Row identifiers in paths: positive and within a 32-bit integer on every backend.
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]  # an optional filter by a row's id


def printable_html(html: str) -> HTMLResponse:
    """A self-contained printable document (a report): its own Content-Security-Policy — no script may run,
    only its inline styles apply (yingji.web.headers)."""
    return HTMLResponse(html, headers={"Content-Security-Policy": REPORT_CSP})
