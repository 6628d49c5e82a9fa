"""Engine, sessions and the declarative base. Nothing domain-specific lives here.

One URL setting (``YINGJI_DATABASE_URL``): SQLite (embedded default) or PostgreSQL with PostGIS.
One transaction per request or command: services never commit; :func:`transaction` does.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, TypeVar

from sqlalchemy import (
    JSON,
    DateTime,
    Engine,
    Integer,
    MetaData,
    Select,
    String,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from yingji import timerange
from yingji.errors import InvalidInput

T = TypeVar("T")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class _Divided(Protocol):
    @property
    def divisions(self) -> Sequence[Any]: ...


class CoversDivisions:
    """A row covering several divisions, one row of its ``divisions`` (with the division's ``code``) each."""

    @property
    def division_codes(self: _Divided) -> list[str]:
        return [d.code for d in self.divisions]


class UTCDateTime(TypeDecorator[dt.datetime]):
    """Timezone-aware UTC timestamps on every backend (SQLite stores naive UTC text)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; every timestamp must carry its offset")
        try:  # the last guard: a time outside the range would overflow on conversion (a 500)
            timerange.check(value)
        except timerange.TimeOutOfRange as exc:
            raise InvalidInput(str(exc)) from None
        value = value.astimezone(dt.UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: dt.datetime | None, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


# JSON on SQLite, JSONB on PostgreSQL.
JSONType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# Columns many tables share, as declarative mixins (``class Hazard(IdKey, Updated, Base)``): the same name,
# type, nullability and default as when each table spelled them out, so the migrations still describe the
# models. In ``Base.metadata`` a mixin's columns follow the class's own (``id`` first, by its sort order);
# a database's column order is the one its migrations created.


class IdKey:
    """An integer surrogate primary key ``id``, the table's first column."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)


class Created:
    """When the row was inserted (``created_at``, set by the ORM unless given)."""

    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Updated:
    """When the row last changed (``updated_at``): set on insert, and moved by the ORM on every UPDATE that
    does not set it. Tables whose services move ``updated_at`` only for some changes spell the column out."""

    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Logged:
    """A row of a history, written once: when (``at``, set by the ORM unless given) and by whom (``actor``,
    the acting scope's actor: a username, or a word such as "system")."""

    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(String(100))


def is_postgres(bind: Engine | Session) -> bool:
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    return engine.dialect.name == "postgresql"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain ``postgresql://`` URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


POOL_SIZE = 40  # connections kept per server process (see make_engine)
POOL_OVERFLOW = 10  # and opened beyond that in bursts
OTHER_CONNECTIONS = 10  # the monitoring worker, the periodic steps and a CLI command or two


def connection_budget_problem(url: str, server_processes: int) -> str | None:
    """A sentence when the server's pools (``server_processes`` × (POOL_SIZE + POOL_OVERFLOW), plus
    OTHER_CONNECTIONS) can exceed what PostgreSQL accepts from ordinary roles (``max_connections`` less
    ``superuser_reserved_connections``); None when they fit, on SQLite, or when the server cannot be asked."""
    url = normalise_url(url)
    if url.startswith("sqlite"):
        return None
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as conn:
            limit = int(conn.execute(text("SHOW max_connections")).scalar_one())
            reserved = int(conn.execute(text("SHOW superuser_reserved_connections")).scalar_one())
    except Exception:  # unreachable: the schema check that follows names the real problem
        return None
    finally:
        engine.dispose()
    needed = server_processes * (POOL_SIZE + POOL_OVERFLOW) + OTHER_CONNECTIONS
    if needed <= limit - reserved:
        return None
    return (
        f"PostgreSQL accepts {limit - reserved} connections (max_connections {limit} less {reserved} reserved "
        f"for superusers), but {server_processes} server process(es) x (pool {POOL_SIZE} + overflow "
        f"{POOL_OVERFLOW}) + {OTHER_CONNECTIONS} for workers and periodic steps = {needed}: under load "
        f"connections will be refused. Raise max_connections to at least {needed + reserved + 30} "
        "or run fewer server workers (docs/deploy.md section 2)."
    )


def make_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        WRITER_QUEUES[engine] = SqliteWriterQueue(engine)
        return engine
    # As many pooled connections as the server has worker threads (anyio's default 40): a thread never
    # waits for a connection held by a request that waits for a thread, and the connections a burst opens
    # are kept, not closed and opened again (a new PostgreSQL backend costs milliseconds of CPU on both
    # sides, which under load turned bursts into a queue). Connections open only when needed.
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    _cache_long_statements()
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


def _cache_long_statements() -> None:
    """psycopg rewrites each statement's ``%(name)s`` placeholders as ``$n`` and caches the rewrite only for
    statements up to 4 KB (a module constant). The incident list's statements are 4–6 KB, built once per
    shape and sent thousands of times: rewriting them each time cost a tenth of a list request's CPU."""
    from psycopg import _queries

    limit = getattr(_queries, "MAX_CACHED_STATEMENT_LENGTH", None)
    if isinstance(limit, int) and limit < 16_384:
        _queries.MAX_CACHED_STATEMENT_LENGTH = 16_384


# A pooled connection that waited longer than this is pinged before use, so a restarted server is noticed
# before a request fails; one in steady use is not (``pool_pre_ping`` cost a round trip per request).
PING_IDLE_S = 10.0


def _ping_when_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checking_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        checked_in = record.info.get("checked_in")
        if checked_in is None or time.monotonic() - checked_in < PING_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError("the pooled connection is gone") from exc  # the pool takes a new one


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


WRITER_QUEUES: weakref.WeakKeyDictionary[Engine, SqliteWriterQueue] = weakref.WeakKeyDictionary()
SQLITE_WRITER_WAIT_S = 30.0  # as long as the connections' busy_timeout
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class SqliteWriterQueue:
    """Writers of one SQLite engine take turns on an in-process lock, held from a transaction's first
    INSERT/UPDATE/DELETE until its commit or rollback has been done — exactly while SQLite itself holds the
    file's write lock (the driver begins the transaction just before the first such statement).

    Without it, concurrent writers meet SQLite's lock and its busy handler, which *sleeps* (1, 2, 5 … up to
    100 ms a try) instead of waking when the lock is free: under a burst most of the server's time went to
    those sleeps (bench/disaster_stats.py). Here a waiting writer wakes the moment the holder has committed.
    A writer that waits longer than the busy timeout, or that would wait for a transaction begun in its own
    thread (one request nesting two write sessions), goes on without the lock and SQLite decides as before,
    so nothing can deadlock that did not before. Other processes on the same file still meet SQLite's lock."""

    def __init__(self, engine: Engine) -> None:
        self.lock = threading.Lock()
        self.holder: int | None = None  # the thread that took the lock
        self.holding: dict[int, bool] = {}  # id(DBAPI connection) → took the lock (False: went on without)
        self.waits = 0  # writers that found the lock taken (a counting hook for tests)
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine.pool, "checkin", self._checkin)
        dialect = engine.dialect
        commit, rollback = dialect.do_commit, dialect.do_rollback

        def do_commit(dbapi_connection: Any) -> None:
            try:
                commit(dbapi_connection)
            finally:
                self._release(dbapi_connection)

        def do_rollback(dbapi_connection: Any) -> None:
            try:
                rollback(dbapi_connection)
            finally:
                self._release(dbapi_connection)

        dialect.do_commit = do_commit  # type: ignore[method-assign]
        dialect.do_rollback = do_rollback  # type: ignore[method-assign]

    def _before(self, conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        key = id(conn.connection.dbapi_connection)
        if key in self.holding or not statement.lstrip()[:7].upper().startswith(_WRITES):
            return  # this transaction has its turn (or went on without one), or the statement only reads
        me = threading.get_ident()
        if self.holder == me and self.lock.locked():
            # Maybe a second write session of this thread: SQLite's own lock decides. Marked, so the rest of
            # this transaction does not wait for the lock either (it may hold SQLite's lock by then, and the
            # lock's holder may be waiting for that: waiting here would close the circle).
            self.holding[key] = False
            return
        if not self.lock.acquire(blocking=False):
            self.waits += 1
            if not self.lock.acquire(timeout=SQLITE_WRITER_WAIT_S):
                self.holding[key] = False
                return
        self.holder = me
        self.holding[key] = True

    def _release(self, connection: Any) -> None:
        # the dialect is handed the pool's proxy (commit, rollback) or the DBAPI connection itself (checkin)
        dbapi_connection = getattr(connection, "dbapi_connection", connection)
        if self.holding.pop(id(dbapi_connection), False):
            self.holder = None
            self.lock.release()

    def _checkin(self, dbapi_connection: Any, _record: Any) -> None:
        self._release(dbapi_connection)  # returned without commit or rollback: never keep the lock


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


def read_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions for requests that only read (GET, HEAD, OPTIONS).

    On PostgreSQL every statement runs on its own (autocommit): no BEGIN and no COMMIT, which were two of
    the four round trips of a list request. A read answer does not need one snapshot across its
    statements. Any write through such a session is refused before it reaches the database, so a safe
    request can never change anything, let alone leave half a change behind."""
    bind = engine.execution_options(isolation_level="AUTOCOMMIT") if engine.dialect.name == "postgresql" else engine
    factory = sessionmaker(bind=bind, expire_on_commit=False, autoflush=False)
    event.listen(factory, "do_orm_execute", _refuse_write_statement)
    event.listen(factory, "before_flush", _refuse_flush)
    return factory


class ReadOnlySession(RuntimeError):
    """A write was attempted through a read-only session (a programming error: answered 500)."""


def _refuse_write_statement(state: Any) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        raise ReadOnlySession("a read-only request tried to write")


def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.new or session.dirty or session.deleted:
        raise ReadOnlySession("a read-only request tried to write")


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    with factory() as session, session.begin():
        yield session


def paginate(
    session: Session, stmt: Select[T], *order_by: Any, limit: int | None, offset: int = 0
) -> tuple[list[T], int]:
    """One page of ``stmt``'s rows in ``order_by`` order, and how many rows there are in all."""
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.order_by(*order_by).offset(offset)
    if limit is not None:
        page = page.limit(limit)
    return list(session.scalars(page)), total


def rows_by(session: Session, key: Any, ids: list[Any]) -> dict[Any, list[Any]]:
    """The rows whose column ``key`` holds one of ``ids``, in id order, grouped by it (every id, rows or none)."""
    out: dict[Any, list[Any]] = {i: [] for i in ids}
    if ids:
        model = key.class_
        for row in session.scalars(select(model).where(key.in_(ids)).order_by(model.id)):
            out[getattr(row, key.key)].append(row)
    return out
