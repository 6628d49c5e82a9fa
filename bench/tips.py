"""Public tips through the real HTTP server: 10,000 tips offered in 60 s from loopback (issue #16).

Starts ``uvicorn`` (``--workers``, default 1; the per-address counts are shared by the workers through the
database, ``auth.ratelimit.WindowLimits``, so the admitted count is the same with several) on an SQLite copy
of the demo region with ``YINGJI_TRUSTED_PROXIES=127.0.0.1``, so the load generator speaks for
``--addresses`` client addresses through ``X-Forwarded-For``, and a per-address limit set for the test
(``--per-address``, default 7 per hour: with 1,000 addresses offering 10 tips each, 7,000 are admitted and 3,000
refused). The tips are offered open loop at an even rate (each one's latency counts from its scheduled moment),
as JSON, each with a unique marker in its text.

Then checks, from the database: every tip answered 201 is stored exactly once, every one answered 429 is not
stored, no other answer was given, and exactly as many were admitted as the limit allows (whatever worker each
reached). Prints the offered and answered rates, p50/p99 latency and the check.

    .venv/bin/python bench/tips.py [--count 10000] [--seconds 60] [--workers 1]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
from bench_server import launch, stop_server

DIVISIONS = ("540223000000", "540225000000", "540200000000")
CONNECTIONS = 32


def prepare(folder: Path) -> str:
    from yingji.auth.scope import system_scope
    from yingji.db import make_engine, session_factory, transaction
    from yingji.dbcli import upgrade_database
    from yingji.demo import load_demo

    url = f"sqlite:///{folder / 'tips.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        load_demo(session=session, scope=system_scope("bench"), domain_data=False)
    engine.dispose()
    return url


def start_server(url: str, port: int, folder: Path, per_address: int, workers: int = 1) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env.update({"YINGJI_DATABASE_URL": url, "YINGJI_ENV": "development", "YINGJI_TRUSTED_PROXIES": "127.0.0.1",
                "YINGJI_REDIS_URL": "", "YINGJI_TIPS_DIR": str(folder / "photos"),
                "YINGJI_TIPS_PER_ADDRESS": str(per_address), "YINGJI_TIPS_WINDOW_S": "3600"})  # fmt: skip
    cmd = [
        sys.executable, "-m", "uvicorn", "yingji.app:create_app", "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
        "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1",
    ]  # fmt: skip
    return launch(cmd, env, port, wait_s=90)


async def offer(base: str, count: int, seconds: float, addresses: int) -> tuple[dict[int, int], list[float], float]:
    """Offer ``count`` tips evenly over ``seconds`` from :data:`CONNECTIONS` connections, each sending the next
    tip due (open loop: a tip is sent at its moment or, when the server is behind, as soon as a connection is
    free; its latency counts from its scheduled moment). Answers by tip number, latencies (s), elapsed (s)."""
    answers: dict[int, int] = {}
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    numbers = iter(range(count))
    async with httpx.AsyncClient(base_url=base, timeout=120, limits=limits) as client:
        start = time.perf_counter()

        async def sender() -> None:
            for n in numbers:
                due = start + n * seconds / count
                await asyncio.sleep(max(0.0, due - time.perf_counter()))
                body = {"category": "work_safety", "text": f"bench tip #{n}#", "division": DIVISIONS[n % 3],
                        "anonymous": True}  # fmt: skip
                headers = {"X-Forwarded-For": f"10.{n % addresses // 250}.{n % addresses % 250}.7"}
                try:
                    r = await client.post("/api/v1/tips", json=body, headers=headers)
                    answers[n] = r.status_code
                except httpx.HTTPError:
                    answers[n] = -1
                latencies.append(time.perf_counter() - due)

        await asyncio.gather(*(sender() for _ in range(CONNECTIONS)))
        return answers, latencies, time.perf_counter() - start


def stored_markers(url: str) -> collections.Counter[int]:
    from sqlalchemy import select

    from yingji.db import make_engine, session_factory
    from yingji.tips.models import Tip

    engine = make_engine(url)
    try:
        with session_factory(engine)() as session:
            texts = session.scalars(select(Tip.text).where(Tip.text.like("bench tip #%"))).all()
    finally:
        engine.dispose()
    return collections.Counter(int(t.split("#")[1]) for t in texts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--addresses", type=int, default=1_000)
    parser.add_argument("--per-address", type=int, default=7)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = prepare(folder)
        port = _free_port()
        server = start_server(url, port, folder, args.per_address, args.workers)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))  # stop the server on SIGTERM too
        try:
            answers, latencies, elapsed = asyncio.run(offer(f"http://127.0.0.1:{port}", args.count, args.seconds,
                                                            args.addresses))  # fmt: skip
        finally:
            stop_server(server)
        stored = stored_markers(url)
    by_status = collections.Counter(answers.values())
    accepted = {n for n, s in answers.items() if s == 201}
    refused = {n for n, s in answers.items() if s == 429}
    twice = sorted(n for n, c in stored.items() if c > 1)
    lost = sorted(n for n in accepted if stored[n] == 0)
    stored_refused = sorted(n for n in refused if stored[n])
    other = {s: c for s, c in by_status.items() if s not in (201, 429)}
    expected_accepted = min(args.per_address, args.count // args.addresses) * args.addresses
    ms = np.array(latencies) * 1000
    print(f"offered {args.count} tips in {args.seconds:.0f} s ({args.count / args.seconds:.1f}/s) from "
          f"{args.addresses} addresses, limit {args.per_address} per address, {args.workers} worker(s)")  # fmt: skip
    print(f"answered in {elapsed:.1f} s: {by_status[201]} × 201 ({by_status[201] / elapsed:.1f}/s), "
          f"{by_status[429]} × 429 ({by_status[429] / elapsed:.1f}/s), other {other or 'none'}")  # fmt: skip
    print(f"latency from the scheduled moment: p50 {np.percentile(ms, 50):.1f} ms  p99 {np.percentile(ms, 99):.1f} ms"
          f"  max {ms.max():.1f} ms")  # fmt: skip
    print(f"admitted as the limit allows: {len(accepted)} (expected {expected_accepted})")
    print(f"stored: {sum(stored.values())} rows; 201 not stored: {len(lost)}; stored twice: {len(twice)}; "
          f"429 stored: {len(stored_refused)}")  # fmt: skip
    ok = not (lost or twice or stored_refused or other) and sum(stored.values()) == len(accepted)
    ok = ok and len(accepted) == expected_accepted
    print("check: every 201 stored exactly once, every 429 not stored, nothing else, the limit held —",
          "PASS" if ok else "FAIL")  # fmt: skip
    if not ok:
        raise SystemExit(1)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


if __name__ == "__main__":
    main()
