"""Server-side session revocation, through real HTTP on both backends (issue 12, finding 6): logout,
disabling and a change of role, division or password refuse the user's earlier tokens, in every server
process, and close the user's open event streams."""

from __future__ import annotations

import shutil
import uuid
from contextlib import closing
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from tests.conftest import LiveServer, login, test_settings
from tests.sse import SseReader

from yingji import db
from yingji.auth.models import User

PASSWORD = "Long-enough-1!"


def _new_user(live: LiveServer, role: str = "duty_officer") -> tuple[str, int, httpx.Client]:
    name = f"rev_{uuid.uuid4().hex[:8]}"
    with closing(live.client("admin")) as admin:
        r = admin.post(
            "/api/v1/users",
            json={"username": name, "password": PASSWORD, "role": role, "division_code": "540223000000"},
        )
        assert r.status_code == 201, r.text
    client = httpx.Client(base_url=live.url, timeout=30)
    client.headers["Authorization"] = f"Bearer {login(client, name, PASSWORD)}"
    return name, int(r.json()["id"]), client


def test_a_token_is_refused_after_logout_and_a_new_login_works(live: LiveServer) -> None:
    name, _, client = _new_user(live)
    with closing(client):
        assert client.get("/api/v1/incidents").status_code == 200  # the scope is remembered now
        old = dict(client.headers)
        assert client.post("/api/v1/auth/logout").status_code == 204
        assert client.get("/api/v1/incidents").status_code == 401
        assert httpx.get(live.url + "/api/v1/auth/me", headers=old).status_code == 401
        client.headers["Authorization"] = f"Bearer {login(client, name, PASSWORD)}"
        assert client.get("/api/v1/auth/me").json()["username"] == name


def test_logout_ends_every_session_of_the_user(live: LiveServer) -> None:
    name, _, first = _new_user(live)
    with closing(first), closing(httpx.Client(base_url=live.url, timeout=30)) as second:
        second.headers["Authorization"] = f"Bearer {login(second, name, PASSWORD)}"
        assert second.get("/api/v1/incidents").status_code == 200
        assert first.post("/api/v1/auth/logout").status_code == 204
        assert second.get("/api/v1/incidents").status_code == 401


@pytest.mark.parametrize("change", ["role", "division_code", "password_hash"])
def test_a_change_of_access_made_elsewhere_revokes_the_token(live: LiveServer, change: str) -> None:
    """Another process (the CLI, a script) changes the user through the ORM: the token version moves."""
    name, _, client = _new_user(live)
    with closing(client):
        assert client.get("/api/v1/incidents").status_code == 200
        engine = db.make_engine(live.settings.database_url)
        with db.transaction(db.session_factory(engine)) as session:
            user = session.scalar(select(User).where(User.username == name))
            assert user is not None
            value = {"role": "analyst", "division_code": "540225000000", "password_hash": "x"}[change]
            setattr(user, change, value)
        engine.dispose()
        for _ in range(600):  # this server learns within its scope-cache time (no Redis in this test)
            if client.get("/api/v1/auth/me").status_code == 401:
                break
        else:
            raise AssertionError("the token still works")


def test_an_open_event_stream_of_a_disabled_user_is_closed(live: LiveServer) -> None:
    _, user_id, client = _new_user(live)
    with closing(client), closing(live.client("admin")) as admin:
        reader = SseReader(live.url + "/api/v1/events", dict(client.headers))
        assert reader.opened.wait(30) and reader.status == 200
        reader.subscribed(lambda: str(client.post("/api/v1/tokens", json={"name": "primer"}).json()["id"]), "api_token")
        assert admin.post(f"/api/v1/users/{user_id}/disable").status_code == 200
        ended = False
        while (event := reader.next_event(timeout=60)) != SseReader.CLOSED:
            ended = ended or event == {}  # the server's "session_ended" event, then the end of the stream
        assert ended
        assert httpx.get(live.url + "/api/v1/events", headers=dict(client.headers)).status_code == 401


def test_a_logout_reaches_another_server_process_through_redis(sqlite_template: Path, tmp_path: Path) -> None:
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    path = tmp_path / "shared.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    # B remembers scopes for a minute: only the announcement can make it refuse the token sooner
    with (
        LiveServer(test_settings(url, redis_url="redis://127.0.0.1:6379/0")) as a,
        LiveServer(test_settings(url, redis_url="redis://127.0.0.1:6379/0", scope_cache_seconds=60)) as b,
    ):
        _, _, client = _new_user(a)
        headers = dict(client.headers)
        with closing(client), closing(httpx.Client(base_url=b.url, headers=headers, timeout=30)) as at_b:
            assert at_b.get("/api/v1/incidents").status_code == 200  # B remembers the scope now
            assert client.post("/api/v1/auth/logout").status_code == 204
            for _ in range(300):
                if at_b.get("/api/v1/incidents").status_code == 401:
                    break
            else:
                raise AssertionError("server B still accepts the token")
