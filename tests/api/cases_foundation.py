"""Jurisdiction cases of the Foundation routes (see test_jurisdiction.py).

The original overview:

Every route of the OpenAPI document must have a case here (the first test fails otherwise): each case
proves that a user of one county (定日, 540223) can neither read nor change another county's (拉孜,
540225) rows — through lists, details, identifiers placed in bodies, and (as later domains add them)
exports and live streams.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from tests.conftest import LiveServer

OWN, OWN_TOWN, FOREIGN, FOREIGN_TOWN, PARENT = (
    "540223000000",
    "540223001000",
    "540225000000",
    "540225001000",
    "540200000000",
)
PASSWORD = "Correct-horse-9!"


@dataclass
class Ctx:
    live: LiveServer
    own: httpx.Client  # duty officer of 定日
    own_admin: httpx.Client  # administrator of 定日
    foreign_admin: httpx.Client  # administrator of 拉孜


def codes(items: list[dict[str, object]]) -> set[str]:
    return {str(i["code"]) for i in items}


def readable(code: str) -> bool:
    return code.startswith("540223") or code in {PARENT, "540000000000", "000000000000"}


# -- one function per route -------------------------------------------------------------------------


def health(c: Ctx) -> None:
    body = c.own.get("/api/v1/health").json()
    assert set(body) == {"status", "failed", "version", "checks"}  # nothing per-jurisdiction in it


def login(c: Ctx) -> None:
    r = c.own.post("/api/v1/auth/token", data={"username": "lazi_duty", "password": "wrong-Password-1"})
    assert r.status_code == 401


def me(c: Ctx) -> None:
    assert c.own.get("/api/v1/auth/me").json()["division_code"] == OWN


def divisions_list(c: Ctx) -> None:
    for params in (
        {},
        {"level": "county"},
        {"level": "township"},
        {"q": "拉孜"},
        {"parent": PARENT},
        {"parent": FOREIGN},
    ):
        items = c.own.get("/api/v1/divisions", params={**params, "limit": 1000}).json()["items"]
        assert all(readable(code) for code in codes(items)), params


def divisions_boundaries(c: Ctx) -> None:
    for level in ("county", "township", "village"):
        feats = c.own.get("/api/v1/divisions/boundaries", params={"level": level}).json()["features"]
        assert feats and all(readable(f["id"]) for f in feats)


def divisions_get(c: Ctx) -> None:
    assert c.own.get(f"/api/v1/divisions/{OWN_TOWN}").status_code == 200
    assert c.own.get(f"/api/v1/divisions/{PARENT}").status_code == 200
    assert c.own.get(f"/api/v1/divisions/{FOREIGN}").status_code == 404
    assert c.own.get(f"/api/v1/divisions/{FOREIGN_TOWN}").status_code == 404


def divisions_children(c: Ctx) -> None:
    kids = c.own.get(f"/api/v1/divisions/{PARENT}/children").json()
    assert codes(kids) == {OWN}
    assert c.own.get(f"/api/v1/divisions/{FOREIGN}/children").status_code == 404


def divisions_ancestors(c: Ctx) -> None:
    assert c.own.get(f"/api/v1/divisions/{FOREIGN_TOWN}/ancestors").status_code == 404
    assert codes(c.own.get(f"/api/v1/divisions/{OWN_TOWN}/ancestors").json()) == {
        OWN,
        PARENT,
        "540000000000",
        "000000000000",
    }


def divisions_descendants(c: Ctx) -> None:
    assert c.own.get(f"/api/v1/divisions/{FOREIGN}/descendants").status_code == 404
    below = c.own.get(f"/api/v1/divisions/{PARENT}/descendants").json()
    assert below and all(code.startswith("540223") for code in codes(below))


def divisions_locate(c: Ctx) -> None:
    own_town = c.own.get(f"/api/v1/divisions/{OWN_TOWN}").json()
    foreign_town = c.foreign_admin.get(f"/api/v1/divisions/{FOREIGN_TOWN}").json()
    points = [[own_town["lon"], own_town["lat"]], [foreign_town["lon"], foreign_town["lat"]]]
    found = c.own.post("/api/v1/divisions/locate", json={"points": points}).json()["codes"]
    assert found[0] is not None and found[0].startswith("540223") and found[1] is None


def divisions_import(c: Ctx) -> None:
    csv = f"code,name,parent\n540225001901,越界村,{FOREIGN_TOWN}\n"
    r = c.own_admin.post("/api/v1/divisions/import", files={"file": ("x.csv", csv, "text/csv")})
    assert r.status_code in (404, 422)
    assert c.foreign_admin.get("/api/v1/divisions/540225001901").status_code == 404


def users_list(c: Ctx) -> None:
    users = c.own_admin.get("/api/v1/users").json()["items"]
    assert users and all(u["division_code"].startswith("540223") for u in users)


def users_create(c: Ctx) -> None:
    r = c.own_admin.post(
        "/api/v1/users",
        json={"username": "intruder", "password": PASSWORD, "role": "analyst", "division_code": FOREIGN},
    )
    assert r.status_code == 404
    assert (
        c.own.post(
            "/api/v1/users", json={"username": "x", "password": PASSWORD, "role": "analyst", "division_code": OWN}
        ).status_code
        == 403
    )
    # Usernames are sign-in identities, unique in the deployment: a taken name is refused (documented
    # residual), with one answer whether it is taken in one's own county or elsewhere.
    answers = []
    for taken in ("dingri_duty", "lazi_admin"):
        body = {"username": taken, "password": PASSWORD, "role": "analyst", "division_code": OWN}
        r = c.own_admin.post("/api/v1/users", json=body)
        answers.append((r.status_code, r.text.replace(taken, "<name>")))
    assert answers[0][0] == 409 and answers[0] == answers[1], answers


def _foreign_user_id(c: Ctx) -> int:
    return int(
        next(u["id"] for u in c.foreign_admin.get("/api/v1/users").json()["items"] if u["username"] == "lazi_duty")
    )


def users_get(c: Ctx) -> None:
    assert c.own_admin.get(f"/api/v1/users/{_foreign_user_id(c)}").status_code == 404


def users_disable(c: Ctx) -> None:
    uid = _foreign_user_id(c)
    assert c.own_admin.post(f"/api/v1/users/{uid}/disable").status_code == 404
    assert c.foreign_admin.get(f"/api/v1/users/{uid}").json()["disabled"] is False


def tokens_list(c: Ctx) -> None:
    c.foreign_admin.post("/api/v1/tokens", json={"name": "foreign"})
    mine = c.own.get("/api/v1/tokens").json()
    assert all(t["name"] != "foreign" for t in mine)


def tokens_create(c: Ctx) -> None:
    r = c.own_admin.post("/api/v1/tokens", json={"name": "steal", "username": "lazi_duty"})
    assert r.status_code == 404


def tokens_revoke(c: Ctx) -> None:
    token = c.foreign_admin.post("/api/v1/tokens", json={"name": "keep"}).json()
    assert c.own_admin.delete(f"/api/v1/tokens/{token['id']}").status_code == 404
    machine = c.live.client()
    machine.headers["Authorization"] = f"Bearer {token['token']}"
    assert machine.get("/api/v1/auth/me").json()["username"] == "lazi_admin"


def audit_list(c: Ctx) -> None:
    entries = c.own_admin.get("/api/v1/audit", params={"limit": 1000}).json()["items"]
    assert entries and all((e["division_code"] or "").startswith("540223") for e in entries)
    assert c.own.get("/api/v1/audit").status_code == 403


CASES: dict[tuple[str, str], Callable[[Ctx], None]] = {  # (method, OpenAPI path) -> check
    ("GET", "/api/v1/health"): health,
    ("POST", "/api/v1/auth/token"): login,
    ("GET", "/api/v1/auth/me"): me,
    ("GET", "/api/v1/divisions"): divisions_list,
    ("GET", "/api/v1/divisions/boundaries"): divisions_boundaries,
    ("POST", "/api/v1/divisions/locate"): divisions_locate,
    ("POST", "/api/v1/divisions/import"): divisions_import,
    ("GET", "/api/v1/divisions/{code}"): divisions_get,
    ("GET", "/api/v1/divisions/{code}/children"): divisions_children,
    ("GET", "/api/v1/divisions/{code}/ancestors"): divisions_ancestors,
    ("GET", "/api/v1/divisions/{code}/descendants"): divisions_descendants,
    ("GET", "/api/v1/users"): users_list,
    ("POST", "/api/v1/users"): users_create,
    ("GET", "/api/v1/users/{user_id}"): users_get,
    ("POST", "/api/v1/users/{user_id}/disable"): users_disable,
    ("GET", "/api/v1/tokens"): tokens_list,
    ("POST", "/api/v1/tokens"): tokens_create,
    ("DELETE", "/api/v1/tokens/{token_id}"): tokens_revoke,
    ("GET", "/api/v1/audit"): audit_list,
}


def events_stream(c: Ctx) -> None:
    """A stream never carries another jurisdiction's event: writes in both counties, only ours arrives."""
    import json
    import threading

    received: list[dict[str, object]] = []
    ready = threading.Event()

    def listen() -> None:
        with c.own.stream("GET", "/api/v1/events", timeout=30) as response:
            assert response.status_code == 200
            for line in response.iter_lines():
                if line == ": subscribed":  # the server has subscribed: no event is missed from now
                    ready.set()
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
                    if any(
                        r.get("entity") == "api_token"
                        and r.get("action") == "create"
                        and str(r.get("divisions")) == str(["540223000000"])
                        for r in received
                    ):
                        return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert ready.wait(20)
    c.foreign_admin.post("/api/v1/tokens", json={"name": "foreign-live"})
    c.own.post("/api/v1/tokens", json={"name": "own-live"})
    thread.join(timeout=30)
    assert not thread.is_alive(), "our own event never arrived"
    assert all("540225000000" not in str(r.get("divisions")) for r in received)
    assert all(
        any(
            str(d).startswith("540223") or d in ("540200000000", "540000000000", "000000000000") for d in r["divisions"]
        )
        for r in received
    )  # type: ignore[attr-defined]


CASES[("GET", "/api/v1/events")] = events_stream
