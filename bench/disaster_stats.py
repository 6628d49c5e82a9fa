"""Township disaster reports through the real HTTP server at a fixed offered rate, each accepted by its county.

Builds a fresh database: a SQLite file in a temporary folder by default; with ``--pg`` a private PostgreSQL
database (``yingji_bench_dis`` on the local server, created before and dropped after the run, the server
from ``YINGJI_BENCH_PG_ADMIN_URL``); or ``--database-url`` as given (kept). It
loads the demo region, adds synthetic townships under the 18 counties of 日喀则 until there are
``--townships`` of them, makes one duty officer per county, starts ``yingji serve`` and declares one event
over the prefecture. The load is open-loop: township *i*'s report is sent at ``start + i / rate`` whether or
not earlier ones have finished; its county then accepts it — as a reviewer at the county's review queue does:
every ``--review-every`` seconds (1 s) each county reads its queue (``GET …/reports?status=submitted``) and
accepts what it lists in one request ("accept selected": ``POST /reports/reviews``, each report judged and
answered on its own), or with ``--review-every 0`` each report on its own right after it is submitted. Latency
runs from the scheduled moment to the acceptance (no coordinated omission), so it includes the wait in the
queue; the sustained rate runs from the first acceptance to the last (end to end, from the first
submission, printed beside it). Meanwhile a checker reads the county's totals and
measures how long after an acceptance the totals include it. At the end every township must be in the
prefecture's totals with its own figures (no report lost).

Prints the sustained rate, p50/p99 latency, the ratio of the sustained to the offered rate (goal 1.0),
the worst roll-up staleness (goal ≤ 1 s) and the lost-report count (goal 0).

    .venv/bin/python bench/disaster_stats.py [--townships 5000] [--rate 200] [--workers 1] [--pg] [--review-every 1]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from api_read import database_cpu_seconds, server_cpu_seconds
from bench_server import launch, stop_server
from sqlalchemy import create_engine, text

from yingji.auth import service as auth_service
from yingji.auth.scope import system_scope
from yingji.db import make_engine, session_factory, transaction
from yingji.dbcli import upgrade_database
from yingji.demo import load_demo
from yingji.geo import service as geo_service
from yingji.geo.importers import DivisionRecord

PASSWORD = "Bench-disasters-2026!"
PG_ADMIN = os.environ.get("YINGJI_BENCH_PG_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
PG_DATABASE = os.environ.get("YINGJI_BENCH_PG_DATABASE", "yingji_bench_dis")  # another name for parallel runs
PREFECTURE = "540200000000"


def pg_admin(sql: str) -> None:
    engine = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(sql))
    engine.dispose()


def prepare(url: str, townships: int) -> dict[str, list[str]]:
    """The database, with ``townships`` townships split over the prefecture's counties; returns county →
    its townships."""
    upgrade_database(url)
    engine = make_engine(url)
    scope = system_scope("bench")
    with transaction(session_factory(engine)) as session:
        load_demo(session=session, scope=scope, domain_data=False)
        counties = [d.code for d in geo_service.children(session=session, scope=scope, code=PREFECTURE)]
        existing = {c: [t.code for t in geo_service.children(session=session, scope=scope, code=c)] for c in counties}
        have = sum(len(v) for v in existing.values())
        records: list[DivisionRecord] = []
        for i in range(max(0, townships - have)):
            county = counties[i % len(counties)]
            code = f"{county[:6]}{500 + i // len(counties):03d}000"
            records.append(
                DivisionRecord(line=i + 2, code=code, name=f"测试乡{i}", level="township", parent_code=county)
            )
            existing[county].append(code)
        if records:
            geo_service.upsert_records(session=session, scope=scope, records=records, source="bench")
        for county in counties:
            auth_service.create_user(
                session=session,
                scope=scope,
                username=f"bench_{county[:6]}",
                password=PASSWORD,
                role="duty_officer",
                division_code=county,
            )
    engine.dispose()
    return existing


class Lean:
    """A small HTTP/1.1 JSON client over asyncio streams with at most ``size`` persistent connections: the
    load generator's CPU per request is a fraction of httpx's, and it shares the server's cores."""

    def __init__(self, port: int, size: int = 64) -> None:
        self.port, self.host = port, f"127.0.0.1:{port}"
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.slots = asyncio.Semaphore(size)

    async def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else b""
        head = (
            f"{method} {path} HTTP/1.1\r\nHost: {self.host}\r\nAuthorization: Bearer {token}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n\r\n"
        ).encode()
        async with self.slots:
            reused = bool(self.idle)
            conn = self.idle.pop() if reused else await asyncio.open_connection("127.0.0.1", self.port)
            try:
                answer = await self._exchange(conn, head + data)
            except (ConnectionError, asyncio.IncompleteReadError):
                conn[1].close()
                if not reused:
                    raise
                # a keep-alive connection the server closed as it idled: once more on a new one
                conn = await asyncio.open_connection("127.0.0.1", self.port)
                answer = await self._exchange(conn, head + data)
            self.idle.append(conn)
            return answer

    @staticmethod
    async def _exchange(conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes) -> tuple[int, Any]:
        reader, writer = conn
        writer.write(request)
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status, length = int(head[0].split(" ", 2)[1]), 0
        for line in head[1:]:
            name, _, value = line.partition(":")
            if name.lower() == "content-length":
                length = int(value.strip())
        payload = await reader.readexactly(length) if length else b""
        return status, json.loads(payload) if payload else None

    def close(self) -> None:
        for _, writer in self.idle:
            writer.close()


async def run_load(
    base: str, by_county: dict[str, list[str]], rate: float, townships: int, review_every: float = 1.0
) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    async with httpx.AsyncClient(base_url=base, timeout=httpx.Timeout(120, pool=None), limits=limits) as client:
        tokens: dict[str, str] = {}
        for county in by_county:
            r = await client.post("/api/v1/auth/token", data={"username": f"bench_{county[:6]}", "password": PASSWORD})
            r.raise_for_status()
            tokens[county] = r.json()["access_token"]
        admin = (
            await client.post("/api/v1/auth/token", data={"username": "admin", "password": "Yingji-demo-2026!"})
        ).json()
        admin_h = {"Authorization": f"Bearer {admin['access_token']}"}
        ev = await client.post(
            "/api/v1/disasters/events",
            headers=admin_h,
            json={
                "name": "基准测试",
                "kind": "flood",
                "division_code": PREFECTURE,
                "started_at": "2026-07-01T00:00:00Z",
            },
        )
        ev.raise_for_status()
        event_id = ev.json()["id"]
        lean = Lean(int(base.rsplit(":", 1)[1]))
        # the checker is another reader (the prefecture's board): its own connection, not a turn in the
        # reporters' queue of connections
        reader = Lean(int(base.rsplit(":", 1)[1]), size=1)
        plan = [(c, t) for c in by_county for t in by_county[c]][:townships]
        plan.sort(key=lambda ct: ct[1][6:9] + ct[1])  # interleave counties
        latencies: list[float] = []
        failures: list[str] = []
        accepted: dict[str, tuple[str, float, int]] = {}  # township -> (county, accepted at, affected)
        staleness: list[float] = []
        start = time.perf_counter() + 0.5

        async def one(i: int, county: str, township: str) -> None:
            try:
                await submit_and_accept(i, county, township)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:  # counted, never fatal: reported
                failures.append(f"{township}: {type(exc).__name__}")

        async def submit_and_accept(i: int, county: str, township: str) -> None:
            at = start + i / rate
            await asyncio.sleep(max(0.0, at - time.perf_counter()))
            body = {
                "township_code": township,
                "report_type": "initial",
                "figures": {"affected": i + 1, "deaths": i % 3},
            }
            status, made = await lean.call("POST", f"/api/v1/disasters/events/{event_id}/reports", tokens[county], body)
            if status != 201:
                failures.append(f"submit {township}: {status} {str(made)[:120]}")
                return
            if review_every:  # the county's reviewer takes it from its queue
                return
            path = f"/api/v1/disasters/reports/{made['id']}/review"
            status, reviewed = await lean.call("POST", path, tokens[county], {"action": "accept"})
            if status != 200:
                failures.append(f"accept {township}: {status} {str(reviewed)[:120]}")
                return
            done = time.perf_counter()
            latencies.append(done - at)
            accepted[township] = (county, done, i + 1)

        submitted_all = asyncio.Event()
        reviewers = Lean(int(base.rsplit(":", 1)[1]), size=len(by_county))  # each county's reviewer, a browser

        async def reviewer(county: str, first: float) -> None:
            """A county's review queue page, read every ``review_every`` seconds; "accept selected" on what it
            lists (up to 200 at once: the route's limit), until the townships have all reported and none waits."""
            queue_path = f"/api/v1/disasters/events/{event_id}/reports?status=submitted"
            await asyncio.sleep(max(0.0, first - time.perf_counter()))
            while True:
                last = submitted_all.is_set()
                try:
                    status, queue = await reviewers.call("GET", queue_path, tokens[county])
                    # what the queue lists, not what the submitters have heard back: a report is in the queue
                    # once committed, maybe before its 201 reached its submitter
                    rows = queue[:200] if status == 200 else []
                    listed = {r["id"]: (r["township_code"], r["figures"]["affected"]) for r in rows}
                    ids = list(listed)
                    if status != 200:
                        failures.append(f"queue {county}: {status} {str(queue)[:120]}")
                    if ids:
                        body = {"report_ids": ids, "action": "accept"}
                        status, answer = await reviewers.call("POST", "/api/v1/disasters/reports/reviews",
                                                              tokens[county], body)  # fmt: skip
                        done = time.perf_counter()
                        if status != 200:
                            failures.append(f"accept {county}: {status} {str(answer)[:120]}")
                        for result in answer["results"] if status == 200 else ():
                            township, affected = listed[result["report_id"]]
                            if result["status"] != 200:
                                failures.append(f"accept {township}: {result['status']} {result['detail']}")
                                continue
                            latencies.append(done - (start + (affected - 1) / rate))  # township i reports i + 1
                            accepted[township] = (county, done, affected)
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    failures.append(f"review {county}: {type(exc).__name__}")
                    ids = []
                if last and not ids:
                    return
                await asyncio.sleep(review_every)

        async def checker(stop: asyncio.Event) -> None:
            """Staleness: from an acceptance (its response) to the end of the first read of the totals (the
            township's and the prefecture's, summed in the database: ``?codes=``) whose township entry has its
            figures and whose prefecture total includes every report accepted by then (figures are positive, so
            it is at least their sum). Each acceptance is measured once: when none came since the last one measured
            (between a queue's "accept selected" rounds), the checker waits for the next."""
            measured = float("-inf")
            while not stop.is_set():
                await asyncio.sleep(0.25)
                if not accepted:
                    continue
                township, (_, done, affected) = max(accepted.items(), key=lambda kv: kv[1][1])
                if done <= measured:
                    continue
                measured = done
                floor = sum(a for _, at, a in accepted.values() if at <= done)
                while True:
                    path = f"/api/v1/disasters/events/{event_id}/totals?codes={township},{PREFECTURE}"
                    try:
                        status, read = await reader.call("GET", path, admin["access_token"])
                    except (OSError, asyncio.IncompleteReadError, ValueError):
                        status, read = 0, None
                    totals = read["totals"] if status == 200 else {}
                    if (
                        totals.get(township, {}).get("affected") == affected
                        and totals.get(PREFECTURE, {}).get("affected", 0) >= floor
                    ):
                        staleness.append(time.perf_counter() - done)
                        break
                    if stop.is_set():
                        staleness.append(float("inf"))
                        break

        stop = asyncio.Event()
        check = asyncio.create_task(checker(stop))
        counties = list(by_county)
        reviewing = [
            asyncio.create_task(reviewer(c, start + review_every * (k + 1) / len(counties)))
            for k, c in enumerate(counties)
            if review_every
        ]
        await asyncio.gather(*(one(i, c, t) for i, (c, t) in enumerate(plan)))
        submitted_all.set()
        await asyncio.gather(*reviewing)
        done_at = sorted(done for _, done, _ in accepted.values()) or [time.perf_counter()]
        elapsed = done_at[-1] - start
        reviewers.close()
        stop.set()
        await check
        lean.close()
        reader.close()
        final = (await client.get(f"/api/v1/disasters/events/{event_id}/totals", headers=admin_h)).json()["totals"]
        lost = [t for t, (_, _, affected) in accepted.items() if final.get(t, {}).get("affected") != affected]
        expected_sum = sum(a for _, _, a in accepted.values())
        prefecture_ok = final.get(PREFECTURE, {}).get("affected") == expected_sum
        return {
            "offered": len(plan),
            "accepted": len(accepted),
            "elapsed": elapsed,
            "accepting": done_at[-1] - done_at[0],
            "latencies": latencies,
            "failures": failures,
            "lost": lost,
            "staleness": staleness,
            "prefecture_ok": prefecture_ok,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--townships", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=200.0, help="Offered reports per second.")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--pg", action="store_true", help=f"A private PostgreSQL database ({PG_DATABASE}).")
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--port", type=int, default=8761)
    parser.add_argument(
        "--review-every",
        type=float,
        default=1.0,
        help="Seconds between a county reviewer's looks at its queue, each accepting what it lists in one request "
        '(the queue\'s "accept selected"); 0: each report accepted on its own right after it is submitted.',
    )
    args = parser.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        if args.pg:
            url = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DATABASE
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
            pg_admin(f"CREATE DATABASE {PG_DATABASE}")
        try:
            result = prepare_and_run(url, args)
        finally:
            if args.pg:
                pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    lat = np.array(result["latencies"]) * 1000 if result["latencies"] else np.array([float("nan")])
    # Sustained: the rate acceptances kept up, first to last; the queue's wait (a review round, ~1 s) delays
    # both ends alike, so it does not count against it, and a backlog that grows stretches the span. End to end
    # (first submission to last acceptance) is printed beside it.
    sustained = (result["accepted"] - 1) / max(result["accepting"], 1e-9)
    end_to_end = result["accepted"] / result["elapsed"]
    staleness = result["staleness"] or [float("nan")]
    print(
        f"{'PostgreSQL' if not url.startswith('sqlite') else 'SQLite'}, {args.workers} worker(s): offered "
        f"{result['offered']} reports at {args.rate:.0f}/s; accepted {result['accepted']} in "
        f"{result['elapsed']:.1f} s; failures {len(result['failures'])}"
    )
    for f in result["failures"][:5]:
        print("  ", f)
    print(f"sustained rate {sustained:.1f} reports/s; ratio to offered {sustained / args.rate:.2f} (goal 1.00)")
    print(
        f"end to end (first submission to last acceptance, the last review round included): {end_to_end:.1f} "
        f"reports/s; ratio {end_to_end / args.rate:.2f}"
    )
    print(f"latency submit→accepted p50 {np.percentile(lat, 50):.0f} ms, p99 {np.percentile(lat, 99):.0f} ms")
    print(
        f"roll-up staleness (acceptance → a prefecture read including it): worst {max(staleness):.3f} s, "
        f"p50 {float(np.percentile(staleness, 50)):.3f} s over {len(staleness)} checks "
        f"(goal ≤ 1 s; ratio {max(staleness) / 1.0:.2f})"
    )
    cpu_per_report = sum(result[k] for k in ("server_cpu_ms", "database_cpu_ms", "client_cpu_ms"))
    print(
        f"CPU per accepted report (submit + acceptance + the checker's share of reads): server "
        f"{result['server_cpu_ms']:.1f} ms, database {result['database_cpu_ms']:.1f} ms, load generator "
        f"{result['client_cpu_ms']:.1f} ms; on {os.cpu_count()} cores that caps the rate near "
        f"{(os.cpu_count() or 1) * 1000 / max(cpu_per_report, 1e-9):.0f}"
        "/s with the machine to itself"
    )
    print(
        f"lost reports {len(result['lost'])} (goal 0); prefecture total equals the accepted sum: "
        f"{result['prefecture_ok']}"
    )


def db_cpu(url: str) -> float:
    return 0.0 if url.startswith("sqlite") else database_cpu_seconds(url)


def prepare_and_run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    t0 = time.perf_counter()
    by_county = prepare(url, args.townships)
    print(f"prepared {sum(map(len, by_county.values()))} townships in {time.perf_counter() - t0:.1f} s")
    env = {**os.environ, "YINGJI_DATABASE_URL": url, "YINGJI_LOGIN_FREE_ATTEMPTS": "100000"}
    env.setdefault("YINGJI_LOG_LEVEL", "WARNING")  # no access line per request
    yingji = str(Path(sys.executable).parent / "yingji")
    cmd = [yingji, "serve", "--port", str(args.port), "--workers", str(args.workers)]
    server = launch(cmd, env, args.port, wait_s=120)
    try:
        before = server_cpu_seconds(server), db_cpu(url), time.process_time()
        result = asyncio.run(
            run_load(f"http://127.0.0.1:{args.port}", by_county, args.rate, args.townships, args.review_every)
        )
        pairs = max(result["accepted"], 1)
        result["server_cpu_ms"] = (server_cpu_seconds(server) - before[0]) * 1000 / pairs
        result["database_cpu_ms"] = (db_cpu(url) - before[1]) * 1000 / pairs
        result["client_cpu_ms"] = (time.process_time() - before[2]) * 1000 / pairs
        return result
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
