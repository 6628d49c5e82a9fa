"""With Redis unreachable the server still signs users in, serves and ends sessions (issue #19, Deliver
4): login throttling counts in the process, revocation is judged from the database's token version, and
health names redis as the failed check. Real HTTP against a closed Redis port."""

from __future__ import annotations

import httpx

from tests.conftest import DEMO_PASSWORD, LiveServer, free_port, login, test_settings


def test_sign_in_read_and_logout_work_with_redis_down(db_url: str) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    with LiveServer(test_settings(db_url, redis_url=closed)) as server, httpx.Client(base_url=server.url) as client:
        health = client.get("/api/v1/health")
        assert health.status_code == 200
        assert health.json()["status"] == "degraded" and "redis" in health.json()["failed"]
        token = login(client, "lazi_duty", DEMO_PASSWORD)
        auth = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/v1/incidents", headers=auth).status_code == 200
        assert client.post("/api/v1/auth/logout", headers=auth).status_code in (200, 204)
        assert client.get("/api/v1/incidents", headers=auth).status_code == 401  # revoked, though Redis is down
        assert login(client, "lazi_duty", DEMO_PASSWORD)  # and one signs in again


def test_login_throttling_still_applies_with_redis_down(db_url: str) -> None:
    closed = f"redis://127.0.0.1:{free_port()}/0"
    settings = test_settings(db_url, redis_url=closed, login_free_attempts=2, login_client_free_attempts=2)
    with LiveServer(settings) as server, httpx.Client(base_url=server.url) as client:
        codes = [
            client.post("/api/v1/auth/token", data={"username": "lazi_duty", "password": "wrong-guess-1!"}).status_code
            for _ in range(4)
        ]
        assert codes[:2] == [401, 401] and 429 in codes[2:]
