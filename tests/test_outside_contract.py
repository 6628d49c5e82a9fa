"""The Foundation's "checked from outside" contract, exactly as an outsider runs it: real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

YINGJI = str(Path(sys.executable).parent / "yingji")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([YINGJI, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def outside_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("outside") / "yingji.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env["YINGJI_DATABASE_URL"] = f"sqlite:///{db}"
    assert run(env, "db", "upgrade").returncode == 0
    loaded = run(env, "demo", "load")
    assert loaded.returncode == 0, loaded.stderr
    assert "depots" in loaded.stdout  # the domains' synthetic demo records come along
    return env


def test_division_list_json_gives_codes_parents_names_levels(outside_env: dict[str, str]) -> None:
    result = run(outside_env, "division", "list", "--level", "county", "--parent", "540200", "--json")
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert len(rows) == 18
    for row in rows:
        assert len(row["code"]) == 12 and row["code"].isdigit() and row["parent"] == "540200000000"
        assert row["level"] == "county" and row["name"]
    townships = json.loads(run(outside_env, "division", "list", "--parent", "540223000000", "--json").stdout)
    assert townships and {r["level"] for r in townships} == {"township"}


def test_user_add_then_serve_login_and_scoped_division_reads(outside_env: dict[str, str]) -> None:
    added = run(
        outside_env,
        "user",
        "add",
        "--username",
        "outsider",
        "--password",
        "Outside-pass-123!",
        "--role",
        "duty_officer",
        "--division",
        "540223",
    )
    assert added.returncode == 0, added.stderr
    port = free_port()
    server = subprocess.Popen(
        [YINGJI, "serve", "--port", str(port)], env=outside_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                httpx.get(base + "/api/v1/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        bad = httpx.post(base + "/api/v1/auth/token", data={"username": "outsider", "password": "nope-Nope-1!"})
        assert bad.status_code == 401
        token = httpx.post(
            base + "/api/v1/auth/token", data={"username": "outsider", "password": "Outside-pass-123!"}
        ).json()
        assert token["token_type"] == "bearer" and token["access_token"]
        auth = {"Authorization": f"Bearer {token['access_token']}"}
        for code, status in (
            ("540223000000", 200),
            ("540223001000", 200),
            ("540200000000", 200),
            ("540000000000", 200),
            ("540225000000", 404),
            ("110000000000", 404),
        ):
            assert httpx.get(f"{base}/api/v1/divisions/{code}", headers=auth).status_code == status, code
        assert httpx.get(f"{base}/api/v1/divisions/540223000000").status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_bad_password_policy_is_a_clear_cli_error(outside_env: dict[str, str]) -> None:
    result = run(
        outside_env,
        "user",
        "add",
        "--username",
        "weak",
        "--password",
        "short",
        "--role",
        "analyst",
        "--division",
        "540223",
    )
    assert result.returncode == 2 and "at least 12 characters" in result.stderr
    assert "Traceback" not in result.stderr
