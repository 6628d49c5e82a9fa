"""What abuse costs a real server: unauthenticated floods against a signed-in user's service (issue #12).

Starts ``uvicorn`` on loopback (``yingji.app:create_app``, 2 workers sharing the login throttle through
Redis when it is reachable, else through the database; ``--no-redis`` forces the latter) on an SQLite
copy of the demo region, with ``YINGJI_TRUSTED_PROXIES=127.0.0.1`` so that the load generator can speak
for many client addresses through ``X-Forwarded-For`` (the attacker rotates them, as a botnet would: only
the per-account back-off holds it). Then, while a signed-in duty officer reads the incident list (20
requests/s, open loop, latency from each scheduled moment), a second process attacks for ``--seconds``:

- 200 connections at once, each sending ``POST /api/v1/incidents`` without a token with a 50 MB body
  (sending it as fast as the server takes it, and again on a new connection when answered);
- a login flood: 20 connections guessing the password of one account, from rotating addresses;
- large bodies against the public POST routes that exist (from :data:`PUBLIC_POST_ROUTES`: the public
  tips route when it exists, else the sign-in route), 50 MB each, 20 connections.

Meanwhile the real owner of the attacked account signs in with the device cookie of an earlier sign-in,
and without it (refused by design while the account is in back-off: ASVS 2.2.1 locks out clients it does
not know), and another user signs in from an address of their own without a device cookie.

Prints the server's memory (RSS of all its processes) idle and at its peak during the attack (goal: within
100 MB of idle), the reader's p50/p99 (goal p99 <= 100 ms), each sign-in's time (goal <= 2 s), each with
its ratio to the goal, and what the attack's requests were answered.

    .venv/bin/python bench/abuse.py [--seconds 20] [--workers 2] [--no-redis]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import uvloop
from bench_server import launch, stop_server
from proc_stats import cpu_seconds

PASSWORD = "Yingji-demo-2026!"
READER, VICTIM, OTHER = "dingri_duty", "xigaze_duty", "lazi_duty"
MB = 1024 * 1024
GOAL_RSS_MB, GOAL_P99_MS, GOAL_SIGN_IN_S = 100.0, 100.0, 2.0
# Public POST routes that take an upload, largest first; the bench floods those the server has, else the
# sign-in route (issue #12 names the public tips route, which a later domain adds).
PUBLIC_POST_ROUTES = ("/api/v1/tips", "/api/v1/auth/token")
REDIS = "redis://127.0.0.1:6379/0"


# -- the server ----------------------------------------------------------------------------------------


def prepare(folder: Path) -> str:
    from yingji.auth.scope import system_scope
    from yingji.db import make_engine, session_factory, transaction
    from yingji.dbcli import upgrade_database
    from yingji.demo import load_demo

    url = f"sqlite:///{folder / 'abuse.db'}"
    upgrade_database(url)
    engine = make_engine(url)
    with transaction(session_factory(engine)) as session:
        load_demo(session=session, scope=system_scope("bench"))
    engine.dispose()
    return url


def redis_reachable() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def start_server(url: str, port: int, workers: int, redis_url: str | None) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env.update({"YINGJI_DATABASE_URL": url, "YINGJI_ENV": "development", "YINGJI_TRUSTED_PROXIES": "127.0.0.1"})
    env["YINGJI_REDIS_URL"] = redis_url or ""
    cmd = [
        sys.executable, "-m", "uvicorn", "yingji.app:create_app", "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
        "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1",
    ]  # fmt: skip
    return launch(cmd, env, port, wait_s=90)


def server_pids(server: subprocess.Popen[bytes]) -> list[int]:
    pids = [server.pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return pids


def rss_mb(server: subprocess.Popen[bytes], pids: list[int] | None = None) -> float:
    total = 0
    for pid in pids if pids is not None else server_pids(server):
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total / 1024


class RssWatch:
    """Samples the server's RSS every 50 ms in a thread; keeps the peak. The server's processes are listed
    once a second, not at every sample: walking all of /proc holds this process's GIL long enough to delay
    the reader's measurements, which run in this process."""

    def __init__(self, server: subprocess.Popen[bytes]) -> None:
        self.server, self.peak, self.stop = server, 0.0, threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        pids, listed = server_pids(self.server), time.monotonic()
        while not self.stop.is_set():
            if time.monotonic() - listed > 1.0:
                pids, listed = server_pids(self.server), time.monotonic()
            self.peak = max(self.peak, rss_mb(self.server, pids))
            self.stop.wait(0.05)

    def __enter__(self) -> RssWatch:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()


# -- the attacker (a process of its own, so its work does not delay the reader's measurements) -----------


async def _send_body(writer: asyncio.StreamWriter, chunk: bytes) -> None:
    sent = 0
    while sent < 50 * MB:
        writer.write(chunk)
        await writer.drain()
        sent += len(chunk)


async def _body_flood(port: int, path: str, counts: collections.Counter[str], until: float, headers: str) -> None:
    """One connection after another, each announcing 50 MB and sending it as fast as the server reads."""
    chunk = b"x" * (256 * 1024)
    while time.monotonic() < until:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            counts["connect error"] += 1
            await asyncio.sleep(0.05)
            continue
        head = f"POST {path} HTTP/1.1\r\nHost: bench\r\n{headers}Content-Length: {50 * MB}\r\n\r\n"
        writer.write(head.encode())

        sender = asyncio.create_task(_send_body(writer, chunk))
        try:
            line = await asyncio.wait_for(reader.readline(), timeout=max(0.1, until - time.monotonic() + 5))
            counts[f"HTTP {line.split()[1].decode()}" if line else "closed"] += 1
        except (TimeoutError, OSError, IndexError):
            counts["no answer"] += 1
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, OSError):
            await sender
        writer.close()


async def _login_flood(port: int, counts: collections.Counter[str], until: float) -> None:
    rng = random.Random()
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        while time.monotonic() < until:
            address = f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
            try:
                r = await client.post(
                    "/api/v1/auth/token",
                    data={"username": VICTIM, "password": f"guess-{rng.random()}"},
                    headers={"X-Forwarded-For": address},
                )
                counts[f"login {r.status_code}"] += 1
            except httpx.HTTPError:
                counts["login error"] += 1


async def attack(port: int, seconds: float, public_routes: list[str]) -> dict[str, dict[str, int]]:
    until = time.monotonic() + seconds
    floods: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    tasks = [
        _body_flood(port, "/api/v1/incidents", floods["50 MB to POST /api/v1/incidents, no token"], until,
                    "Content-Type: application/json\r\n")
        for _ in range(200)
    ]  # fmt: skip
    for path in public_routes:
        tasks += [
            _body_flood(port, path, floods[f"50 MB to POST {path}"], until,
                        "Content-Type: application/x-www-form-urlencoded\r\n")
            for _ in range(20)
        ]  # fmt: skip
    tasks += [_login_flood(port, floods[f"wrong passwords for {VICTIM}"], until) for _ in range(20)]
    await asyncio.gather(*tasks)
    return {name: dict(c) for name, c in floods.items()} | {"cpu": {"seconds": int(time.process_time())}}


# -- the real users --------------------------------------------------------------------------------------


async def read_incidents(port: int, token: str, seconds: float, rate: float = 20.0) -> list[float]:
    """Open-loop reads of the incident list; latency from each scheduled moment (-1 for a failure)."""
    loop = asyncio.get_running_loop()
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=20, max_keepalive_connections=20)
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{port}", headers={"Authorization": f"Bearer {token}"}, timeout=30, limits=limits
    ) as client:

        async def one(scheduled: float) -> None:
            try:
                r = await client.get("/api/v1/incidents?limit=50", headers={"X-Forwarded-For": "192.168.1.10"})
                latencies.append((loop.time() - scheduled) * 1000 if r.status_code == 200 else -1.0)
            except httpx.HTTPError:
                latencies.append(-1.0)

        began = loop.time()
        tasks = []
        for i in range(int(seconds * rate)):
            delay = began + i / rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(began + i / rate)))
        await asyncio.gather(*tasks)
    return latencies


def sign_in_client(port: int, cookies: httpx.Cookies | None) -> httpx.AsyncClient:
    """Made before the measurement: making an httpx client loads its TLS context, tens of milliseconds on
    this process's event loop that the reader's requests would wait behind."""
    return httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", cookies=cookies, timeout=30)


async def sign_in(client: httpx.AsyncClient, username: str, address: str) -> tuple[float, int]:
    async with client:
        started = time.perf_counter()
        r = await client.post(
            "/api/v1/auth/token",
            data={"username": username, "password": PASSWORD},
            headers={"X-Forwarded-For": address},
        )
        return time.perf_counter() - started, r.status_code


async def during_attack(port: int, token: str, device: httpx.Cookies, seconds: float) -> dict[str, object]:
    clients = [(sign_in_client(port, device), sign_in_client(port, None), sign_in_client(port, None)) for _ in range(3)]
    reading = asyncio.create_task(read_incidents(port, token, seconds))
    await asyncio.sleep(min(5.0, seconds / 3))  # the floods are in full swing
    signs: dict[str, list[tuple[float, int]]] = collections.defaultdict(list)
    for round_, (with_device, without, other) in enumerate(clients):
        signs[f"{VICTIM} with the device cookie"].append(await sign_in(with_device, VICTIM, "192.168.1.20"))
        signs[f"{VICTIM} without it"].append(await sign_in(without, VICTIM, f"192.168.1.{30 + round_}"))
        signs[f"{OTHER} (not attacked) without one"].append(await sign_in(other, OTHER, "192.168.1.40"))
        await asyncio.sleep(1.0)
    return {"latencies": await reading, "signs": signs}


def public_routes_present(port: int) -> list[str]:
    paths = httpx.get(f"http://127.0.0.1:{port}/api/v1/openapi.json", timeout=30).json()["paths"]
    present = [p for p in PUBLIC_POST_ROUTES if "post" in paths.get(p, {})]
    return present[:1] if present and present[0] != "/api/v1/auth/token" else ["/api/v1/auth/token"]


def row(label: str, value: float, goal: float | None = None) -> None:
    ratio = f"{goal:>6g}  {value / goal:.2f}×" if goal else ""
    print(f"{label:<62}{value:>10.3f}  {ratio}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20.0, help="length of the attack")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--no-redis", action="store_true", help="share the login throttle through the database")
    parser.add_argument("--attack", action="store_true", help=argparse.SUPPRESS)  # the attacking process
    parser.add_argument("--routes", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attack:
        print(json.dumps(uvloop.run(attack(args.port, args.seconds, args.routes.split(",")))))
        return

    folder = Path(tempfile.mkdtemp(prefix="yingji-abuse-"))
    redis_url = REDIS if not args.no_redis and redis_reachable() else None
    workers = args.workers
    try:
        url = prepare(folder)
        server = start_server(url, args.port, workers, redis_url)
        try:
            run(server, args, workers, redis_url)
        finally:
            stop_server(server)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run(server: subprocess.Popen[bytes], args: argparse.Namespace, workers: int, redis_url: str | None) -> None:
    base = f"http://127.0.0.1:{args.port}"
    token = httpx.post(base + "/api/v1/auth/token", data={"username": READER, "password": PASSWORD}).json()
    with httpx.Client(base_url=base) as owner:  # the attacked account's owner signed in on this device before
        assert owner.post("/api/v1/auth/token", data={"username": VICTIM, "password": PASSWORD}).status_code == 200
        device = httpx.Cookies(owner.cookies)
    routes = public_routes_present(args.port)
    uvloop.run(read_incidents(args.port, token["access_token"], 3.0))  # warm-up
    warm = uvloop.run(read_incidents(args.port, token["access_token"], args.seconds))  # the same reads, no attack
    time.sleep(1.0)
    idle = rss_mb(server)
    throttle = "in Redis" if redis_url else "in the database"
    print(f"server: uvicorn, {workers} worker(s), SQLite demo data, login throttle {throttle}")
    idle_p99 = float(np.percentile([x for x in warm if x >= 0], 99))
    print(f"reads without attack: p99 {idle_p99:.1f} ms; public upload route(s) flooded: {', '.join(routes)}")
    attacker = subprocess.Popen(
        [sys.executable, __file__, "--attack", "--port", str(args.port), "--seconds", str(args.seconds),
         "--routes", ",".join(routes)],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    cpu_before = sum(cpu_seconds(pid) for pid in server_pids(server))
    with RssWatch(server) as watch:
        outcome = uvloop.run(during_attack(args.port, token["access_token"], device, args.seconds))
        out, _ = attacker.communicate(timeout=args.seconds + 120)
    cpu_used = sum(cpu_seconds(pid) for pid in server_pids(server)) - cpu_before
    floods = json.loads(out.decode().strip().splitlines()[-1])
    attacker_cpu = floods.pop("cpu")["seconds"]
    latencies = [x for x in outcome["latencies"] if x >= 0]  # type: ignore[union-attr]
    failed = len(outcome["latencies"]) - len(latencies)  # type: ignore[arg-type]
    grown = watch.peak - idle
    p99 = float(np.percentile(latencies, 99)) if latencies else float("nan")
    print("\nattack (answers by kind):")
    for name, counts in floods.items():
        print(f"  {name}: " + ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items(), key=lambda x: -x[1])))
    print(f"\n{'figure':<62}{'value':>10}  {'goal':>6}  ratio")
    row("server RSS idle (MB)", idle)
    row("server RSS peak during the attack (MB)", watch.peak)
    row("server RSS growth (MB)", grown, GOAL_RSS_MB)
    row(f"reader p50 ({len(latencies)} reads, {failed} failed) (ms)", float(np.percentile(latencies, 50)))
    row("reader p99 (ms)", p99, GOAL_P99_MS)
    row("reader p99 without attack, same run (ms)", idle_p99)
    row("reader p99 during the attack / without", p99 / idle_p99)
    row("server CPU during the attack (s, all processes)", cpu_used)
    row("attacker CPU (s; on the same cores as the server and the reader)", attacker_cpu)
    for who, tries in outcome["signs"].items():  # type: ignore[union-attr]
        codes = ",".join(str(c) for _, c in tries)
        row(f"sign-in {who}, slowest of 3 (s; HTTP {codes})", max(t for t, _ in tries), GOAL_SIGN_IN_S)
    print(f"\n({VICTIM} without the device cookie is refused with 429 by design while others' guesses keep the "
          "account in back-off; the time shown is how fast the refusal came.)")  # fmt: skip


if __name__ == "__main__":
    main()
