"""Generated requests over every operation of the OpenAPI document (schemathesis), as a national
administrator and as a county duty officer, bounded by examples per operation and by time.

Checks each answer: no 5xx, the status code is declared for the operation, the content type is declared,
and the body conforms to the declared schema. Prints operations, cases and failures by kind; exits 1 when
any check failed.

    .venv/bin/python tools/schemathesis_run.py                       # own server on a fresh demo SQLite
    .venv/bin/python tools/schemathesis_run.py --examples 25 --seconds 900
    .venv/bin/python tools/schemathesis_run.py --url http://127.0.0.1:8000   # a running demo server

``tests/api/test_api_fuzz.py`` runs the same loop with a few examples per operation.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

DEMO_PASSWORD = "Yingji-demo-2026!"
DEFAULT_USERS = ("dingri_duty", "admin")  # the county first: the administrator may disable it
# Operations not fuzzed, with the reason: an endless event stream (a case would never end).
SKIPPED_PATHS = frozenset({"/api/v1/events"})


@dataclass
class Summary:
    operations: int = 0
    cases: int = 0
    statuses: collections.Counter[int] = field(default_factory=collections.Counter)
    failures: collections.Counter[str] = field(default_factory=collections.Counter)
    samples: dict[tuple[str, str], str] = field(default_factory=dict)  # (kind, operation) -> one example
    not_reached: list[str] = field(default_factory=list)

    def record(self, kind: str, operation: str, example: str) -> None:
        self.failures[kind] += 1
        self.samples.setdefault((kind, operation), example)

    def lines(self) -> list[str]:
        out = [
            f"operations: {self.operations}",
            f"cases: {self.cases}",
            "statuses: " + ", ".join(f"{s}×{n}" for s, n in sorted(self.statuses.items())),
            f"failures: {sum(self.failures.values())}",
        ]
        out += [f"  {kind}: {count}" for kind, count in self.failures.most_common()]
        if self.samples:
            out.append(f"distinct (kind, operation) pairs: {len(self.samples)}")
            out += [f"  {kind} @ {op}: {example}" for (kind, op), example in sorted(self.samples.items())[:60]]
        if self.not_reached:
            out.append(f"not reached before the time limit: {len(self.not_reached)} operations")
        return out


def _failure_kinds(exc: BaseException) -> list[tuple[str, str]]:
    """(kind, message) of each failed check in a schemathesis failure or group."""
    inner = getattr(exc, "exceptions", None)
    if inner:
        return [pair for sub in inner for pair in _failure_kinds(sub)]
    title = getattr(exc, "title", None) or type(exc).__name__
    message = str(getattr(exc, "message", "") or exc).splitlines()
    return [(str(title), " ".join(message[:3])[:300])]


# Upload bodies declared as raw files (e.g. a disaster event's xlsx tables): generated values are sent as
# their bytes, so the server's own checks (it must refuse a broken workbook with a problem document) are fuzzed.
BINARY_MEDIA_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",)


def _register_binary_serializers(schemathesis: Any) -> None:
    for media_type in BINARY_MEDIA_TYPES:

        @schemathesis.serializer(media_type)
        def _raw(_ctx: Any, value: Any) -> bytes:
            return value if isinstance(value, bytes) else str(value).encode("utf-8")


def fuzz(
    base_url: str,
    tokens: dict[str, str],
    *,
    examples: int,
    seconds: float,
    summary: Summary | None = None,
    log: Callable[[str], None] = print,
) -> Summary:
    """Run every operation's generated cases with each token; record, never stop at, failures."""
    import schemathesis

    summary = summary or Summary()
    _register_binary_serializers(schemathesis)
    httpx.get(base_url + "/api/v1/openapi.json", timeout=120)  # built once (slow under load), cached after
    schema = schemathesis.openapi.from_url(base_url + "/api/v1/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    checks = [
        schemathesis.checks.not_a_server_error,
        schemathesis.checks.status_code_conformance,
        schemathesis.checks.content_type_conformance,
        schemathesis.checks.response_schema_conformance,
    ]
    deadline = time.monotonic() + seconds
    for user, token in tokens.items():
        headers = {"Authorization": f"Bearer {token}"}
        for operation in operations:
            name = f"{operation.method.upper()} {operation.path}"
            if operation.path in SKIPPED_PATHS:
                continue
            if time.monotonic() > deadline:
                summary.not_reached.append(f"{user}: {name}")
                continue
            summary.operations += 1
            _run_operation(operation, name, user, headers, checks, examples, summary)
        log(f"{user}: {summary.cases} cases so far")
    return summary


def _run_operation(
    operation: Any, name: str, user: str, headers: dict[str, str], checks: list[Any], examples: int, summary: Summary
) -> None:
    from hypothesis import HealthCheck, given, settings

    @settings(
        max_examples=examples,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
        print_blob=False,
    )
    @given(case=operation.as_strategy())
    def check(case: Any) -> None:
        try:
            response = case.call(headers=headers, timeout=60)
        except Exception as exc:  # a transport error (e.g. the server closed the connection)
            summary.cases += 1
            summary.record(f"transport:{type(exc).__name__}", name, str(exc)[:200])
            return
        summary.cases += 1
        summary.statuses[response.status_code] += 1
        try:
            case.validate_response(response, checks=checks)
        except (Exception, BaseExceptionGroup) as exc:  # schemathesis groups failed checks
            for kind, message in _failure_kinds(exc):
                summary.record(kind, name, f"[{user} → {response.status_code}] {message}")

    check()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def demo_server(directory: Path) -> Iterator[str]:
    """A server on loopback over a fresh SQLite demo database (migrated, demo loaded)."""
    import uvicorn

    from yingji.app import create_app
    from yingji.auth.scope import system_scope
    from yingji.config import Settings
    from yingji.db import make_engine, session_factory, transaction
    from yingji.dbcli import upgrade_database
    from yingji.demo import load_demo

    url = f"sqlite:///{directory / 'fuzz.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        load_demo(session=session, scope=system_scope("schemathesis"), domain_data=False)
    engine.dispose()
    settings = Settings(database_url=url, env="test", login_attempts_per_minute=1000, redis_url=None)  # type: ignore[call-arg]
    app = create_app(settings)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = time.monotonic()
    while not server.started:
        if time.monotonic() - started > 60 or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        app.state.engine.dispose()


def login(base_url: str, username: str, password: str) -> str:
    response = httpx.post(
        base_url + "/api/v1/auth/token", data={"username": username, "password": password}, timeout=30
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="a running server (demo users loaded); default: start one")
    parser.add_argument("--examples", type=int, default=10, help="generated cases per operation and user")
    parser.add_argument("--seconds", type=float, default=600, help="stop starting operations after this")
    parser.add_argument("--users", default=",".join(DEFAULT_USERS), help="comma-separated demo users")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    args = parser.parse_args(argv)
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        if args.url:
            base_url = args.url.rstrip("/")
        else:
            directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="yingji-fuzz-")))
            base_url = stack.enter_context(demo_server(directory))
        tokens = {user: login(base_url, user, args.password) for user in args.users.split(",") if user}
        summary = fuzz(base_url, tokens, examples=args.examples, seconds=args.seconds)
    print(f"schemathesis over {base_url} as {', '.join(tokens)}: {args.examples} examples per operation")
    for line in summary.lines():
        print(line)
    print(f"elapsed: {time.monotonic() - started:.0f} s")
    return 1 if summary.failures else 0


if __name__ == "__main__":
    sys.exit(main())
