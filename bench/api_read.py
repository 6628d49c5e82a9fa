"""Incident reads through the real HTTP server at a fixed offered rate.

Loads 100,000 incidents (each with a timeline of 5 entries) spread over every demo county into PostgreSQL
(database ``yingji_bench``, in a schema of its own, ``bench_command``, dropped and rebuilt each run), starts
``uvicorn`` on loopback (``yingji.app:create_app``, 2 workers by default) and drives it with an open-loop
load generator written here (asyncio on uvloop like the server, to keep its share of the 2 cores small;
persistent HTTP/1.1 connections): request *i* is sent at ``start + i / rate`` whether or not earlier ones
have finished, and its latency is measured from that scheduled moment (so a slow server cannot hide its
queueing — no coordinated omission).

Each request comes from a county duty officer (one per county, logged in once) and is one of: the
incident list (newest first, 50 a page), a filtered list (status / type / since), or the detail of an
incident of that county. Prints p50/p90/p99 at 500 requests/s (goal: p99 <= 50 ms on a 2-core machine)
and steps the rate up to find the highest rate sustained (all answered 200, throughput within 3% of the
offered rate, p99 under 1 s), with the ratio of each p99 to the goal.

    .venv/bin/python bench/api_read.py [--incidents 100000] [--workers 2] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import numpy as np
import uvloop
from bench_server import launch, stop_server
from proc_stats import cpu_seconds
from sqlalchemy import create_engine, text

from yingji.auth.scope import system_scope
from yingji.db import make_engine, session_factory, transaction
from yingji.incidents.incident_types import IncidentType

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = "bench_command"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/yingji_bench"
PASSWORD = "Yingji-demo-2026!"
GOAL_P99_MS = 50.0
STATUSES = ("reported", "verified", "responding", "recovering", "closed")
STATUS_WEIGHTS = (0.05, 0.05, 0.05, 0.10, 0.75)
TIMELINE_PER_INCIDENT = 5


def schema_url(base: str) -> str:
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{SCHEMA}%2Cpublic"


# -- data ----------------------------------------------------------------------------------------------


def reset_schema(base_url: str) -> None:
    engine = create_engine(base_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        # Alembic's version table first in the search path, so another bench's public.alembic_version is
        # neither read nor written.
        conn.execute(
            text(
                f"CREATE TABLE {SCHEMA}.alembic_version (version_num VARCHAR(32) NOT NULL, "
                "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
            )
        )
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()


def prepare(url: str) -> list[tuple[str, str]]:
    """Migrate, load the demo region, add one duty officer per demo county; return (county, username)."""
    from yingji.auth import service as auth_service
    from yingji.dbcli import upgrade_database
    from yingji.demo import DEMO_PREFECTURE, load_demo

    upgrade_database(url)
    engine = make_engine(url)
    users: list[tuple[str, str]] = []
    with transaction(session_factory(engine)) as session:
        scope = system_scope("bench")
        load_demo(session=session, scope=scope)
        counties = session.scalars(
            text("SELECT code FROM divisions WHERE parent_code = :p AND level = 'county' ORDER BY code").bindparams(
                p=DEMO_PREFECTURE
            )
        ).all()
        for code in counties:
            name = f"bench_{code[:6]}"
            if auth_service.get_by_username(session=session, username=name) is None:
                auth_service.create_user(
                    session=session,
                    scope=scope,
                    username=name,
                    password=PASSWORD,
                    role="duty_officer",
                    division_code=code,
                )
            users.append((code, name))
    engine.dispose()
    return users


def townships(url: str) -> dict[str, list[tuple[str, float, float]]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT code, lon, lat FROM divisions WHERE level = 'township' AND code LIKE '5402%'")
        ).all()
    engine.dispose()
    out: dict[str, list[tuple[str, float, float]]] = {}
    for code, lon, lat in rows:
        out.setdefault(code[:6].ljust(12, "0"), []).append((code, float(lon), float(lat)))
    return out


def load_incidents(url: str, count: int, counties: list[str], seed: int = 7) -> dict[str, list[int]]:
    """COPY ``count`` incidents, their divisions and timelines; return incident ids per county."""
    rng = np.random.default_rng(seed)
    towns = townships(url)
    types = [t.value for t in IncidentType]
    start = dt.datetime(2024, 11, 1, tzinfo=dt.UTC)
    county_of = rng.integers(0, len(counties), count)
    occurred_s = np.sort(rng.uniform(0, 2 * 365 * 86400, count))
    delay_s = rng.exponential(1800, count)
    status_of = rng.choice(len(STATUSES), size=count, p=STATUS_WEIGHTS)
    type_of = rng.integers(0, len(types), count)
    exercise_of = rng.random(count) < 0.03
    ids: dict[str, list[int]] = {c: [] for c in counties}
    town_codes: list[str] = []
    engine = make_engine(url)
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        with driver.cursor() as cur:
            incident_cols = (
                "id, title, incident_type, status, exercise, division_code, lon, lat, description, occurred_at, "
                "reported_at, verified_at, response_at, recovering_at, closed_at, status_reason, figures, "
                "grading_basis, version, created_by, created_at, updated_at"
            )
            with cur.copy(f"COPY incidents ({incident_cols}) FROM STDIN") as copy:
                for i in range(count):
                    county = counties[county_of[i]]
                    town, lon, lat = towns[county][i % len(towns[county])]
                    occurred = start + dt.timedelta(seconds=float(occurred_s[i]))
                    reported = occurred + dt.timedelta(seconds=float(delay_s[i]))
                    status = int(status_of[i])
                    times = [reported + dt.timedelta(hours=k) if status >= k else None for k in (1, 2, 3, 4)]
                    ids[county].append(i + 1)
                    town_codes.append(town)
                    copy.write_row(
                        (
                            i + 1,
                            f"{types[type_of[i]]} #{i + 1}",
                            types[type_of[i]],
                            STATUSES[status],
                            bool(exercise_of[i]),
                            town,
                            lon + float(rng.normal(0, 0.02)),
                            lat + float(rng.normal(0, 0.02)),
                            "",
                            occurred,
                            reported,
                            *times,
                            "",
                            "{}",
                            "[]",
                            1,
                            "bench",
                            reported,
                            reported,
                        )
                    )
            with cur.copy("COPY incident_divisions (incident_id, code, is_primary) FROM STDIN") as copy:
                for i, town in enumerate(town_codes):
                    copy.write_row((i + 1, town, True))
            kinds = ("created", "grading", "status", "figures", "note")
            with cur.copy("COPY incident_timeline (incident_id, at, kind, text, actor) FROM STDIN") as copy:
                for i in range(count):
                    reported = start + dt.timedelta(seconds=float(occurred_s[i] + delay_s[i]))
                    for k in range(TIMELINE_PER_INCIDENT):
                        copy.write_row(
                            (i + 1, reported + dt.timedelta(minutes=17 * k), kinds[k], f"entry {k}", "bench")
                        )
            cur.execute("SELECT setval(pg_get_serial_sequence('incidents', 'id'), (SELECT max(id) FROM incidents))")
        driver.commit()
        # VACUUM as autovacuum would after a bulk load (it may be off on the bench server): statistics for the
        # planner, and the visibility map without which no index-only scan skips the table's rows.
        driver.autocommit = True
        with driver.cursor() as cur:
            for table in ("incidents", "incident_divisions", "incident_timeline", "users"):
                cur.execute(f"VACUUM ANALYZE {table}")
    finally:
        raw.close()
        engine.dispose()
    return ids


def existing_ids(url: str) -> dict[str, list[int]]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT id, division_code FROM incidents")).all()
    engine.dispose()
    ids: dict[str, list[int]] = {}
    for incident_id, code in rows:
        ids.setdefault(code[:6].ljust(12, "0"), []).append(int(incident_id))
    return ids


# -- the server ----------------------------------------------------------------------------------------


def start_server(url: str, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "YINGJI_DATABASE_URL": url,
        "YINGJI_ENV": "development",
        "YINGJI_LOGIN_FREE_ATTEMPTS": "100000",
    }
    env.pop("YINGJI_REDIS_URL", None)
    cmd = [
        sys.executable, "-m", "uvicorn", "yingji.app:create_app", "--factory", "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--log-level", "warning", "--no-access-log",
    ]  # fmt: skip
    return launch(cmd, env, port)


# -- the load generator ----------------------------------------------------------------------------------


@dataclass
class Target:
    path: str
    token: str


@dataclass
class Result:
    offered: float
    sent: int
    ok: int
    errors: int
    elapsed: float
    latencies_ms: list[float] = field(default_factory=list)
    server_cpu_ms: float = float("nan")  # uvicorn's CPU (all workers) per request answered
    database_cpu_ms: float = float("nan")  # the PostgreSQL backends' CPU per request answered
    client_cpu_ms: float = float("nan")  # this load generator's CPU per request sent

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    @property
    def throughput(self) -> float:
        return self.ok / self.elapsed if self.elapsed else 0.0

    @property
    def sustained(self) -> bool:
        return self.errors == 0 and self.throughput >= 0.97 * self.offered and self.percentile(99) < 1000


class Connection:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def get(self, host: str, target: Target) -> int:
        request = (
            f"GET {target.path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {target.token}\r\n"
            "Accept: application/json\r\n\r\n"
        )
        self.writer.write(request.encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
        if length:
            await self.reader.readexactly(length)
        return status


async def run_rate(port: int, targets: list[Target], rate: float, seconds: float) -> Result:
    """Send ``rate × seconds`` requests on schedule; latency counts from each request's scheduled time."""
    loop = asyncio.get_running_loop()
    idle: deque[Connection] = deque()
    total = int(rate * seconds)
    latencies: list[float] = []
    counts = {"ok": 0, "errors": 0}
    why: collections.Counter[str] = collections.Counter()
    host = f"127.0.0.1:{port}"

    async def one(scheduled: float, target: Target) -> None:
        reused = bool(idle)
        conn = idle.pop() if idle else Connection(*await asyncio.open_connection("127.0.0.1", port))
        try:
            try:
                status = await conn.get(host, target)
            except (ConnectionResetError, asyncio.IncompleteReadError) as exc:
                # The server closes a keep-alive connection idle for 5 s; a request sent on one as it closes
                # gets no answer at all. Like any HTTP client, send it again once on a new connection
                # (its latency still counts from the first scheduled moment).
                if not reused or (isinstance(exc, asyncio.IncompleteReadError) and exc.partial):
                    raise
                conn.writer.close()
                conn = Connection(*await asyncio.open_connection("127.0.0.1", port))
                status = await conn.get(host, target)
        except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
            counts["errors"] += 1
            why[type(exc).__name__] += 1
            conn.writer.close()
            return
        latencies.append((loop.time() - scheduled) * 1000)
        counts["ok" if status == 200 else "errors"] += 1
        if status != 200:
            why[f"HTTP {status}"] += 1
        idle.append(conn)

    began = loop.time() + 0.05
    tasks = []
    for i in range(total):
        scheduled = began + i / rate
        delay = scheduled - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(scheduled, targets[i % len(targets)])))
    await asyncio.gather(*tasks)
    elapsed = loop.time() - began
    for conn in idle:
        conn.writer.close()
    if why:
        print(f"  errors at {rate:g}/s: " + ", ".join(f"{n} {kind}" for kind, n in why.most_common()))
    return Result(rate, total, counts["ok"], counts["errors"], elapsed, latencies)


def build_targets(port: int, users: list[tuple[str, str]], ids: dict[str, list[int]], n: int) -> list[Target]:
    rng = random.Random(11)
    tokens = {}
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for county, name in users:
            r = client.post("/api/v1/auth/token", data={"username": name, "password": PASSWORD})
            r.raise_for_status()
            tokens[county] = r.json()["access_token"]
    types = [t.value for t in IncidentType]
    targets = []
    for _ in range(n):
        county, _name = rng.choice(users)
        roll = rng.random()
        if roll < 0.4:
            path = "/api/v1/incidents?limit=50"
        elif roll < 0.6:
            status = rng.choice(STATUSES)
            path = f"/api/v1/incidents?limit=50&status={status}&incident_type={rng.choice(types)}"
        elif roll < 0.7:
            path = "/api/v1/incidents?limit=50&since=2026-06-01T00:00:00Z&status=responding"
        else:
            path = f"/api/v1/incidents/{rng.choice(ids[county])}"
        targets.append(Target(path, tokens[county]))
    return targets


def check_answers(port: int, targets: list[Target]) -> None:
    """A sanity pass: every kind of request answers 200 with the county's own data."""
    with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
        for target in targets[:50]:
            r = client.get(target.path, headers={"Authorization": f"Bearer {target.token}"})
            assert r.status_code == 200, (target.path, r.status_code, r.text[:200])


def server_cpu_seconds(server: subprocess.Popen[bytes]) -> float:
    """CPU time of uvicorn and its worker processes."""
    pids = [server.pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == server.pid:
                    pids.append(int(entry.name))
            except (OSError, IndexError, ValueError):
                continue
    return sum(cpu_seconds(pid) for pid in pids)


def database_cpu_seconds(url: str) -> float:
    """CPU time of the PostgreSQL backends serving the bench database (readable when PostgreSQL runs on this
    machine, as here; 0 otherwise). Backends that exit in between are not counted: the pool keeps them."""
    engine = create_engine(url.split("?", 1)[0])
    with engine.connect() as conn:
        pids = conn.execute(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()")
        ).scalars()
        total = sum(cpu_seconds(int(pid)) for pid in pids)
    engine.dispose()
    return total


def measure(
    server: subprocess.Popen[bytes], url: str, port: int, targets: list[Target], rate: float, seconds: float
) -> Result:
    """One offered rate, with the CPU the server, its database backends and this load generator spent per
    request: figures that hold on a machine shared with other work, where latencies do not."""
    server_before, client_before = server_cpu_seconds(server), time.process_time()
    database_before = database_cpu_seconds(url)
    result = uvloop.run(run_rate(port, targets, rate, seconds))
    result.server_cpu_ms = (server_cpu_seconds(server) - server_before) * 1000 / max(result.ok, 1)
    result.database_cpu_ms = (database_cpu_seconds(url) - database_before) * 1000 / max(result.ok, 1)
    result.client_cpu_ms = (time.process_time() - client_before) * 1000 / max(result.sent, 1)
    return result


def show(result: Result) -> None:
    p99 = result.percentile(99)
    print(
        f"{result.offered:>10.0f} {result.throughput:>8.0f} {result.errors:>6} {result.percentile(50):>8.1f} "
        f"{result.percentile(90):>8.1f} {p99:>8.1f} {p99 / GOAL_P99_MS:>7.2f}×  "
        f"{'yes' if result.sustained else 'no':>9} {result.server_cpu_ms:>10.2f} {result.database_cpu_ms:>8.2f} "
        f"{result.client_cpu_ms:>10.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pg", default=PG)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each offered rate")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--reuse", action="store_true", help="keep the data loaded by the previous run")
    parser.add_argument("--rates", default="25,50,100,150,200,300,400,600,800,1000", help="rates to step through")
    args = parser.parse_args()

    url = schema_url(args.pg)
    started = time.perf_counter()
    if args.reuse:
        users = prepare(url)
        ids = existing_ids(url)
    else:
        reset_schema(args.pg)
        users = prepare(url)
        ids = load_incidents(url, args.incidents, [county for county, _ in users])
    incidents = sum(map(len, ids.values()))
    print(
        f"{'kept' if args.reuse else 'loaded'} {incidents:,} incidents and {incidents * TIMELINE_PER_INCIDENT:,} "
        f"timeline entries over {len(users)} counties in {time.perf_counter() - started:.1f} s "
        f"(schema {SCHEMA} of yingji_bench)"
    )
    server = start_server(url, args.port, args.workers)
    try:
        targets = build_targets(args.port, users, ids, 20_000)
        check_answers(args.port, targets)
        # Warm-up, not counted: what a server running for hours has (its pooled connections opened, each
        # database backend's catalog cache and each connection's prepared statements filled), first at a
        # gentle rate, then at the rate measured first.
        uvloop.run(run_rate(args.port, targets, 200, 3))
        uvloop.run(run_rate(args.port, targets, 500, 5))
        print(
            f"uvicorn, {args.workers} workers, loopback; open-loop load, {args.seconds:.0f} s per rate "
            "(after a warm-up not counted: 3 s at 200/s, 5 s at 500/s)"
        )
        print(f"{'offered/s':>10} {'done/s':>8} {'errors':>6} {'p50 ms':>8} {'p90 ms':>8} {'p99 ms':>8} "
              f"{'p99/goal':>8}  sustained {'server CPU':>10} {'db CPU':>8} {'client CPU':>10}"
              "  (ms per request)")  # fmt: skip
        at_500 = measure(server, url, args.port, targets, 500, args.seconds)
        show(at_500)
        best = 0.0
        for rate in (float(r) for r in args.rates.split(",")):
            result = measure(server, url, args.port, targets, rate, args.seconds)
            show(result)
            if not result.sustained:
                break
            best = rate
        verdict = "meets" if at_500.percentile(99) <= GOAL_P99_MS else "misses"
        print(
            f"at 500 requests/s: p50 {at_500.percentile(50):.1f} ms, p99 {at_500.percentile(99):.1f} ms — "
            f"{verdict} the goal p99 <= {GOAL_P99_MS:.0f} ms"
        )
        print(f"highest rate sustained: {best:.0f} requests/s")
        print(json.dumps({"p99_ms_at_500": round(at_500.percentile(99), 1), "max_sustained": best}))
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
