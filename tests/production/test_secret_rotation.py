"""Secret rotation with a key ring (issue #19, Deliver 5): with the old key in YINGJI_SECRET_KEY_PREVIOUS,
tokens, page sessions, their CSRF tokens, login forms and device cookies made with it stay valid for the
grace period while everything new is signed with the new key; without it, they are void. Real HTTP."""

from __future__ import annotations

import re
from contextlib import ExitStack

import httpx
import pytest

from tests.conftest import DEMO_PASSWORD, LiveServer, test_settings
from yingji.auth.security import device_cookie_name, device_of_request, new_device_cookie, read_access_token
from yingji.config import Settings

OLD = "old-Key-" + "Zq7vR2mX" * 4
NEW = "new-Key-" + "Lp3wT9cY" * 4


def _hidden(html: str, pattern: str) -> str:
    found = re.search(pattern, html)
    assert found, html[:500]
    return found.group(1)


def test_a_rotation_keeps_sessions_for_the_grace_period_and_moves_them_to_the_new_key(db_url: str) -> None:
    with ExitStack() as stack:
        old = stack.enter_context(LiveServer(test_settings(db_url, secret_key=OLD)))
        ring = stack.enter_context(LiveServer(test_settings(db_url, secret_key=NEW, secret_key_previous=[OLD])))
        new_only = stack.enter_context(LiveServer(test_settings(db_url, secret_key=NEW)))
        api_token = old.client("lazi_duty").headers["Authorization"]
        browser = stack.enter_context(httpx.Client(base_url=old.url))
        login_csrf = _hidden(browser.get("/login").text, r'name="csrf_token" value="([^"]+)"')
        form = {"username": "lazi_duty", "password": DEMO_PASSWORD, "csrf_token": login_csrf}
        assert browser.post("/login", data=form).status_code == 303
        page_csrf = _hidden(browser.get("/").text, r'<meta name="csrf-token" content="([^"]+)"')
        cookies = dict(browser.cookies)

        with httpx.Client(base_url=new_only.url, headers={"Authorization": api_token}) as api:
            assert api.get("/api/v1/auth/me").status_code == 401  # no ring: the old key's tokens are void

        with httpx.Client(base_url=ring.url, headers={"Authorization": api_token}) as api:
            assert api.get("/api/v1/auth/me").status_code == 200
        with httpx.Client(base_url=ring.url, cookies=cookies) as later:
            page = later.get("/")
            assert page.status_code == 200
            moved = page.cookies.get("yingji_token")
            assert moved and moved != cookies["yingji_token"]  # re-issued at once, signed with the new key
            assert read_access_token(moved, secret=NEW)["sub"] == "lazi_duty"
            # a form rendered before the rotation still posts (its CSRF token was made with the old key)
            assert later.post("/logout", data={"csrf_token": page_csrf}).status_code == 303


def test_a_login_form_rendered_before_the_rotation_still_signs_in(db_url: str) -> None:
    with ExitStack() as stack:
        old = stack.enter_context(LiveServer(test_settings(db_url, secret_key=OLD)))
        ring = stack.enter_context(LiveServer(test_settings(db_url, secret_key=NEW, secret_key_previous=[OLD])))
        browser = stack.enter_context(httpx.Client(base_url=old.url))
        login_csrf = _hidden(browser.get("/login").text, r'name="csrf_token" value="([^"]+)"')
        form = {"username": "lazi_duty", "password": DEMO_PASSWORD, "csrf_token": login_csrf}
        with httpx.Client(base_url=ring.url, cookies=dict(browser.cookies)) as later:
            assert later.post("/login", data=form).status_code == 303


def test_a_device_cookie_made_with_the_previous_key_is_still_recognised() -> None:
    cookie = new_device_cookie("lazi_duty", OLD)
    cookies = {device_cookie_name("lazi_duty", OLD): cookie}
    assert device_of_request(cookies, "lazi_duty", (NEW, OLD)) == cookie.split(".")[0]
    assert device_of_request(cookies, "lazi_duty", NEW) is None


def test_previous_keys_are_read_as_a_list_and_checked_in_production() -> None:
    settings = Settings(secret_key=NEW, secret_key_previous=f"{OLD}, {NEW}")  # type: ignore[arg-type]
    assert settings.secret_keys == (NEW, OLD)
    with pytest.raises(ValueError, match="YINGJI_SECRET_KEY_PREVIOUS"):
        Settings(  # type: ignore[arg-type]
            env="production", secret_key="9f2c4e71b0a85d36e1c7f04b92da5e18", secret_key_previous="a"
        )
