"""Release check (issue #19, "Must reach"): what an operator does with a release, end to end, on this
machine's PostgreSQL/PostGIS, Redis and Mosquitto. Each step is printed with its result; the exit status
is 1 at the first failure.

1. build the wheel (``pip wheel --no-deps .``) and install it into a fresh virtual environment (its
   dependencies from the package registry);
2. create a scratch database at the previous release's schema (0.1.0: revision 0013 with its branch
   heads stamped), then ``yingji db upgrade`` to this release's head;
3. ``yingji division seed`` (approximate county areas and populations) and a county user of a real
   county outside the demo region (汶川县, Sichuan) added with ``--password-stdin``;
4. ``yingji run`` (server, monitoring worker, periodic steps) until health answers;
5. an earthquake in that county assessed as that user through the API; the county's population checked
   against the packaged raster's zonal sum over its area;
6. ``yingji run`` stopped, ``yingji db backup``, rows counted, ``yingji db restore --yes``, rows counted
   again: equal, table by table.

Usage: ``python tools/release_check.py [--keep]`` (``--keep``: leave the scratch database and folder).
Not part of ``make test`` (it installs from the registry and takes minutes): CI runs it after the suite.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
COUNTY = "513221"  # 汶川县, 四川省阿坝藏族羌族自治州 — far from the demo region (西藏日喀则)
EPICENTRE = (103.4, 31.0)  # lon, lat: inside 汶川县
PASSWORD = "Release-check-" + secrets.token_hex(6)
PREVIOUS_RELEASE_HEADS = ("0013", "0003a", "0004", "0005", "0006b")  # alembic_version as 0.1.0 left it


class Failed(Exception):
    pass


def step(title: str) -> None:
    print(f"==> {title}", flush=True)


def ok(detail: str) -> None:
    print(f"    ok: {detail}", flush=True)


def run(argv: list[str], *, env: dict[str, str] | None = None, stdin: str | None = None, timeout: float = 1800) -> str:
    result = subprocess.run(argv, env=env, input=stdin, capture_output=True, text=True, timeout=timeout, check=False)
    if result.returncode != 0:
        raise Failed(f"{' '.join(argv[:4])} … exited {result.returncode}: {(result.stderr or result.stdout)[-2000:]}")
    return result.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def http(
    method: str,
    url: str,
    *,
    token: str | None = None,
    form: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> tuple[int, Any]:
    data, headers = None, {}
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    elif body is not None:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=120) as answer:
            return answer.status, json.loads(answer.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")[:2000]


def psql(sql: str, database: str = "postgres") -> str:
    return run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-Atc", sql])


def build_and_install(work: Path) -> Path:
    step("build the wheel and install it into a fresh virtual environment")
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(work / "dist"), str(ROOT)])
    wheel = next((work / "dist").glob("yingji-*.whl"))
    ok(wheel.name)
    venv = work / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)])
    yingji = venv / "bin" / "yingji"
    version = run([str(venv / "bin" / "python"), "-c", "import yingji; print(yingji.__version__, yingji.__file__)"])
    if str(ROOT / "src") in version:
        raise Failed(f"the fresh environment imports the source tree, not the wheel: {version}")
    ok(f"installed {version.strip()}")
    return yingji


def previous_release_database(yingji: Path, env: dict[str, str], database: str) -> None:
    step("a database at the previous release's schema (0.1.0), upgraded to this release")
    psql(f'CREATE DATABASE "{database}"')
    psql("CREATE EXTENSION IF NOT EXISTS postgis", database)
    run([str(yingji), "db", "upgrade", "0013"], env=env)
    values = ", ".join(f"('{rev}')" for rev in PREVIOUS_RELEASE_HEADS)
    psql(f"DELETE FROM alembic_version; INSERT INTO alembic_version (version_num) VALUES {values}", database)
    ok(f"stamped {', '.join(PREVIOUS_RELEASE_HEADS)}")
    run([str(yingji), "db", "upgrade"], env=env)
    heads = psql("SELECT version_num FROM alembic_version", database).split()
    if len(heads) != 1:
        raise Failed(f"after the upgrade alembic_version holds {heads}")
    ok(f"upgraded to {heads[0]}")


def seed_and_user(yingji: Path, env: dict[str, str]) -> None:
    step(f"national seed with approximate areas, and a county user of {COUNTY}")
    ok(run([str(yingji), "division", "seed"], env=env, timeout=3600).strip().replace("\n", "; "))
    run(
        [
            str(yingji),
            "user",
            "add",
            "--username",
            "wenchuan",
            "--password-stdin",
            "--role",
            "duty_officer",
            "--division",
            COUNTY,
        ],
        env=env,
        stdin=PASSWORD + "\n",
    )
    ok("user wenchuan added")


def start(yingji: Path, env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    step("yingji run (server, monitoring worker, periodic steps)")
    process = subprocess.Popen(
        [str(yingji), "run", "--port", str(port), "--workers", "1"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise Failed(f"yingji run exited {process.returncode}")
        try:
            status, health = http("GET", f"http://127.0.0.1:{port}/api/v1/health")
        except OSError:
            time.sleep(0.5)
            continue
        if status == 200:
            ok(f"health {health['status']} (failed: {health['failed'] or 'none'})")
            if health["failed"]:
                raise Failed(f"health is degraded: {health['failed']}")
            return process
        time.sleep(0.5)
    raise Failed("the server did not answer within 120 s")


def assess_as_county_user(base: str) -> None:
    step("an earthquake assessed by the county user; the county's population against the raster")
    status, answer = http("POST", f"{base}/api/v1/auth/token", form={"username": "wenchuan", "password": PASSWORD})
    if status != 200:
        raise Failed(f"sign-in: {status} {answer}")
    token = answer["access_token"]
    lon, lat = EPICENTRE
    status, answer = http(
        "POST",
        f"{base}/api/v1/quake/assessments",
        token=token,
        body={"lon": lon, "lat": lat, "depth_km": 12, "magnitude": 6.2},
    )
    if status != 201:
        raise Failed(f"assessment: {status} {answer}")
    ok(f"assessment {answer.get('id')} created; keys: {', '.join(sorted(answer)[:8])} …")
    status, features = http("GET", f"{base}/api/v1/divisions/boundaries?level=county", token=token)
    if status != 200:
        raise Failed(f"boundaries: {status} {features}")
    county = next((f for f in features["features"] if f["id"][:6] == COUNTY), None)
    if county is None or county["geometry"] is None:
        found = [(f["id"], f["geometry"] is not None) for f in features["features"]][:5]
        raise Failed(f"{COUNTY} has no area among the user's county boundaries: {found}")
    import shapely.geometry

    from yingji.geo.approximate import zonal_sums
    from yingji.quake.data import population_raster

    expected = zonal_sums(str(population_raster()), {COUNTY: shapely.geometry.shape(county["geometry"])})[COUNTY]
    stored = county["properties"]["population"]
    if stored is None or abs(stored - expected) > max(1, expected * 1e-6):
        raise Failed(f"population of {COUNTY}: stored {stored}, raster zonal sum {expected}")
    ok(
        f"{county['properties']['name']}: population {stored} = the raster's zonal sum "
        f"(approximate area: {county['properties']['approximate']})"
    )


def row_counts(database: str) -> dict[str, int]:
    tables = psql("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1", database).split()
    return {t: int(psql(f'SELECT count(*) FROM "{t}"', database)) for t in tables}


def backup_and_restore(yingji: Path, env: dict[str, str], database: str, work: Path) -> None:
    step("backup, restore, and row counts compared")
    file = work / "backup.dump"
    run([str(yingji), "db", "backup", "--verify", str(file)], env=env)
    mode = oct(file.stat().st_mode & 0o777)
    if mode != "0o600":
        raise Failed(f"backup file mode {mode}")
    before = row_counts(database)
    ok(f"backup written (mode {mode}); {len(before)} tables, {sum(before.values())} rows")
    run([str(yingji), "db", "restore", "--yes", str(file)], env=env)
    after = row_counts(database)
    if after != before:
        changed = {t: (before.get(t), after.get(t)) for t in set(before) | set(after) if before.get(t) != after.get(t)}
        raise Failed(f"row counts differ after restore: {changed}")
    ok(f"restored: {len(after)} tables, row counts equal")


def main() -> int:
    keep = "--keep" in sys.argv
    work = Path(tempfile.mkdtemp(prefix="yingji-release-"))
    database = f"yingji_release_{os.getpid()}"
    port = free_port()
    rules = work / "rules.yaml"
    rules.write_text("rules:\n  - {id: high, kind: limit, high: 8.0, deadband: 1.0}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env.update(
        {
            "YINGJI_ENV": "production",
            "YINGJI_SECRET_KEY": secrets.token_hex(32),
            "YINGJI_DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:5432/{database}",
            "YINGJI_REDIS_URL": "redis://127.0.0.1:6379/0",
            "YINGJI_MQTT_URL": "mqtt://127.0.0.1:1883",
            "YINGJI_MONITOR_RULES": str(rules),
            "YINGJI_STATE_DIR": str(work / "state"),
            "YINGJI_EVENTS_NAMESPACE": database,
        }
    )
    server: subprocess.Popen[bytes] | None = None
    started = time.monotonic()
    try:
        yingji = build_and_install(work)
        previous_release_database(yingji, env, database)
        seed_and_user(yingji, env)
        server = start(yingji, env, port)
        assess_as_county_user(f"http://127.0.0.1:{port}")
        step("stop yingji run (SIGTERM)")
        server.send_signal(signal.SIGTERM)
        server.wait(30)
        ok(f"stopped with {server.returncode}")
        server = None
        backup_and_restore(yingji, env, database, work)
    except (Failed, subprocess.TimeoutExpired, OSError, StopIteration) as exc:
        print(f"FAILED: {exc}", flush=True)
        return 1
    finally:
        if server is not None:
            server.kill()
        if not keep:
            for name in psql(f"SELECT datname FROM pg_database WHERE datname LIKE '{database}%'").split():
                psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            subprocess.run(["rm", "-rf", str(work)], check=False)
    print(f"release check passed in {time.monotonic() - started:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
