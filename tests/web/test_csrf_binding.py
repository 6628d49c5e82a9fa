"""CSRF tokens are bound to the sign-in session (issue 12, finding 10): a token made for one session is
refused in any other — another sign-in of the same user, another user — for page forms and for the API's
``X-CSRF-Token`` header; a re-issued session cookie keeps its session's token."""

from __future__ import annotations

import datetime as dt
import re

from tests.conftest import DEMO_PASSWORD
from tests.web.conftest import WebData
from tests.web.test_pages import browser, csrf_of

from yingji.auth.security import issue_access_token, read_access_token, session_csrf_token

SECRET = "a-test-secret-that-is-long-enough-0123456789"


def test_a_token_of_another_session_of_the_same_user_is_refused(web: WebData) -> None:
    first, second = browser(web.live, "dingri_duty"), browser(web.live, "dingri_duty")
    token = csrf_of(first)
    assert token != csrf_of(second)
    url = f"/incidents/{web.own_incident}/tasks"
    assert second.post(url, data={"title": "跨会话伪造", "csrf_token": token}).status_code == 403
    assert second.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": token}).status_code == 403
    assert "跨会话伪造" not in second.get(f"/incidents/{web.own_incident}").text
    assert first.post(url, data={"title": "本会话任务", "csrf_token": token}).status_code == 303


def test_a_token_of_another_user_is_refused(web: WebData) -> None:
    own, other = browser(web.live, "dingri_duty"), browser(web.live, "xigaze_duty")
    r = own.post(f"/incidents/{web.own_incident}/tasks", data={"title": "他人令牌", "csrf_token": csrf_of(other)})
    assert r.status_code == 403


def test_the_login_nonce_cookie_is_not_a_session_token(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    nonce = client.cookies.get("yingji_csrf")
    assert nonce
    r = client.post("/api/v1/tokens", json={"name": "x"}, headers={"X-CSRF-Token": nonce})
    assert r.status_code == 403


def test_a_signed_out_browser_has_no_session_token(web: WebData) -> None:
    client = browser(web.live)
    assert client.post("/logout", data={"csrf_token": ""}).status_code == 403


def test_a_reissued_session_cookie_keeps_its_token_and_a_new_sign_in_does_not() -> None:
    now = dt.datetime.now(dt.UTC)
    first = issue_access_token(username="u", secret=SECRET, minutes=30, now=now - dt.timedelta(minutes=5))
    sid = read_access_token(first, secret=SECRET)["sid"]
    reissued = issue_access_token(username="u", secret=SECRET, minutes=30, now=now, sid=sid)
    again = issue_access_token(username="u", secret=SECRET, minutes=30, now=now)
    token = session_csrf_token(first, secret=SECRET)
    assert token and token == session_csrf_token(reissued, secret=SECRET)
    assert token != session_csrf_token(again, secret=SECRET)
    assert session_csrf_token(first, secret=SECRET + "x") is None  # a token under another secret is no session


def test_the_session_and_nonce_cookies_are_httponly_and_samesite_strict(web: WebData) -> None:
    client = browser(web.live)
    login = client.get("/login")
    nonce = next(h for h in login.headers.get_list("set-cookie") if h.startswith("yingji_csrf="))
    assert "httponly" in nonce.lower() and "samesite=strict" in nonce.lower()
    token = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
    assert token
    r = client.post("/login", data={"username": "dingri_duty", "password": DEMO_PASSWORD, "csrf_token": token.group(1)})
    session = next(h for h in r.headers.get_list("set-cookie") if h.startswith("yingji_token="))
    assert "httponly" in session.lower() and "samesite=strict" in session.lower()
