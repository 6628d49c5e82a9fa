"""The production issue's "checked from outside" contract, run as an operator would: real processes."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port

YINGJI = str(Path(sys.executable).parent / "yingji")


def run(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [YINGJI, *args], env=env, input=stdin, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture(scope="module")
def prod_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A production-like install: SQLite file, national seed only, a long random secret, no demo data."""
    db = tmp_path_factory.mktemp("prod") / "yingji.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env["YINGJI_DATABASE_URL"] = f"sqlite:///{db}"
    env["YINGJI_ENV"] = "production"
    env["YINGJI_SECRET_KEY"] = "k3Vq9xT0pL2mW8rZ4nB6cY1dF5gH7jQs"
    assert run(env, "db", "upgrade").returncode == 0
    seeded = run(env, "division", "seed")
    assert seeded.returncode == 0, seeded.stderr
    return env


def serve(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        [YINGJI, "serve", "--port", str(port)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(base + "/api/v1/health", timeout=1)
            return server, base
        except httpx.TransportError:
            assert server.poll() is None, server.stderr.read().decode() if server.stderr else ""
            time.sleep(0.1)
    server.terminate()
    raise AssertionError("server did not answer")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    server.wait(timeout=30)


def test_demo_load_is_refused_in_production_and_writes_nothing(prod_env: dict[str, str]) -> None:
    before = run(prod_env, "user", "list", "--json")
    result = run(prod_env, "demo", "load")
    assert result.returncode != 0
    assert "YINGJI_ENV" in result.stderr and "Traceback" not in result.stderr
    assert run(prod_env, "user", "list", "--json").stdout == before.stdout
    townships = run(prod_env, "division", "list", "--parent", "540223000000", "--json")
    assert townships.stdout.strip() == "[]"


def test_user_add_reads_the_password_from_stdin_and_the_user_signs_in(prod_env: dict[str, str]) -> None:
    added = run(
        prod_env,
        "user", "add", "--username", "u1", "--password-stdin", "--role", "duty_officer", "--division", "540223",
        stdin="A-long-passphrase-2026\n",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    env = {**prod_env, "YINGJI_REDIS_URL": ""}
    server, base = serve(env)
    try:
        # production cookies are Secure; the token endpoint is plain form data
        answer = httpx.post(base + "/api/v1/auth/token", data={"username": "u1", "password": "A-long-passphrase-2026"})
        assert answer.status_code == 200, answer.text
    finally:
        stop(server)


@pytest.mark.parametrize(
    ("given", "stdin", "message"),
    [
        (["--password", "A-long-passphrase-2026", "--password-stdin"], "x\n", "not both"),
        ([], "", "--password-stdin"),
        (["--password-stdin"], "\n", "no password"),
    ],
)
def test_password_sources_are_one_or_a_clear_error(
    prod_env: dict[str, str], given: list[str], stdin: str, message: str
) -> None:
    result = run(
        prod_env, "user", "add", "--username", "u2", *given, "--role", "analyst", "--division", "540223", stdin=stdin
    )
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_password_on_the_command_line_warns_but_works(prod_env: dict[str, str]) -> None:
    result = run(
        prod_env,
        "user", "add", "--username", "u3", "--password", "Another-long-pass-2026", "--role", "analyst",
        "--division", "540223",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "warning" in result.stderr and "--password-stdin" in result.stderr


def test_passwd_resets_and_enable_reenables(prod_env: dict[str, str]) -> None:
    assert run(
        prod_env,
        "user", "add", "--username", "u4", "--password-stdin", "--role", "analyst", "--division", "540223",
        stdin="First-long-pass-2026\n",
    ).returncode == 0  # fmt: skip
    assert run(prod_env, "user", "disable", "u4").returncode == 0
    assert run(prod_env, "user", "enable", "u4").returncode == 0
    changed = run(prod_env, "user", "passwd", "u4", "--password-stdin", stdin="Second-long-pass-2026\n")
    assert changed.returncode == 0, changed.stderr
    server, base = serve({**prod_env, "YINGJI_REDIS_URL": ""})
    try:
        old = httpx.post(base + "/api/v1/auth/token", data={"username": "u4", "password": "First-long-pass-2026"})
        new = httpx.post(base + "/api/v1/auth/token", data={"username": "u4", "password": "Second-long-pass-2026"})
        assert (old.status_code, new.status_code) == (401, 200)
    finally:
        stop(server)


@pytest.mark.services
def test_health_is_degraded_with_redis_unreachable_and_ok_with_it(prod_env: dict[str, str]) -> None:
    closed = free_port()
    server, base = serve({**prod_env, "YINGJI_REDIS_URL": f"redis://127.0.0.1:{closed}/0"})
    try:
        answer = httpx.get(base + "/api/v1/health")
        assert answer.status_code == 200
        assert answer.json()["status"] == "degraded" and "redis" in answer.json()["failed"]
    finally:
        stop(server)
    server, base = serve({**prod_env, "YINGJI_REDIS_URL": "redis://127.0.0.1:6379/0"})
    try:
        answer = httpx.get(base + "/api/v1/health")
        assert answer.status_code == 200 and answer.json()["status"] == "ok", answer.text
    finally:
        stop(server)


@pytest.mark.parametrize("content", [None, "database_url = [unclosed\n"])
def test_a_named_settings_file_that_cannot_be_read_is_an_error(
    prod_env: dict[str, str], tmp_path: Path, content: str | None
) -> None:
    path = tmp_path / "yingji.toml"
    if content is not None:
        path.write_text(content)
    result = run({**prod_env, "YINGJI_CONFIG_FILE": str(path)}, "user", "list")
    assert result.returncode == 2 and "YINGJI_CONFIG_FILE" in result.stderr and str(path) in result.stderr
    assert "Traceback" not in result.stderr


def test_logs_carry_time_level_and_request_id_and_json_is_one_object_a_line() -> None:
    import io
    import json
    import logging
    import logging.config

    from yingji import logs

    for fmt in ("text", "json"):
        stream = io.StringIO()
        logging.config.dictConfig(logs.config_dict(fmt, "INFO"))  # the server's configuration ...
        handler = logging.getLogger("yingji").handlers[0]
        assert isinstance(handler, logging.StreamHandler)
        handler.setStream(stream)  # ... writing to a buffer
        token = logs.request_id.set("req-12345678")
        try:
            logging.getLogger("yingji.test").info("connected to postgresql://app:s3cret@db/yingji")
        finally:
            logs.request_id.reset(token)
            for name in ("yingji", "uvicorn", "uvicorn.error", "uvicorn.access"):  # leave logging as found
                logging.getLogger(name).handlers.clear()
                logging.getLogger(name).propagate = True
            logging.getLogger().handlers.remove(handler)
        line = stream.getvalue().strip()
        assert "s3cret" not in line and "req-12345678" in line
        if fmt == "json":
            data = json.loads(line)
            assert data["level"] == "INFO" and data["time"].endswith("Z") and data["request_id"] == "req-12345678"
        else:
            assert line[:4].isdigit() and " INFO " in line


def test_every_response_names_its_request_and_a_safe_caller_id_is_kept(prod_env: dict[str, str]) -> None:
    server, base = serve({**prod_env, "YINGJI_REDIS_URL": ""})
    try:
        fresh = httpx.get(base + "/api/v1/health")
        assert len(fresh.headers["x-request-id"]) >= 8
        kept = httpx.get(base + "/api/v1/health", headers={"X-Request-ID": "proxy-abc-123"})
        assert kept.headers["x-request-id"] == "proxy-abc-123"
        forged = httpx.get(base + "/api/v1/health", headers={"X-Request-ID": "x\\nFAKE LOG LINE"})
        assert "FAKE" not in forged.headers["x-request-id"]
    finally:
        stop(server)


def test_api_docs_are_served_with_no_request_leaving_the_server(prod_env: dict[str, str]) -> None:
    import re

    server, base = serve({**prod_env, "YINGJI_REDIS_URL": ""})
    try:
        page = httpx.get(base + "/api/v1/docs")
        assert page.status_code == 200
        refs = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert refs and not any("//" in ref for ref in refs)  # nothing absolute, nothing on another host
        for ref in refs:
            asset = httpx.get(f"{base}/api/v1/{ref}")
            assert asset.status_code == 200 and asset.content, ref
        init = httpx.get(base + "/api/v1/docs/init.js").text
        assert "validatorUrl: null" in init and "http" not in init
    finally:
        stop(server)
