"""Shared fixtures: the two database backends as one parametrised fixture, a real HTTP server, logins.

Each backend gets a template database once per test session (migrated, demo region loaded); each test
or module then gets a fast copy of it (SQLite: a file copy; PostgreSQL: CREATE DATABASE … TEMPLATE).
PostgreSQL tests skip with the reason when the server or PostGIS is not available.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session

from yingji.config import Settings
from yingji.db import make_engine, session_factory

PG_ADMIN_URL = os.environ.get("YINGJI_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
DEMO_PASSWORD = "Yingji-demo-2026!"
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
_counter = itertools.count()


def _pg_problem() -> str | None:
    """Why PostgreSQL tests cannot run here, or None."""
    try:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            ok = conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).scalar()
        engine.dispose()
    except Exception as exc:
        return f"PostgreSQL not reachable at {PG_ADMIN_URL}: {type(exc).__name__}"
    if not ok:
        return "the PostGIS extension is not installed (make test installs postgresql-15-postgis-3)"
    return None


def _pg_url(database: str) -> str:
    return PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + database


def _pg_admin(sql: str) -> None:
    engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def _prepare(url: str) -> None:
    from yingji.auth.scope import system_scope
    from yingji.db import transaction
    from yingji.dbcli import upgrade_database
    from yingji.demo import load_demo

    upgrade_database(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        load_demo(session=session, scope=system_scope("test-setup"), domain_data=False)
    engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "template.db"
    _prepare(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str]:
    problem = _pg_problem()
    if problem:
        pytest.skip(problem)
    name = f"yingji_tpl_{os.getpid()}"
    _pg_admin(f"DROP DATABASE IF EXISTS {name}")
    _pg_admin(f"CREATE DATABASE {name}")
    _prepare(_pg_url(name))
    yield name
    _pg_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


class _PgCopies:
    """Copies of the template made ahead of need and dropped after use by two background threads, so no test
    waits for CREATE DATABASE (0.2–0.6 s) or DROP DATABASE (0.2–2 s: it waits for a checkpoint)."""

    AHEAD = 2

    def __init__(self, template: str) -> None:
        self.template = template
        self.ready: queue.Queue[str | BaseException] = queue.Queue()
        self.to_make: queue.Queue[bool] = queue.Queue()
        self.to_drop: queue.Queue[str | None] = queue.Queue()
        self.threads = [
            threading.Thread(target=self._maker, daemon=True, name="pg-copies-make"),
            threading.Thread(target=self._dropper, daemon=True, name="pg-copies-drop"),
        ]
        for thread in self.threads:
            thread.start()
        for _ in range(self.AHEAD):
            self.to_make.put(True)

    def _maker(self) -> None:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        while self.to_make.get():
            name = f"yingji_t_{os.getpid()}_{next(_counter)}"
            try:
                with engine.connect() as conn:
                    conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {self.template}"))
                self.ready.put(name)
            except BaseException as exc:  # handed to the test that waits for this copy
                self.ready.put(exc)
        engine.dispose()

    def _dropper(self) -> None:
        engine = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        while (name := self.to_drop.get()) is not None:
            with engine.connect() as conn:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        engine.dispose()

    def take(self) -> str:
        self.to_make.put(True)
        got = self.ready.get(timeout=300)
        if isinstance(got, BaseException):
            raise got
        return got

    def give_back(self, name: str) -> None:
        self.to_drop.put(name)

    def close(self) -> None:
        self.to_make.put(False)
        self.threads[0].join()
        while not self.ready.empty():
            left = self.ready.get()
            if isinstance(left, str):
                self.to_drop.put(left)
        self.to_drop.put(None)
        self.threads[1].join()


@pytest.fixture(scope="session")
def pg_copies(pg_template: str) -> Iterator[_PgCopies]:
    copies = _PgCopies(pg_template)
    try:
        yield copies
    finally:
        copies.close()  # before the template is dropped


def _fresh_database(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if backend == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / f"db{next(_counter)}.db"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    copies: _PgCopies = request.getfixturevalue("pg_copies")
    name = copies.take()
    try:
        yield _pg_url(name)
    finally:
        copies.give_back(name)


BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database (demo region loaded) on each backend, for one test."""
    yield from _fresh_database(request.param, request, tmp_path)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session in one transaction, rolled back after the test."""
    factory = session_factory(engine)
    with factory() as s, s.begin():
        yield s
        s.rollback()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LiveServer:
    """The platform served by uvicorn on loopback in a thread: tests talk real HTTP to it."""

    def __init__(self, settings: Settings) -> None:
        from yingji.app import create_app

        self.settings = settings
        self.app = create_app(settings)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        from yingji.edge import proxy_options

        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on", **proxy_options(settings)
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.app.state.engine.dispose()

    def client(self, username: str | None = None, password: str = DEMO_PASSWORD) -> httpx.Client:
        client = httpx.Client(base_url=self.url, timeout=30)
        if username:
            token = login(client, username, password)
            client.headers["Authorization"] = f"Bearer {token}"
        return client


def login(client: httpx.Client, username: str, password: str = DEMO_PASSWORD) -> str:
    response = client.post("/api/v1/auth/token", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def test_settings(db_url: str, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "database_url": db_url,
        "env": "test",
        "login_free_attempts": 1000,  # tests sign in and fail at will; tests/auth/test_login_throttle.py throttles
        "login_client_free_attempts": 1000,
        "tips_per_address": 1000,  # the jurisdiction cases submit tips from one address; tests/tips sets its own
        "refusal_delay_s": 0.0,  # refusals answered at once (tests refuse at will); test_edge.py checks pacing
        "redis_url": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


test_settings.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture(scope="module", params=BACKENDS)
def live(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One server per test module and backend, on its own copy of the demo database."""
    tmp = tmp_path_factory.mktemp("live")
    for url in _fresh_database(request.param, request, tmp):
        with LiveServer(test_settings(url)) as server:
            yield server
