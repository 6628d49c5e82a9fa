"""Request limits at the edge, through real HTTP on raw sockets: a body is refused before it is read (the
edge's counting hook shows no byte of it reached the app), a streamed body as soon as it passes the
limit, and a body sent without a valid token is answered 401 unread."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from tests.conftest import LiveServer, _fresh_database, login, test_settings
from yingji.edge import (
    BODY_LIMITS,
    MAX_HEADER_BYTES,
    MAX_QUERY_BYTES,
    PUBLIC_BODY_ROUTES,
    PUBLIC_UPLOADS_AT_ONCE,
    REFUSALS_AT_ONCE_PER_S,
    EdgeStats,
    RefusalPacer,
)

MB = 1024 * 1024


@pytest.fixture(scope="module")
def edge(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    for url in _fresh_database("sqlite", request, tmp_path_factory.mktemp("edge")):
        with LiveServer(test_settings(url, max_body_bytes=64 * 1024, refusal_delay_s=0.05)) as live:
            yield live


@pytest.fixture(scope="module")
def token(edge: LiveServer) -> str:
    with httpx.Client(base_url=edge.url) as client:
        return login(client, "admin")


def _stats(live: LiveServer) -> EdgeStats:
    stats: EdgeStats = live.app.state.edge_stats
    return stats


def _exchange(live: LiveServer, head: str, body: bytes = b"", chunks: list[bytes] | None = None) -> tuple[int, bytes]:
    """Send a request's head and part of its body on a raw socket; read the answer (status, body)."""
    with socket.create_connection(("127.0.0.1", live.port), timeout=30) as sock:
        sock.sendall(head.encode("latin-1") + b"\r\n" + body)
        try:
            for chunk in chunks or []:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed before the whole body was sent
        data = b""
        while b"\r\n\r\n" not in data:
            part = sock.recv(65536)
            assert part, f"connection closed without an answer: {data!r}"
            data += part
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        lines = head_bytes.decode("latin-1").split("\r\n")
        fields = dict(line.lower().partition(": ")[::2] for line in lines[1:])
        length = int(fields.get("content-length", "0"))
        while len(rest) < length:
            part = sock.recv(65536)
            if not part:
                break
            rest += part
        return int(lines[0].split()[1]), rest[:length]


def _head(method: str, path: str, *headers: str) -> str:
    return "\r\n".join([f"{method} {path} HTTP/1.1", "Host: test", *headers]) + "\r\n"


def test_a_huge_body_without_a_token_is_answered_401_unread(edge: LiveServer) -> None:
    before = _stats(edge).body_bytes
    status, body = _exchange(
        edge,
        _head("POST", "/api/v1/incidents", "Content-Type: application/json", f"Content-Length: {80 * MB}"),
        b"[" * 65536,
    )
    assert status == 401 and json.loads(body)["code"] == "unauthorized"
    assert _stats(edge).body_bytes == before  # not a byte reached the app


def test_a_huge_body_with_a_forged_or_expired_token_is_answered_401_unread(edge: LiveServer) -> None:
    before = _stats(edge).body_bytes
    for bad in ("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.x", "yjt_" + "A" * 43):
        status, _ = _exchange(
            edge, _head("POST", "/api/v1/incidents", f"Authorization: Bearer {bad}", f"Content-Length: {80 * MB}")
        )
        assert status == 401
    assert _stats(edge).body_bytes == before


def test_a_declared_body_over_the_limit_is_refused_413_unread(edge: LiveServer, token: str) -> None:
    before = _stats(edge).body_bytes
    status, body = _exchange(
        edge,
        _head("POST", "/api/v1/incidents", f"Authorization: Bearer {token}", f"Content-Length: {64 * 1024 + 1}"),
        b"{",
    )
    assert status == 413 and json.loads(body)["code"] == "content_too_large"
    assert _stats(edge).body_bytes == before


def test_a_streamed_body_is_refused_as_soon_as_it_passes_the_limit(edge: LiveServer, token: str) -> None:
    before = _stats(edge).body_bytes
    chunk = b" " * 16 * 1024
    status, body = _exchange(
        edge,
        _head(
            "POST",
            "/api/v1/incidents",
            f"Authorization: Bearer {token}",
            "Transfer-Encoding: chunked",
            "Content-Type: application/json",
        ),
        chunks=[chunk] * 200,  # 3.2 MB offered
    )
    assert status == 413, body
    assert json.loads(body)["status"] == 413
    # read up to the limit and no further than the last message from the server (uvicorn hands on what it
    # buffered, at most its 64 KiB flow-control mark), of the 3.2 MB offered
    assert _stats(edge).body_bytes - before <= 64 * 1024 + 2 * 65536


def test_a_streamed_body_within_the_limit_reaches_the_route(edge: LiveServer, token: str) -> None:
    payload = json.dumps({"title": "x"}).encode()
    status, body = _exchange(
        edge,
        _head(
            "POST",
            "/api/v1/incidents",
            f"Authorization: Bearer {token}",
            "Transfer-Encoding: chunked",
            "Content-Type: application/json",
        ),
        chunks=[payload, b""],
    )
    assert status == 422, body  # the route read and validated it


def test_the_sign_in_form_has_a_small_limit(edge: LiveServer) -> None:
    before = _stats(edge).body_bytes
    status, _ = _exchange(
        edge,
        _head(
            "POST",
            "/api/v1/auth/token",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {50 * MB}",
        ),
        b"username=admin&password=",
    )
    assert status == 413
    assert _stats(edge).body_bytes == before


def test_a_page_form_without_a_session_is_sent_to_sign_in_unread(edge: LiveServer) -> None:
    before = _stats(edge).body_bytes
    status, _ = _exchange(
        edge,
        _head(
            "POST",
            "/incidents/1/status",
            "Content-Type: application/x-www-form-urlencoded",
            f"Content-Length: {900 * 1024}",
        ),
        b"status=closed",
    )
    assert status == 303
    assert _stats(edge).body_bytes == before


def test_an_upload_route_takes_more_than_the_default_limit(edge: LiveServer, token: str) -> None:
    csv = ("code,name,level,parent_code\n" + "540223999,x,township,540223\n" * 12000).encode()
    assert len(csv) > 64 * 1024
    with httpx.Client(base_url=edge.url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        r = client.post("/api/v1/divisions/import", files={"file": ("d.csv", csv, "text/csv")})
    assert r.status_code != 413, r.text


def test_overlong_query_strings_and_headers_are_refused(edge: LiveServer) -> None:
    with httpx.Client(base_url=edge.url) as client:
        assert client.get("/api/v1/health", params={"q": "x" * MAX_QUERY_BYTES}).status_code == 414
        assert client.get("/api/v1/health", headers={"X-Pad": "x" * MAX_HEADER_BYTES}).status_code == 431
        assert client.get("/api/v1/health", params={"q": "x" * 1000}).status_code == 200


def test_every_declared_limit_and_public_route_names_a_route(edge: LiveServer) -> None:
    from yingji.app import all_routes
    from yingji.monitoring.api import MAX_BODY

    routes = {
        (method, getattr(route, "path", ""))
        for route in all_routes(edge.app)
        for method in (getattr(route, "methods", None) or ())
        if isinstance(getattr(route, "route", route), APIRoute) or hasattr(route, "methods")
    }
    missing = [key for key in BODY_LIMITS if key not in routes]
    assert not missing, f"BODY_LIMITS names routes that do not exist: {missing}"
    assert BODY_LIMITS[("POST", "/api/v1/readings")] == MAX_BODY
    public_missing = [key for key in PUBLIC_BODY_ROUTES if key not in routes]
    assert not public_missing


def _wait_for(condition: Any, what: str) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting: {what}"
        time.sleep(0.02)


def test_public_uploads_beyond_the_slots_get_503_until_one_ends(edge: LiveServer) -> None:
    """PUBLIC_UPLOADS_AT_ONCE bodies over the default limit stream in at once on a public route (per process);
    the next is answered 503 with Retry-After, unread; once the uploads end their slots come back."""
    part = 70 * 1024  # over the fixture's default limit of 64 KiB only together: the declared length is 140 KiB
    head = _head("POST", "/api/v1/tips", "Content-Type: application/json", f"Content-Length: {2 * part}")
    before = _stats(edge).body_bytes
    held: list[socket.socket] = []
    try:
        for _ in range(PUBLIC_UPLOADS_AT_ONCE):
            sock = socket.create_connection(("127.0.0.1", edge.port), timeout=30)
            sock.sendall(head.encode("latin-1") + b"\r\n" + b" " * part)
            held.append(sock)
        # every one holds its slot once the route has read its first part
        _wait_for(lambda: _stats(edge).body_bytes >= before + PUBLIC_UPLOADS_AT_ONCE * part, "uploads reading")
        reached = _stats(edge).body_bytes
        status, body = _exchange(edge, head, b" " * part)
        assert status == 503 and json.loads(body)["code"] == "service_unavailable"
        assert _stats(edge).body_bytes == reached  # not a byte of it reached the app
    finally:
        for sock in held:
            sock.close()
    answers: list[int] = []

    def admitted() -> bool:
        answers.append(_exchange(edge, head, b" " * (2 * part))[0])
        return answers[-1] != 503

    _wait_for(admitted, "a slot")
    assert answers[-1] == 422  # read to the end by the route: spaces are not a JSON object


def test_an_address_refused_often_gets_its_further_refusals_that_second_held_back() -> None:
    pacer = RefusalPacer(1.0)
    assert not any(pacer.wait("10.0.0.1", 100.2) for _ in range(REFUSALS_AT_ONCE_PER_S))
    assert pacer.wait("10.0.0.1", 100.9) == 1.0  # one more in the same second
    assert pacer.wait("10.0.0.2", 100.9) == 0.0  # another address is not held back for it
    assert pacer.wait("10.0.0.1", 101.0) == 0.0  # a new second starts a new count


def test_an_address_over_the_limit_second_after_second_waits_longer_up_to_a_ceiling() -> None:
    pacer = RefusalPacer(1.0)
    waits = []
    for second in range(100, 106):
        waits.append(max(pacer.wait("10.0.0.1", second + 0.5) for _ in range(REFUSALS_AT_ONCE_PER_S + 1)))
    assert waits == [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]
    assert pacer.wait("10.0.0.1", 106.5) == 0.0  # within the limit this second: ...
    assert max(pacer.wait("10.0.0.1", 107.5) for _ in range(REFUSALS_AT_ONCE_PER_S + 1)) == 1.0  # ... starts again
    assert max(pacer.wait("10.0.0.3", 120.5) for _ in range(REFUSALS_AT_ONCE_PER_S + 1)) == 1.0  # a gap: again


def test_pacing_waits_on_the_event_loop_and_holds_back_a_bounded_number() -> None:
    import asyncio

    from yingji import edge as edge_module

    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    scope: dict[str, Any] = {"client": ("10.0.0.3", 5000)}
    pacer = RefusalPacer(0.5, sleep=sleep)
    asyncio.run(pacer.pace(scope))
    assert waits == []  # the first refusal of a second is answered at once
    asyncio.run(pacer.pace(scope, always=True))  # a throttled sign-in always waits
    assert waits == [0.5] and pacer.paced == 1 and pacer.held == 0
    pacer.held = edge_module.HELD_AT_MOST  # as many held back as a process keeps: answered at once
    asyncio.run(pacer.pace(scope, always=True))
    assert waits == [0.5]
    asyncio.run(RefusalPacer(0.0, sleep=sleep).pace(scope, always=True))  # YINGJI_REFUSAL_DELAY_S=0: never
    assert waits == [0.5]


def test_a_flood_of_unauthenticated_bodies_is_still_answered_401_each_and_paced(edge: LiveServer) -> None:
    """Past the free refusals of a second, the edge holds the 401s back (RefusalPacer): each request is still
    answered, unread, and the pacer counts the ones it held."""
    pacer: RefusalPacer = edge.app.state.refusal_pacer
    before, statuses = pacer.paced, set()
    head = _head("POST", "/api/v1/incidents", "Content-Type: application/json", f"Content-Length: {80 * MB}")
    for _ in range(10 * REFUSALS_AT_ONCE_PER_S):
        statuses.add(_exchange(edge, head)[0])
        if pacer.paced > before:
            break
    assert statuses == {401} and pacer.paced > before
