"""Work safety at national scale: the province 动态清零 board and the hazard list at a fixed offered rate, and
the import of a 50,000-row enterprise register.

Loads ``--enterprises`` (200,000) enterprises and ``--hazards`` (1,000,000) hazards spread over every county
of the national division seed into PostgreSQL (database ``yingji_bench``, schema ``bench_hazards``, dropped
and rebuilt each run; COPY, then VACUUM ANALYZE as autovacuum would), starts uvicorn on loopback (2 workers)
and drives it open-loop with the load generator of ``api_read.py`` (asyncio on uvloop, persistent
connections, a small share of the 2 cores): request *i* is sent at ``start + i / rate`` whether or not
earlier ones have finished and its latency counts from that moment (no coordinated omission). Requests
alternate between the board (``GET /api/v1/hazards/board``) and the newest page of the hazard list
(``GET /api/v1/hazards``), each from a province commander of one of the most loaded provinces. Prints
p50/p90/p99, the ratio of p99 to the goal (100 ms at 200 requests/s), and the CPU each request cost the
server, the database and the load generator (so a figure from a busy machine can be read for what it is).

Then writes a ``--import-rows`` (50,000) row xlsx register and imports it as ``yingji enterprise import``
does (read, check every row, store all or nothing) into the same database, timing it against the goal of 30 s.

    .venv/bin/python bench/hazards.py [--enterprises 200000] [--hazards 1000000] [--rate 200] [--seconds 10]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import httpx
import numpy as np
import uvloop
from api_read import Target, database_cpu_seconds, run_rate, server_cpu_seconds, start_server, stop_server
from sqlalchemy import create_engine, text

from yingji.auth.scope import system_scope
from yingji.db import make_engine, session_factory, transaction
from yingji.hazards.credit_code import check_character

SCHEMA = "bench_hazards"
PG = "postgresql+psycopg://postgres@127.0.0.1:5432/yingji_bench"
PASSWORD = "Yingji-demo-2026!"
GOAL_P99_MS, GOAL_RATE, GOAL_IMPORT_S = 100.0, 200, 30.0
STATES = ("reported", "determined", "planned", "rectifying", "rectified", "verified", "closed")
STATE_WEIGHTS = (0.04, 0.03, 0.03, 0.08, 0.03, 0.02, 0.77)
CATEGORIES = ("危险化学品", "工贸", "煤矿", "金属非金属矿山", "烟花爆竹", "其他")


def schema_url(base: str) -> str:
    return f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{SCHEMA}%2Cpublic"


def credit_code(prefix6: str, serial: int) -> str:
    first17 = f"91{prefix6}{serial:09d}"
    return first17 + check_character(first17)


def prepare(base: str) -> str:
    from yingji.dbcli import upgrade_database
    from yingji.demo import load_demo

    engine = create_engine(base, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {SCHEMA}"))
        conn.execute(text(f"CREATE TABLE {SCHEMA}.alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS postgis"))
    engine.dispose()
    url = schema_url(base)
    upgrade_database(url)
    eng = make_engine(url)
    with transaction(session_factory(eng)) as session:
        load_demo(session=session, scope=system_scope("bench"), domain_data=False)
    eng.dispose()
    return url


def load(url: str, enterprises: int, hazards: int, seed: int = 11) -> list[str]:
    """COPY enterprises and hazards over every county; return the provinces by hazard count, most first."""
    rng = np.random.default_rng(seed)
    engine = make_engine(url)
    with engine.connect() as conn:
        counties = [r[0] for r in conn.execute(text("SELECT code FROM divisions WHERE level = 'county' ORDER BY code"))]
    ent_county = rng.integers(0, len(counties), enterprises)
    ent_category = rng.integers(0, len(CATEGORIES), enterprises)
    haz_ent = rng.integers(0, enterprises, hazards)
    haz_state = rng.choice(len(STATES), size=hazards, p=STATE_WEIGHTS)
    haz_major = rng.random(hazards) < 0.08
    reported_s = rng.uniform(0, 3 * 365 * 86400, hazards)
    close_days = rng.exponential(20, hazards)
    start = dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    raw = engine.raw_connection()
    try:
        driver = raw.driver_connection
        assert driver is not None
        with driver.cursor() as cur:
            cols = ("id, name, credit_code, division_code, industry_code, supervision_category, sub_sector, address, "
                    "legal_representative, legal_phone, safety_lead, safety_phone, risk_color, risk_basis, status, "
                    "created_at, updated_at")  # fmt: skip
            with cur.copy(f"COPY enterprises ({cols}) FROM STDIN") as copy:
                for i in range(enterprises):
                    county = counties[ent_county[i]]
                    category = CATEGORIES[ent_category[i]]
                    blank = ("",) * 8
                    copy.write_row(
                        (i + 1, f"企业{i + 1}", credit_code(county[:6], i + 1), county, "", category, *blank,
                         "active", now, now)
                    )  # fmt: skip
            cols = ("id, enterprise_id, division_code, supervision_category, title, description, source, state, level, "
                    "items, plan, deadline, verified, listed_level, listed_notice, reported_at, reported_by, "
                    "closed_at, updated_at")  # fmt: skip
            with cur.copy(f"COPY hazards ({cols}) FROM STDIN") as copy:
                for i in range(hazards):
                    e = int(haz_ent[i])
                    state = STATES[haz_state[i]]
                    reported = start + dt.timedelta(seconds=float(reported_s[i]))
                    level = None if state == "reported" else ("major" if haz_major[i] else "general")
                    deadline = reported + dt.timedelta(days=30) if state not in ("reported", "determined") else None
                    closed = reported + dt.timedelta(days=float(close_days[i])) if state == "closed" else None
                    items = '["HC2017-12"]' if level == "major" else "[]"
                    verified = state in ("verified", "closed")
                    copy.write_row(
                        (i + 1, e + 1, counties[ent_county[e]], CATEGORIES[ent_category[e]], f"隐患{i + 1}", "",
                         "self_check", state, level, items, "{}", deadline, verified, "", "", reported, "bench",
                         closed, reported)
                    )  # fmt: skip
            for table in ("enterprises", "hazards"):
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        driver.commit()
    finally:
        raw.close()
    from yingji.hazards.register import service

    with transaction(session_factory(engine)) as session:
        service.rebuild_rollups(session=session, scope=system_scope("bench"))
    with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
        conn.execute(text("VACUUM ANALYZE enterprises"))
        for table in ("hazards", "hazard_counts", "hazard_close_days"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))
        rows = conn.execute(
            text("SELECT substr(division_code, 1, 2) p, count(*) FROM hazards GROUP BY p ORDER BY 2 DESC")
        )
        provinces = [r[0] for r in rows]
    engine.dispose()
    return provinces


def commanders(url: str, provinces: list[str]) -> list[str]:
    from yingji.auth import service as auth_service

    names = []
    eng = make_engine(url)
    with transaction(session_factory(eng)) as session:
        for p in provinces:
            name = f"bench_prov_{p}"
            auth_service.create_user(session=session, scope=system_scope("bench"), username=name, password=PASSWORD,
                                     role="commander", division_code=p.ljust(12, "0"))  # fmt: skip
            names.append(name)
    eng.dispose()
    return names


def drive(url: str, server: object, port: int, tokens: list[str], rate: int, seconds: float) -> dict[str, float]:
    """Alternate the board and the newest page of the list at ``rate`` for ``seconds``; latencies from each
    request's scheduled moment, and CPU per request answered."""
    paths = ("/api/v1/hazards/board", "/api/v1/hazards?limit=50")
    targets = [Target(paths[i % 2], tokens[(i // 2) % len(tokens)]) for i in range(2 * len(tokens))]
    cpu = (server_cpu_seconds(server), database_cpu_seconds(url), _own_cpu())  # type: ignore[arg-type]
    result = uvloop.run(run_rate(port, targets, rate, seconds))
    used = (server_cpu_seconds(server), database_cpu_seconds(url), _own_cpu())  # type: ignore[arg-type]
    per = [(b - a) * 1000 / max(result.ok, 1) for a, b in zip(cpu, used, strict=True)]
    return {"sent": result.sent, "errors": result.errors, "throughput": result.throughput,
            "p50": result.percentile(50), "p90": result.percentile(90), "p99": result.percentile(99),
            "server_ms": per[0], "database_ms": per[1], "client_ms": per[2]}  # fmt: skip


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def bench_import(url: str, rows: int) -> float:
    from openpyxl import Workbook

    from yingji.hazards.enterprises import service
    from yingji.hazards.tabular import read_table

    with create_engine(url).connect() as conn:
        serial = 900_000_000 + int(conn.execute(text("SELECT count(*) FROM enterprises")).scalar() or 0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "register.xlsx"
        book = Workbook(write_only=True)
        sheet = book.create_sheet()
        sheet.append(["name", "credit_code", "division", "supervision_category", "headcount", "risk_color"])
        for i in range(rows):
            sheet.append([f"导入企业{i}", credit_code("110101", serial + i), "110101", "工贸", 50, "blue"])
        book.save(path)
        eng = make_engine(url)
        started = time.perf_counter()
        table = read_table(path, progress=lambda n: print(f"\r  read {n} rows", end="", file=sys.stderr))
        with transaction(session_factory(eng)) as session:
            result = service.import_table(session=session, scope=system_scope("bench"), table=table)
        elapsed = time.perf_counter() - started
        print(file=sys.stderr)
        eng.dispose()
        assert result.created == rows, result
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--hazards", type=int, default=1_000_000)
    parser.add_argument("--rate", type=int, default=GOAL_RATE)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--import-rows", type=int, default=50_000, help="0 skips the import.")
    parser.add_argument("--port", type=int, default=8391)
    parser.add_argument("--reuse", action="store_true", help="Keep the data of the previous run (no reload).")
    args = parser.parse_args()

    t0 = time.perf_counter()
    if args.reuse:
        url = schema_url(PG)
        with create_engine(url).connect() as conn:
            users = [r[0] for r in conn.execute(text("SELECT username FROM users WHERE username LIKE 'bench_prov_%'"))]
    else:
        url = prepare(PG)
        provinces = load(url, args.enterprises, args.hazards)
        print(f"loaded {args.enterprises} enterprises and {args.hazards} hazards in {time.perf_counter() - t0:.0f} s; "
              f"busiest provinces {provinces[:3]}")  # fmt: skip
        users = commanders(url, provinces[:3])
    server = start_server(url, args.port, args.workers)
    try:
        base = f"http://127.0.0.1:{args.port}"
        tokens = [httpx.post(f"{base}/api/v1/auth/token", data={"username": u, "password": PASSWORD}).json()[
            "access_token"] for u in users]  # fmt: skip
        drive(url, server, args.port, tokens, 20, 5)  # warm-up: every worker computes each province's board
        r = drive(url, server, args.port, tokens, args.rate, args.seconds)
    finally:
        stop_server(server)
    print(
        f"board + hazard list at {args.rate} req/s for {args.seconds:.0f} s: {r['sent']:.0f} requests, "
        f"{r['errors']:.0f} not 200, {r['throughput']:.1f}/s answered; p50 {r['p50']:.1f} ms, "
        f"p90 {r['p90']:.1f} ms, p99 {r['p99']:.1f} ms; p99 / goal ({GOAL_P99_MS:.0f} ms) = "
        f"{r['p99'] / GOAL_P99_MS:.2f}"
    )
    print(
        f"CPU per request: server {r['server_ms']:.2f} ms, database {r['database_ms']:.2f} ms, "
        f"load generator {r['client_ms']:.2f} ms; load average {os.getloadavg()[0]:.1f}"
    )
    if args.import_rows <= 0:
        return
    seconds = bench_import(url, args.import_rows)
    print(
        f"import of a {args.import_rows}-row xlsx register: {seconds:.1f} s; "
        f"time / goal ({GOAL_IMPORT_S:.0f} s) = {seconds / GOAL_IMPORT_S:.2f}"
    )


if __name__ == "__main__":
    main()
