"""Signing in over plain HTTP in production (issue #19, Deliver 3): production cookies are ``Secure``, so
the browser keeps none and the login page must say so plainly — not "the page expired"."""

from __future__ import annotations

import re

import httpx

from tests.conftest import DEMO_PASSWORD, LiveServer, test_settings

STRONG = "c81f0e5a9d2b47e63a0f1c8d5e9b27a4"


def _post_login(server: LiveServer, lang: str) -> httpx.Response:
    with httpx.Client(base_url=server.url, cookies={"yingji_lang": lang}) as browser:
        page = browser.get("/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found
        # httpx, as a browser does, keeps a Secure cookie but never sends it over http://
        form = {"username": "lazi_duty", "password": DEMO_PASSWORD, "csrf_token": found.group(1)}
        return browser.post("/login", data=form)


def test_production_login_over_http_says_cookies_need_https(db_url: str) -> None:
    with LiveServer(test_settings(db_url, env="production", secret_key=STRONG)) as server:
        answer = _post_login(server, "zh")
        assert answer.status_code == 403
        assert "HTTPS" in answer.text and "https://" in answer.text and "页面已过期" not in answer.text
        assert "travel over HTTPS only" in _post_login(server, "en").text


def test_outside_production_a_missing_form_cookie_is_still_an_expired_page(db_url: str) -> None:
    with LiveServer(test_settings(db_url)) as server, httpx.Client(base_url=server.url) as browser:
        page = browser.get("/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert found
        browser.cookies.clear()
        answer = browser.post("/login", data={"username": "x", "password": "y", "csrf_token": found.group(1)})
        assert answer.status_code == 403 and "页面已过期" in answer.text
