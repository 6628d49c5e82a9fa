"""Jurisdiction cases of the tips routes (see test_jurisdiction.py): a tip placed in 拉孜 is invisible to 定日's
staff — in the list, by id, and through the identity route; the public routes name no other tip."""

from __future__ import annotations

import httpx
from tests.api.cases_foundation import FOREIGN, OWN, Ctx

API = "/api/v1/tips"
_made: dict[tuple[str, str], tuple[int, str]] = {}  # by server (one per backend) and division


def _tip(c: Ctx, division: str) -> tuple[int, str]:
    """(id, tracking code) of a tip in ``division``, submitted once per server."""
    key = (c.live.url, division)
    if key not in _made:
        r = httpx.post(c.live.url + API, json={"category": "work_safety", "text": f"tip in {division}",
                                               "division": division, "anonymous": True})  # fmt: skip
        assert r.status_code == 201, r.text
        admin = c.own_admin if division == OWN else c.foreign_admin
        items = admin.get(API, params={"limit": 1000}).json()["items"]
        tip_id = max(t["id"] for t in items if t["division_code"] == division)
        _made[key] = (tip_id, r.json()["tracking_code"])
    return _made[key]


def tips_submit(c: Ctx) -> None:
    _tip(c, FOREIGN)  # anyone may submit anywhere; what was submitted is not read back


def tips_list(c: Ctx) -> None:
    foreign_id, _ = _tip(c, FOREIGN)
    ids = {t["id"] for t in c.own.get(API, params={"limit": 1000}).json()["items"]}
    assert foreign_id not in ids


def tips_get(c: Ctx) -> None:
    foreign_id, _ = _tip(c, FOREIGN)
    assert c.own.get(f"{API}/inbox/{foreign_id}").status_code == 404
    assert c.own_admin.get(f"{API}/inbox/{foreign_id}").status_code == 404


def tips_reporter(c: Ctx) -> None:
    foreign_id, _ = _tip(c, FOREIGN)
    assert c.own_admin.post(f"{API}/inbox/{foreign_id}/reporter").status_code == 404
    own_id, _ = _tip(c, OWN)
    assert c.own_admin.post(f"{API}/inbox/{own_id}/reporter").status_code == 200


def tips_status(c: Ctx) -> None:
    _, code = _tip(c, FOREIGN)
    body = httpx.get(f"{c.live.url}{API}/{code}").json()
    assert "text" not in body and "name" not in body and "phone" not in body


def tips_act(c: Ctx) -> None:
    foreign_id, _ = _tip(c, FOREIGN)
    assert c.own_admin.post(f"{API}/inbox/{foreign_id}/actions", json={"action": "accept"}).status_code == 404


def tips_messages(c: Ctx) -> None:
    foreign_id, _ = _tip(c, FOREIGN)
    assert c.own_admin.get(f"{API}/inbox/{foreign_id}/messages").status_code == 404


def tips_message_staff(c: Ctx) -> None:
    foreign_id, code = _tip(c, FOREIGN)
    assert c.own_admin.post(f"{API}/inbox/{foreign_id}/messages", json={"text": "x"}).status_code == 404
    assert "x" not in [m["text"] for m in httpx.get(f"{c.live.url}{API}/{code}").json()["messages"]]
    own_id, own_code = _tip(c, OWN)
    assert c.own_admin.post(f"{API}/inbox/{own_id}/messages", json={"text": "请补充地址"}).status_code == 201
    assert httpx.post(f"{c.live.url}{API}/{own_code}/messages", json={"text": "在镇东"}).status_code == 201


def tips_message_reporter(c: Ctx) -> None:
    r = httpx.post(f"{c.live.url}{API}/AAAA-AAAA-AAAA-AAAA-AAAA/messages", json={"text": "x"})
    assert r.status_code == 404  # only a tracking code names a tip


def tips_promote(c: Ctx) -> None:
    from tests.api.cases_hazards import row

    foreign_id, _ = _tip(c, FOREIGN)
    own_enterprise, foreign_enterprise = row(c, "enterprise", "own"), row(c, "enterprise", "foreign")
    body = {"to": "hazard", "enterprise_id": own_enterprise["id"], "title": "x"}
    assert c.own_admin.post(f"{API}/inbox/{foreign_id}/promote", json=body).status_code == 404
    own_id, _ = _tip(c, OWN)
    body = {"to": "case", "enterprise_id": foreign_enterprise["id"], "title": "x"}
    assert c.own_admin.post(f"{API}/inbox/{own_id}/promote", json=body).status_code == 404


def tips_groups(c: Ctx) -> None:
    foreign_id, _ = _tip(c, FOREIGN)
    groups = c.own_admin.get(f"{API}/inbox/groups").json()
    assert all(foreign_id not in g for g in groups)


def tips_statistics(c: Ctx) -> None:
    body = httpx.get(f"{c.live.url}{API}/public/statistics", params={"division": FOREIGN}).json()
    assert set(body) == {"division", "total", "by_category", "by_status", "by_outcome", "by_division",
                         "suppressed_below", "median_days_to_close", "median_days_to_close_by_category"}  # fmt: skip


CASES = {
    ("POST", f"{API}/inbox/{{tip_id}}/actions"): tips_act,
    ("GET", f"{API}/inbox/{{tip_id}}/messages"): tips_messages,
    ("POST", f"{API}/inbox/{{tip_id}}/messages"): tips_message_staff,
    ("POST", f"{API}/{{tracking_code}}/messages"): tips_message_reporter,
    ("POST", f"{API}/inbox/{{tip_id}}/promote"): tips_promote,
    ("GET", f"{API}/inbox/groups"): tips_groups,
    ("GET", f"{API}/public/statistics"): tips_statistics,
    ("POST", API): tips_submit,
    ("GET", API): tips_list,
    ("GET", f"{API}/inbox/{{tip_id}}"): tips_get,
    ("POST", f"{API}/inbox/{{tip_id}}/reporter"): tips_reporter,
    ("GET", f"{API}/{{tracking_code}}"): tips_status,
}


def tips_reward_propose(c: Ctx) -> None:
    foreign_id, _ = _tip(c, FOREIGN)
    body = {"kind": "violation", "fine_yuan": 100_000}
    assert c.own_admin.post(f"{API}/inbox/{foreign_id}/reward", json=body).status_code == 404
    # an own tip closed as substantiated earns one (so the reward table has a row for the XSS crawl, too)
    r = httpx.post(c.live.url + API, json={"category": "work_safety", "text": "无证储存危化品", "division": OWN,
                                           "anonymous": True})  # fmt: skip
    assert r.status_code == 201, r.text
    own_id = max(t["id"] for t in c.own_admin.get(API, params={"limit": 1000}).json()["items"])
    for action in ({"action": "accept"}, {"action": "close", "outcome": "substantiated", "reply": "已查处"}):
        assert c.own_admin.post(f"{API}/inbox/{own_id}/actions", json=action).status_code == 200
    assert c.own_admin.post(f"{API}/inbox/{own_id}/reward", json=body).status_code == 201


def tips_reward_get(c: Ctx) -> None:
    foreign_id, _ = _tip(c, FOREIGN)
    assert c.own_admin.get(f"{API}/inbox/{foreign_id}/reward").status_code == 404


def tips_reward_approve(c: Ctx) -> None:
    foreign_id, _ = _tip(c, FOREIGN)
    assert c.own_admin.post(f"{API}/inbox/{foreign_id}/reward/approve").status_code == 404


def tips_reward_pay(c: Ctx) -> None:
    foreign_id, _ = _tip(c, FOREIGN)
    assert c.own_admin.post(f"{API}/inbox/{foreign_id}/reward/pay", json={"payment_ref": "V"}).status_code == 404


def tips_reward_claim(c: Ctx) -> None:
    r = httpx.post(f"{c.live.url}{API}/AAAA-AAAA-AAAA-AAAA-AAAA/reward/claim", json={"name": "x", "phone": "123"})
    assert r.status_code == 404  # only a tracking code names a tip (and its reward)


CASES.update(
    {
        ("POST", f"{API}/inbox/{{tip_id}}/reward"): tips_reward_propose,
        ("GET", f"{API}/inbox/{{tip_id}}/reward"): tips_reward_get,
        ("POST", f"{API}/inbox/{{tip_id}}/reward/approve"): tips_reward_approve,
        ("POST", f"{API}/inbox/{{tip_id}}/reward/pay"): tips_reward_pay,
        ("POST", f"{API}/{{tracking_code}}/reward/claim"): tips_reward_claim,
    }
)
