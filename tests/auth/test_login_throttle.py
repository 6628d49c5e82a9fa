"""Login throttling per ASVS 2.2.1: exponential back-off per account, client and device, on an injected
clock; device cookies; forwarded addresses believed only from trusted proxies. Through real HTTP where it
matters (the live server runs in this process, so its clock and hash function can be watched)."""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from tests.conftest import DEMO_PASSWORD, LiveServer, _fresh_database, test_settings

from yingji.auth.ratelimit import Backoff, LoginThrottle
from yingji.auth.security import device_cookie_name, device_of, new_device_cookie
from yingji.db import session_factory
from yingji.errors import TooManyRequests


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def _throttle(clock: Clock, redis_url: str | None = None, namespace: str = "t") -> LoginThrottle:
    return LoginThrottle(
        redis_url,
        account=Backoff(free=3, base_s=1, max_s=8),
        client=Backoff(free=10, base_s=1, max_s=8),
        namespace=namespace,
        clock=clock,
    )


def _wait_after_each_failure(throttle: LoginThrottle, clock: Clock, failures: int) -> list[int]:
    """Fail ``failures`` times, each as soon as allowed; the Retry-After seen before each next attempt."""
    waits = []
    for _ in range(failures):
        try:
            throttle.admit(username="alice", client="c", device=None)
            waits.append(0)
        except TooManyRequests as exc:
            waits.append(int(exc.extra["retry_after"]))
            clock.now += exc.extra["retry_after"]
            throttle.admit(username="alice", client="c", device=None)
    return waits


def test_back_off_doubles_after_the_free_attempts_up_to_its_ceiling() -> None:
    clock = Clock()
    assert _wait_after_each_failure(_throttle(clock), clock, 9) == [0, 0, 0, 1, 2, 4, 8, 8, 8]


def test_a_refused_attempt_is_not_counted_and_success_clears_the_keys() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    for _ in range(3):
        throttle.admit(username="alice", client="c", device=None)
    for _ in range(5):  # hammering while in back-off does not lengthen it
        with pytest.raises(TooManyRequests):
            throttle.admit(username="alice", client="c", device=None)
    clock.now += 1
    throttle.succeeded(throttle.admit(username="alice", client="c", device=None))
    for _ in range(3):
        throttle.admit(username="alice", client="c", device=None)


def test_a_device_is_counted_alone_and_never_locked_out_by_others() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    for _ in range(3):
        throttle.admit(username="alice", client="attacker", device=None)
    with pytest.raises(TooManyRequests):
        throttle.admit(username="alice", client="office", device=None)  # the account is in back-off
    throttle.admit(username="alice", client="office", device="dev1")  # her own device is not
    for _ in range(2):
        throttle.admit(username="alice", client="office", device="dev1")
    with pytest.raises(TooManyRequests):  # a stolen device cookie is throttled on its own count
        throttle.admit(username="alice", client="office", device="dev1")
    throttle.admit(username="alice", client="office", device="dev2")


def test_usernames_are_counted_without_case() -> None:
    clock = Clock()
    throttle = _throttle(clock)
    for name in ("Alice", "ALICE", "alice"):
        throttle.admit(username=name, client="c", device=None)
    with pytest.raises(TooManyRequests):
        throttle.admit(username="aLiCe", client="d", device=None)


def test_the_count_is_shared_by_throttles_on_one_redis() -> None:
    """Two server processes = two throttles on one Redis: the back-off is shared."""
    import redis

    try:
        redis.Redis.from_url("redis://127.0.0.1:6379/0", socket_connect_timeout=1).ping()
    except redis.RedisError:
        pytest.skip("Redis is not reachable on 127.0.0.1:6379")
    clock = Clock()
    namespace = f"test-{uuid.uuid4().hex}"
    first, second = (_throttle(clock, "redis://127.0.0.1:6379/0", namespace) for _ in range(2))
    first.admit(username="alice", client="a", device=None)
    second.admit(username="alice", client="b", device=None)
    first.admit(username="alice", client="c", device=None)
    with pytest.raises(TooManyRequests) as refused:
        second.admit(username="alice", client="d", device=None)
    assert refused.value.extra["retry_after"] == 1
    clock.now += 1
    second.succeeded(second.admit(username="alice", client="d", device=None))
    first.admit(username="alice", client="e", device=None)


def _db_throttle(clock: Clock, engine: Engine, redis_url: str | None = None) -> LoginThrottle:
    from yingji.auth.service import DatabaseThrottleStore

    throttle = _throttle(clock, redis_url)
    throttle._store = DatabaseThrottleStore(session_factory(engine))
    return throttle


def test_without_redis_the_count_is_shared_by_throttles_on_one_database(engine: Engine) -> None:
    """Two server processes without Redis = two throttles on one database: the back-off is shared, with
    the same sequence as in one process, and a success clears it for both."""
    clock = Clock()
    first, second = _db_throttle(clock, engine), _db_throttle(clock, engine)
    first.admit(username="alice", client="a", device=None)
    second.admit(username="alice", client="b", device=None)
    first.admit(username="alice", client="c", device=None)
    with pytest.raises(TooManyRequests) as refused:
        second.admit(username="alice", client="d", device=None)
    assert refused.value.extra["retry_after"] == 1
    with pytest.raises(TooManyRequests):
        first.admit(username="ALICE", client="e", device=None)  # the other process, the other case
    clock.now += 1
    second.succeeded(second.admit(username="alice", client="d", device=None))
    first.admit(username="alice", client="e", device=None)
    clock.now += 86_401  # a day later every key counts from zero: the same sequence as in one process
    assert _wait_after_each_failure(_db_throttle(clock, engine), clock, 9) == [0, 0, 0, 1, 2, 4, 8, 8, 8]


def test_a_flood_at_a_locked_account_costs_the_database_nothing_and_redis_down_falls_back_to_it(
    engine: Engine,
) -> None:
    clock = Clock()
    throttle = _db_throttle(clock, engine, redis_url="redis://127.0.0.1:1/0")  # nothing listens there
    other = _db_throttle(clock, engine)
    for client in "abc":
        throttle.admit(username="bob", client=client, device=None)
    with pytest.raises(TooManyRequests):
        other.admit(username="bob", client="d", device=None)  # counted in the database, not in-process
    calls: list[object] = []
    store = other._store
    assert store is not None
    admit = store.admit

    def counted(*args: Any) -> dict[str, float]:
        calls.append(args)
        found: dict[str, float] = admit(*args)
        return found

    store.admit = counted  # type: ignore[method-assign]
    for n in range(50):
        with pytest.raises(TooManyRequests):
            other.admit(username="bob", client=f"flood-{n}", device=None)
    assert calls == []  # refused from the process's note of the back-off
    clock.now += 1
    other.admit(username="bob", client="e", device=None)
    assert len(calls) == 1


def test_a_device_cookie_is_bound_to_its_user_and_the_secret() -> None:
    cookie = new_device_cookie("alice", "k" * 40)
    assert device_of(cookie, "alice", "k" * 40) is not None
    assert device_of(cookie, "ALICE", "k" * 40) is not None
    assert device_of(cookie, "bob", "k" * 40) is None
    assert device_of(cookie, "alice", "j" * 40) is None
    assert device_of(cookie[:-1] + ("0" if cookie[-1] != "0" else "1"), "alice", "k" * 40) is None
    assert device_cookie_name("alice", "k" * 40) != device_cookie_name("bob", "k" * 40)


# -- through real HTTP ---------------------------------------------------------------------------------


@pytest.fixture
def throttled(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server whose throttle lets 3 failures through, on a clock the test moves."""
    trusted = getattr(request, "param", [])
    for url in _fresh_database("sqlite", request, tmp_path_factory.mktemp("throttle")):
        settings = test_settings(
            url, login_free_attempts=3, login_client_free_attempts=4, login_backoff_max_s=60, trusted_proxies=trusted,
            refusal_delay_s=0.05,
        )  # fmt: skip
        with LiveServer(settings) as live:
            live.app.state.login_throttle.clock = Clock()
            yield live


def _login(client: httpx.Client, username: str, password: str, **headers: str) -> httpx.Response:
    return client.post("/api/v1/auth/token", data={"username": username, "password": password}, headers=headers)


def test_back_off_through_http_refuses_even_the_right_password_before_hashing_it(
    throttled: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from yingji.auth import service

    hashed: list[str] = []
    verify = service.verify_password
    monkeypatch.setattr(service, "verify_password", lambda h, p: hashed.append(p) or verify(h, p))
    clock = throttled.app.state.login_throttle.clock
    with closing(httpx.Client(base_url=throttled.url)) as client:
        assert [_login(client, "dingri_duty", "wrong-guess-1!").status_code for _ in range(3)] == [401] * 3
        assert len(hashed) == 3
        paced = throttled.app.state.refusal_pacer.paced
        refused = _login(client, "dingri_duty", DEMO_PASSWORD)
        assert refused.status_code == 429 and refused.headers["retry-after"] == "1"
        assert refused.json()["code"] == "too_many_requests"
        assert len(hashed) == 3  # refused before the password hash was computed
        assert throttled.app.state.refusal_pacer.paced == paced + 1  # and answered late (edge.RefusalPacer)
        clock.now += 1
        assert _login(client, "dingri_duty", "wrong-guess-2!").status_code == 401
        assert _login(client, "dingri_duty", DEMO_PASSWORD).headers["retry-after"] == "2"
        clock.now += 2
        assert _login(client, "dingri_duty", DEMO_PASSWORD).status_code == 200
        assert _login(client, "dingri_duty", "wrong-guess-3!").status_code == 401  # the slate was cleared


def test_the_device_cookie_holder_gets_in_while_others_are_locked_out(throttled: LiveServer) -> None:
    with closing(httpx.Client(base_url=throttled.url)) as own, closing(httpx.Client(base_url=throttled.url)) as other:
        assert _login(own, "dingri_analyst", DEMO_PASSWORD).status_code == 200  # her device, from now on
        assert any(name.startswith("yingji_device_") for name in own.cookies)
        with closing(httpx.Client(base_url=throttled.url)) as attacker:
            for _ in range(3):
                assert _login(attacker, "dingri_analyst", "guess-guess-1!").status_code == 401
            assert _login(attacker, "dingri_analyst", "guess-guess-2!").status_code == 429
        assert _login(other, "dingri_analyst", DEMO_PASSWORD).status_code == 429  # not her device
        assert _login(own, "dingri_analyst", DEMO_PASSWORD).status_code == 200
        forged = httpx.Client(base_url=throttled.url, cookies={device_cookie_name("dingri_analyst", "x" * 40): "a.b"})
        with closing(forged):
            assert _login(forged, "dingri_analyst", DEMO_PASSWORD).status_code == 429


def test_the_page_sign_in_is_throttled_and_sets_the_device_cookie(throttled: LiveServer) -> None:
    with closing(httpx.Client(base_url=throttled.url)) as browser:
        page = browser.get("/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found  # the form's token: bound to the login nonce cookie (web.pages)
        nonce = browser.cookies["yingji_csrf"]
        form = {"username": "lazi_duty", "password": DEMO_PASSWORD, "csrf_token": found.group(1)}
        assert browser.post("/login", data=form).status_code == 303
        assert any(name.startswith("yingji_device_") for name in browser.cookies)
        with closing(httpx.Client(base_url=throttled.url)) as attacker:
            for _ in range(3):
                _login(attacker, "lazi_duty", "guess-guess-1!")
        assert browser.post("/login", data=form).status_code == 303
        browser.cookies.clear()
        browser.cookies.set("yingji_csrf", nonce)
        assert browser.post("/login", data=form).status_code == 429


def test_a_rotating_forwarded_address_is_ignored_without_trusted_proxies(throttled: LiveServer) -> None:
    with closing(httpx.Client(base_url=throttled.url)) as client:
        codes = [
            _login(client, f"nobody{i}", "guess-guess-1!", **{"X-Forwarded-For": f"10.0.0.{i}"}).status_code
            for i in range(6)
        ]
    assert codes == [401] * 4 + [429] * 2  # one client (the peer) for all: its own back-off after 4


@pytest.mark.parametrize("throttled", [["127.0.0.1/32"]], indirect=True)
def test_a_forwarded_address_from_a_trusted_proxy_is_the_client(throttled: LiveServer) -> None:
    with closing(httpx.Client(base_url=throttled.url)) as client:
        codes = [
            _login(client, f"nobody{i}", "guess-guess-1!", **{"X-Forwarded-For": f"10.0.0.{i}"}).status_code
            for i in range(6)
        ]
        assert codes == [401] * 6  # six clients behind the proxy
        same = [
            _login(client, f"other{i}", "guess-guess-1!", **{"X-Forwarded-For": "10.0.1.1"}).status_code
            for i in range(6)
        ]
    assert same == [401] * 4 + [429] * 2


def test_without_a_reachable_redis_the_process_still_throttles() -> None:
    clock = Clock()
    throttle = _throttle(clock, "redis://127.0.0.1:1/0")  # nothing listens there
    for _ in range(3):
        throttle.admit(username="alice", client="c", device=None)
    with pytest.raises(TooManyRequests):
        throttle.admit(username="alice", client="c", device=None)


def test_two_server_processes_without_redis_share_the_back_off(sqlite_template: Path, tmp_path: Path) -> None:
    """Failures counted by one server process lock the account in another one, through the database they
    share (no Redis configured): the right password at the other server is refused too."""
    path = tmp_path / "shared.db"
    shutil.copyfile(sqlite_template, path)
    settings = {"login_free_attempts": 3, "login_client_free_attempts": 100, "redis_url": None}
    with (
        LiveServer(test_settings(f"sqlite:///{path}", **settings)) as a,
        LiveServer(test_settings(f"sqlite:///{path}", **settings)) as b,
    ):
        assert a.app.state.login_throttle is not b.app.state.login_throttle
        with closing(httpx.Client(base_url=a.url)) as at_a, closing(httpx.Client(base_url=b.url)) as at_b:
            assert [_login(at_a, "lazi_duty", "wrong-guess-1!").status_code for _ in range(3)] == [401] * 3
            refused = _login(at_b, "lazi_duty", DEMO_PASSWORD)
            assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
