"""Jurisdiction cases of the routes added for issue 12 (sessions)."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from tests.api.cases_foundation import OWN, PASSWORD, Ctx
from tests.conftest import login


def auth_logout(c: Ctx) -> None:
    """Logging out ends the caller's own sessions only: another user's token in the same county works on."""
    r = c.own_admin.post(
        "/api/v1/users",
        json={"username": "leaving_duty", "password": PASSWORD, "role": "duty_officer", "division_code": OWN},
    )
    assert r.status_code in (201, 409), r.text
    leaving = httpx.Client(base_url=c.live.url, timeout=30)
    leaving.headers["Authorization"] = f"Bearer {login(leaving, 'leaving_duty', PASSWORD)}"
    assert leaving.post("/api/v1/auth/logout").status_code == 204
    assert leaving.get("/api/v1/auth/me").status_code == 401
    assert c.own.get("/api/v1/auth/me").status_code == 200
    leaving.close()


CASES: dict[tuple[str, str], Callable[[Ctx], None]] = {
    ("POST", "/api/v1/auth/logout"): auth_logout,
}
