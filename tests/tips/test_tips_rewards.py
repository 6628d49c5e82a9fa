"""Tip rewards (举报奖励): the amount at every boundary of the rules (pure), and the way through the HTTP API —
proposed by the handler, approved by a second person, claimed with the tracking code alone, paid by an officer
who alone sees the claimant (audited)."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tests.conftest import LiveServer, _fresh_database, test_settings
from yingji.auth.models import AuditEntry
from yingji.db import make_engine, session_factory
from yingji.tips import rewards

OWN = "540223000000"
_addresses = (f"10.7.{n // 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.mark.parametrize(
    ("fine", "expected"),
    [
        (0, 3000),  # the minimum
        (19_999, 3000),  # 2,999.85 → 3,000: the minimum
        (20_000, 3000),  # exactly 15 % = 3,000
        (20_004, 3001),  # 3,000.6 rounds half up
        (100_000, 15_000),
        (2_000_000, 300_000),  # exactly the maximum
        (2_000_010, 300_000),  # over it
    ],
)
def test_a_violation_reward_is_15_percent_of_the_fine_within_the_bounds(fine: int, expected: int) -> None:
    amount = rewards.compute("violation", fine_yuan=fine)
    assert amount.yuan == expected and f"¥{fine:,}" in amount.basis


@pytest.mark.parametrize(
    ("grade", "deaths", "expected"),
    [
        ("general", 1, 30_000),
        ("larger", 2, 80_000),
        ("major", 6, 300_000),
        ("especially_major", 5, 300_000),
        ("general", 10, 300_000),
        ("general", 9, 270_000),
    ],
)
def test_a_concealed_accident_reward_is_per_death_by_grade_up_to_the_maximum(
    grade: str, deaths: int, expected: int
) -> None:
    assert rewards.compute("concealed_accident", deaths=deaths, grade=grade).yuan == expected


@pytest.mark.parametrize(
    "call",
    [
        lambda: rewards.compute("violation"),
        lambda: rewards.compute("concealed_accident", deaths=0, grade="general"),
        lambda: rewards.compute("concealed_accident", deaths=1, grade="huge"),
        lambda: rewards.compute("bravery", fine_yuan=1),
    ],
)
def test_incomplete_or_unknown_reward_requests_are_refused(call: object) -> None:
    with pytest.raises(rewards.RewardError):
        call()  # type: ignore[operator]


def test_the_steps_go_one_way() -> None:
    assert rewards.next_status("proposed", "approve") == "approved"
    with pytest.raises(rewards.RewardError):
        rewards.next_status("proposed", "pay")
    with pytest.raises(rewards.RewardError):
        rewards.next_status("paid", "claim")


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("rewards")
    for url in _fresh_database("sqlite", request, tmp):
        settings = test_settings(url, tips_dir=tmp / "photos", trusted_proxies=["127.0.0.1"])
        with LiveServer(settings) as live:
            yield live


def closed_tip(server: LiveServer, outcome: str = "substantiated") -> tuple[str, int]:
    public = server.client()
    public.headers["X-Forwarded-For"] = next(_addresses)
    r = public.post("/api/v1/tips", json={"category": "work_safety", "text": "无证经营危化品", "division": OWN,
                                          "anonymous": True})  # fmt: skip
    assert r.status_code == 201, r.text
    code = r.json()["tracking_code"]
    handler = server.client("dingri_duty")
    tip_id = max(t["id"] for t in handler.get("/api/v1/tips", params={"limit": 1000}).json()["items"])
    for body in ({"action": "accept"}, {"action": "close", "outcome": outcome, "reply": "已查处"}):
        moved = handler.post(f"/api/v1/tips/inbox/{tip_id}/actions", json=body)
        assert moved.status_code == 200, moved.text
    return code, tip_id


def test_a_reward_is_proposed_approved_claimed_by_the_code_and_paid_with_the_claimant_shown_once(
    server: LiveServer,
) -> None:
    code, tip_id = closed_tip(server)
    handler, admin = server.client("dingri_duty"), server.client("admin")
    holder = server.client()
    holder.headers["X-Forwarded-For"] = next(_addresses)
    url = f"/api/v1/tips/inbox/{tip_id}/reward"

    proposed = handler.post(url, json={"kind": "violation", "fine_yuan": 100_000})
    assert proposed.status_code == 201, proposed.text
    assert proposed.json()["amount_yuan"] == 15_000 and proposed.json()["status"] == "proposed"
    assert handler.post(url, json={"kind": "violation", "fine_yuan": 1}).status_code == 409  # one per tip
    assert holder.get(f"/api/v1/tips/{code}").json()["reward"] is None  # a proposal is not yet shown
    assert (
        holder.post(f"/api/v1/tips/{code}/reward/claim", json={"name": "赵六", "phone": "13600000000"}).status_code
        == 409
    )

    assert handler.post(url + "/approve").status_code == 403  # the handler lacks tips:reward
    approved = admin.post(url + "/approve")
    assert approved.status_code == 200 and approved.json()["approved_by"] == "admin"
    assert holder.get(f"/api/v1/tips/{code}").json()["reward"] == {"amount_yuan": 15_000, "status": "approved"}
    assert admin.post(url + "/pay", json={"payment_ref": "V-1"}).status_code == 409  # not claimed yet

    wrong = holder.post("/api/v1/tips/AAAA-AAAA-AAAA-AAAA-AAAA/reward/claim", json={"name": "x", "phone": "123"})
    assert wrong.status_code == 404
    claimed = holder.post(f"/api/v1/tips/{code}/reward/claim", json={"name": "赵六", "phone": "13600000000"})
    assert claimed.status_code == 200 and claimed.json() == {"amount_yuan": 15_000, "status": "claimed"}
    assert "赵六" not in handler.get(url).text and "赵六" not in holder.get(f"/api/v1/tips/{code}").text

    assert handler.post(url + "/pay", json={"payment_ref": "V-1"}).status_code == 403
    paid = admin.post(url + "/pay", json={"payment_ref": "V-2026-001"})
    assert paid.status_code == 200, paid.text
    assert paid.json()["claimant_name"] == "赵六" and paid.json()["status"] == "paid"
    assert holder.get(f"/api/v1/tips/{code}").json()["reward"]["status"] == "paid"

    engine = make_engine(server.settings.database_url)
    try:
        with session_factory(engine)() as session:
            entries = session.scalars(select(AuditEntry).where(AuditEntry.entity == "tip_reward")).all()
    finally:
        engine.dispose()
    actions = [(e.actor, e.action) for e in entries]
    assert ("admin", "read_claimant") in actions and ("public", "claim") in actions
    assert all("赵六" not in str(e.before) + str(e.after) for e in entries)  # the log keeps no claimant


def test_the_proposer_may_not_approve_and_an_unsubstantiated_tip_earns_nothing(server: LiveServer) -> None:
    _, tip_id = closed_tip(server)
    admin = server.client("admin")
    url = f"/api/v1/tips/inbox/{tip_id}/reward"
    proposed = admin.post(url, json={"kind": "concealed_accident", "deaths": 2, "grade": "larger"})
    assert proposed.status_code == 201 and proposed.json()["amount_yuan"] == 80_000
    assert admin.post(url + "/approve").status_code == 403
    _, other = closed_tip(server, outcome="unsubstantiated")
    refused = admin.post(f"/api/v1/tips/inbox/{other}/reward", json={"kind": "violation", "fine_yuan": 1000})
    assert refused.status_code == 409
    assert admin.post(f"/api/v1/tips/inbox/{tip_id}/reward", json={"kind": "violation"}).status_code == 409


def test_a_foreign_county_cannot_see_or_propose_a_reward(server: LiveServer) -> None:
    _, tip_id = closed_tip(server)
    lazi = server.client("lazi_duty")
    assert (
        lazi.post(f"/api/v1/tips/inbox/{tip_id}/reward", json={"kind": "violation", "fine_yuan": 1}).status_code == 404
    )
    assert lazi.get(f"/api/v1/tips/inbox/{tip_id}/reward").status_code == 404


def test_the_public_status_page_shows_an_approved_reward_and_takes_the_claim(server: LiveServer) -> None:
    import re

    import httpx

    code, tip_id = closed_tip(server)
    url = f"/api/v1/tips/inbox/{tip_id}/reward"
    assert server.client("dingri_duty").post(url, json={"kind": "violation", "fine_yuan": 40_000}).status_code == 201
    browser = httpx.Client(base_url=server.url, headers={"X-Forwarded-For": next(_addresses)})

    def look() -> str:
        token = re.search(r'name="csrf_token" value="([^"]+)"', browser.get("/tip/status").text)
        assert token
        page = browser.post("/tip/status", data={"code": code, "csrf_token": token.group(1)})
        assert page.status_code == 200
        return page.text

    assert 'id="tip-reward"' not in look()  # proposed only: not shown
    assert server.client("admin").post(url + "/approve").status_code == 200
    page = look()
    assert "¥6,000" in page and 'id="claim-form"' in page
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    bad = browser.post("/tip/reward", data={"code": code, "name": "钱七", "phone": "x", "csrf_token": token.group(1)})
    assert bad.status_code == 200 and 'id="claim-form"' in bad.text and 'role="alert"' in bad.text
    claimed = browser.post(
        "/tip/reward", data={"code": code, "name": "钱七", "phone": "13500000000", "csrf_token": token.group(1)}
    )
    assert claimed.status_code == 200 and 'id="claim-form"' not in claimed.text and "钱七" not in claimed.text
    assert server.client("admin").get(url).json()["status"] == "claimed"
