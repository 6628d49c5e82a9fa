"""The worker reaches brokers that ask for a password, over TLS (mqtts://), with a client id of its own
deployment: private Mosquitto instances, started and stopped here."""

from __future__ import annotations

import getpass
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.monitoring.conftest import RULES, free_port, wait_for_port

from yingji.errors import InvalidInput, ServiceUnavailable
from yingji.monitoring.worker import BrokerEndpoint, MqttWorker, WorkerConfig, parse_broker_url

pytestmark = pytest.mark.services


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("mqtt://127.0.0.1:1883", BrokerEndpoint("127.0.0.1", 1883)),
        ("mqtt://broker", BrokerEndpoint("broker", 1883)),
        ("mqtts://broker", BrokerEndpoint("broker", 8883, tls=True)),
        ("mqtt://ops:p%40ss@broker:1884", BrokerEndpoint("broker", 1884, "ops", "p@ss")),
        ("mqtts://ops:secret@broker:8884", BrokerEndpoint("broker", 8884, "ops", "secret", tls=True)),
    ],
)
def test_broker_urls_carry_credentials_and_tls(url: str, expected: BrokerEndpoint) -> None:
    assert parse_broker_url(url) == expected


def test_a_bad_broker_url_is_refused_without_echoing_its_password() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_broker_url("http://ops:hunter2-secret@broker")
    assert "hunter2" not in str(caught.value)


def _broker(directory: Path, extra: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    config = directory / "mosquitto.conf"
    config.write_text(f"listener {port} 127.0.0.1\n{extra}user {getpass.getuser()}\n")
    process = subprocess.Popen(["mosquitto", "-c", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_for_port(port)
    return process, port


@pytest.fixture
def password_broker(tmp_path: Path) -> Iterator[int]:
    passwd = tmp_path / "passwd"
    subprocess.run(["mosquitto_passwd", "-c", "-b", str(passwd), "ops", "broker-pass-1"], check=True)
    passwd.chmod(0o600)
    process, port = _broker(tmp_path, f"allow_anonymous false\npassword_file {passwd}\n")
    yield port
    process.terminate()
    process.wait(10)


@pytest.fixture
def tls_broker(tmp_path: Path) -> Iterator[tuple[int, Path]]:
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    process, port = _broker(tmp_path, f"allow_anonymous true\ncertfile {cert}\nkeyfile {key}\n")
    yield port, cert
    process.terminate()
    process.wait(10)


def _connects(config: WorkerConfig) -> bool:
    worker = MqttWorker(RULES, config, sink=_NoSink())
    try:
        worker.start(timeout=5)
    except ServiceUnavailable:
        return False
    worker.stop()
    return True


class _NoSink:
    def write_events(self, events: object) -> None: ...

    def write_dead_letters(self, letters: object) -> None: ...

    def flush(self, *, durable: bool = True) -> None: ...


def test_the_worker_signs_in_to_a_broker_that_asks_for_a_password(password_broker: int) -> None:
    good = parse_broker_url(f"mqtt://ops:broker-pass-1@127.0.0.1:{password_broker}")
    bad = parse_broker_url(f"mqtt://ops:wrong@127.0.0.1:{password_broker}")
    for endpoint, works in ((good, True), (bad, False)):
        login = {"username": endpoint.username, "password": endpoint.password}
        config = WorkerConfig(host=endpoint.host, port=endpoint.port, tick_s=None, client_id="auth-test", **login)
        assert _connects(config) is works


def test_the_worker_reaches_a_broker_over_tls_with_its_ca_file(tls_broker: tuple[int, Path]) -> None:
    port, cert = tls_broker
    endpoint = parse_broker_url(f"mqtts://127.0.0.1:{port}")
    config = WorkerConfig(host=endpoint.host, port=port, tls=endpoint.tls, ca_file=cert, tick_s=None)
    assert _connects(config)
