"""The deployment recipes are checked here statically (no image is pulled, no unit installed): the compose
file parses, the systemd units verify with no complaint, and the shipped broker configuration starts."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import free_port

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
YINGJI = str(Path(sys.executable).parent / "yingji")


def test_the_compose_file_is_valid() -> None:
    tool = shutil.which("docker-compose")
    if tool is None:
        pytest.skip("docker-compose is not installed (make test installs Debian's docker-compose)")
    env = {"PATH": "/usr/bin:/bin", "POSTGRES_PASSWORD": "x", "YINGJI_SECRET_KEY": "y"}
    result = subprocess.run(
        [tool, "-f", str(DEPLOY / "compose.yaml"), "config", "-q"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_systemd_units_verify_without_a_word(tmp_path: Path) -> None:
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed")
    units = []
    for unit in sorted((DEPLOY / "systemd").iterdir()):
        copy = tmp_path / unit.name  # the program the units start, where this checkout has it
        copy.write_text(unit.read_text().replace("/opt/yingji/venv/bin/yingji", YINGJI))
        units.append(str(copy))
    result = subprocess.run([tool, "verify", *units], capture_output=True, text=True, cwd=tmp_path, check=False)
    assert result.returncode == 0 and not result.stderr.strip(), result.stderr


def test_the_shipped_broker_configuration_starts_and_takes_connections(tmp_path: Path) -> None:
    broker = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
    if not Path(broker).exists():
        pytest.skip("mosquitto is not installed")
    port = free_port()
    text = (DEPLOY / "mosquitto.conf").read_text()
    text = text.replace("listener 1883", f"listener {port} 127.0.0.1")
    text = text.replace("/var/lib/mosquitto/", f"{tmp_path}/")
    config = tmp_path / "mosquitto.conf"
    config.write_text(text)
    process = subprocess.Popen([broker, "-c", str(config)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        for _ in range(200):
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            raise AssertionError("the broker did not listen")
    finally:
        process.terminate()
        process.wait(timeout=10)
