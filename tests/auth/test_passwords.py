"""Passwords per ASVS 4.0.3 V2.1 and the production secret key: what is refused and what stays valid."""

from __future__ import annotations

import re
import secrets
import subprocess
from pathlib import Path

import pytest

from yingji.auth.passwords import common_passwords, is_common, password_problem, secret_bits, secret_problem

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_list_holds_at_least_20000_common_passwords_with_its_source_named() -> None:
    assert len(common_passwords()) >= 20_000
    notice = (ROOT / "src/yingji/standards/passwords/NOTICE.md").read_text(encoding="utf-8")
    assert "BSD-3-Clause" in notice and "MIT" in notice and "common-passwords.txt.gz" in notice


@pytest.mark.parametrize("password", ["Password123!", "PASSWORD123", "password123", "Qwertyuiop123", "Iloveyou123!"])
def test_listed_passwords_are_refused_whatever_their_case(password: str) -> None:
    assert is_common(password)
    assert password_problem(password) is not None


def test_a_password_containing_the_username_is_refused_in_any_case() -> None:
    assert password_problem("My-ZHANGSAN-pass-2026", "zhangsan") == "password must not contain the username"
    assert password_problem("My-zhangsan-pass-2026", "lisi") is None


def test_length_is_the_only_shape_rule() -> None:
    assert password_problem("a" * 11 + "!") is None  # no composition rules (V2.1.9)
    assert password_problem("Abc-def-1!") is not None  # under 12 characters (V2.1.1)
    assert password_problem("长城长城长城长城长城长城") is None  # Unicode counts by character (V2.1.5)


def _passwords_used_in_the_project() -> set[str]:
    """Every literal the project passes as a password (docs, demo data, tests, benches)."""
    found: set[str] = set()
    pattern = re.compile(r"""(?:PASSWORD\s*=\s*|password[=:"']\s*\"?\s*|--password\s+)['"]([^'"\s]{6,})['"]""")
    for folder in ("src", "tests", "docs", "bench", "README.md"):
        paths = [ROOT / folder] if folder.endswith(".md") else (ROOT / folder).rglob("*")
        for path in paths:
            if path.suffix in (".py", ".md", ".yaml", ".toml") and path.is_file():
                found.update(pattern.findall(path.read_text(encoding="utf-8", errors="replace")))
    return found


def test_every_password_the_project_documents_or_uses_stays_valid() -> None:
    used = _passwords_used_in_the_project()
    assert {"Yingji-demo-2026!", "Long-enough-1!", "Correct-horse-9!"} <= used
    refused = {p: password_problem(p) for p in used if p not in {"Password123!", "Short-1!"}}
    refused = {p: why for p, why in refused.items() if why is not None and len(p) >= 12 and not is_common(p)}
    assert not refused


@pytest.mark.parametrize(
    "secret",
    [
        "a",
        "s" * 32,
        "abc" * 16,
        "abcdefghijklmnopqrstuvwxyz0123456789",
        "passwordpasswordpasswordpassword12",
        "correcthorsebatterystaplecorrecthorse",
        "yingji-development-secret-change-me",
    ],
)
def test_weak_secrets_are_refused(secret: str) -> None:
    assert secret_problem(secret) is not None


def test_generated_secrets_are_accepted() -> None:
    for secret in (secrets.token_hex(16), secrets.token_hex(32), secrets.token_urlsafe(32)):
        assert secret_problem(secret) is None, (secret, secret_bits(secret))


# -- every long-running entry point refuses a weak secret in production ------------------------------

ENTRY_POINTS = {
    "serve": ["serve", "--port", "1"],
    "run (the supervisor)": ["run", "--port", "1"],
    "monitor tick": ["monitor", "tick"],
    "monitor worker (MQTT)": ["monitor", "worker", "--rules", "rules.yaml", "--alarms", "alarms.jsonl"],
    "monitor worker (NATS)": ["monitor", "worker", "--rules", "rules.yaml", "--db", "--nats", "nats://127.0.0.1:1"],
    "incident scheduler": ["incident", "scheduler", "--interval", "60"],
    "warning tick": ["warning", "tick"],
}


@pytest.mark.parametrize("entry", sorted(ENTRY_POINTS))
def test_each_long_running_entry_point_exits_naming_the_secret(entry: str, tmp_path: Path) -> None:
    import os
    import sys

    secret = "a" if entry == "serve" else "ab" * 20  # too short; long but repeats
    env = {**os.environ, "YINGJI_ENV": "production", "YINGJI_SECRET_KEY": secret,
           "YINGJI_DATABASE_URL": f"sqlite:///{tmp_path}/none.db", "YINGJI_REDIS_URL": ""}  # fmt: skip
    cmd = [sys.executable, "-c", "from yingji.cli import main; main()", *ENTRY_POINTS[entry]]
    result = subprocess.run(cmd, env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode != 0
    assert "YINGJI_SECRET_KEY" in result.stderr, result.stderr
    assert not (tmp_path / "none.db").exists()  # refused before anything was opened
