"""Tip handling: the staff workflow, handling clocks on an injected day, messages and the reply through the
tracking code alone, promotion to a hazard and to a penalty case, duplicate groups, public statistics with
small counts withheld — pure, and through real HTTP on both backends."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import BACKENDS, LiveServer, _fresh_database, test_settings
from yingji.hazards.credit_code import check_character
from yingji.tips import handling

OWN = "540223000000"
D = dt.date
_serial = itertools.count(1)
_addresses = (f"10.8.{n // 250}.{n % 250 + 1}" for n in itertools.count())


# -- pure ------------------------------------------------------------------------------------------------


def clock(key: str, events: dict[str, dt.date], on: dt.date, extended: bool = False) -> handling.Clock:
    return next(c for c in handling.evaluate(events, on, extended=extended) if c.key == key)


@pytest.mark.parametrize(
    ("on", "state"),
    [
        (D(2026, 3, 6), "running"),
        (D(2026, 3, 10), "due_soon"),
        (D(2026, 3, 13), "due_soon"),
        (D(2026, 3, 14), "overdue"),
    ],
)
def test_acceptance_clock_is_five_working_days(on: dt.date, state: str) -> None:
    found = clock("acceptance", {"received": D(2026, 3, 6)}, on)  # a Friday
    assert found.due == D(2026, 3, 13) and found.state == state


def test_handling_clock_is_sixty_days_and_ninety_when_extended() -> None:
    events = {"received": D(2026, 3, 1), "accepted": D(2026, 3, 2)}
    assert clock("handling", events, D(2026, 5, 1)).due == D(2026, 5, 1)
    assert clock("handling", events, D(2026, 5, 2)).state == "overdue"
    assert clock("handling", events, D(2026, 5, 2), extended=True).due == D(2026, 5, 31)
    assert clock("handling", {**events, "closed": D(2026, 5, 1)}, D(2026, 6, 1)).state == "met"


def test_moves_follow_the_workflow() -> None:
    assert handling.next_status("received", "accept") == "accepted"
    assert handling.next_status("accepted", "assign") == "accepted"
    with pytest.raises(handling.MoveRefused):
        handling.next_status("received", "close")
    with pytest.raises(handling.MoveRefused):
        handling.next_status("closed", "accept")


def _point(i: int, text: str, hours: float, division: str = OWN, category: str = "work_safety") -> handling.TipPoint:
    at = dt.datetime(2026, 3, 1, tzinfo=dt.UTC) + dt.timedelta(hours=hours)
    return handling.TipPoint(i, division, category, text, at)


def test_similar_tips_near_in_place_and_time_are_grouped() -> None:
    tips = [
        _point(1, "某化工厂夜间偷偷排放刺激性气体", 0),
        _point(2, "化工厂夜间排放刺激性气体，气味很大", 5),
        _point(3, "化工厂夜间偷排刺激性气体", 300),  # 12.5 days later
        _point(4, "化工厂夜间排放刺激性气体", 6, division="540225000000"),
        _point(5, "矿山违规爆破", 1),
        _point(6, "化工厂夜间排放刺激性气体", 2, category="fire_hazard"),
    ]
    assert handling.groups(tips) == [[1, 2]]


def test_small_counts_are_withheld() -> None:
    assert [handling.suppress(n) for n in (0, 1, 4, 5, 12)] == [0, None, None, 5, 12]


# -- through HTTP -------------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("tiphandling")
    for url in _fresh_database(request.param, request, tmp):
        settings = test_settings(url, tips_dir=tmp / "photos", trusted_proxies=["127.0.0.1"],
                                 tip_status_reads_per_minute=3)  # fmt: skip
        with LiveServer(settings) as live:
            yield live


def public(server: LiveServer) -> httpx.Client:
    client = server.client()
    client.headers["X-Forwarded-For"] = next(_addresses)
    return client


def submit(server: LiveServer, text: str = "仓库违规存放危化品", **over: object) -> str:
    r = public(server).post("/api/v1/tips", json={"category": "work_safety", "text": text, "division": OWN,
                                                  "anonymous": True, **over})  # fmt: skip
    assert r.status_code == 201, r.text
    return str(r.json()["tracking_code"])


def tip_id(admin: httpx.Client, text: str) -> int:
    items = admin.get("/api/v1/tips", params={"limit": 1000}).json()["items"]
    return int(next(t["id"] for t in items if t["text"] == text))


def act(admin: httpx.Client, tid: int, action: str, **extra: object) -> httpx.Response:
    return admin.post(f"/api/v1/tips/inbox/{tid}/actions", json={"action": action, **extra})


def test_a_tip_is_handled_and_the_reporter_reads_messages_and_the_reply_by_code(server: LiveServer) -> None:
    admin = server.client("admin")
    code = submit(server, "加油站夜间无人值守 甲")
    tid = tip_id(admin, "加油站夜间无人值守 甲")
    received = admin.get(f"/api/v1/tips/inbox/{tid}").json()
    assert {c["key"]: c["state"] for c in received["clocks"]}["acceptance"] in ("running", "due_soon")
    assert act(admin, tid, "close", outcome="substantiated", reply="x").status_code == 422  # not accepted yet
    assert act(admin, tid, "accept").status_code == 200
    assert act(admin, tid, "assign", assignee="执法二大队").json()["assigned_to"] == "执法二大队"
    assert admin.post(f"/api/v1/tips/inbox/{tid}/messages", json={"text": "请问具体地址？"}).status_code == 201
    reporter = public(server)
    assert reporter.post(f"/api/v1/tips/{code}/messages", json={"text": "在318国道旁"}).status_code == 201
    assert [m["sender"] for m in admin.get(f"/api/v1/tips/inbox/{tid}/messages").json()] == ["staff", "reporter"]
    assert act(admin, tid, "extend", reason="需联合核查").status_code == 200
    assert act(admin, tid, "extend", reason="again").status_code == 422
    assert act(admin, tid, "close", outcome="substantiated").status_code == 422  # a reply is required
    closed = act(admin, tid, "close", outcome="substantiated", reply="经核查属实，已责令整改。")
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    body = public(server).get(f"/api/v1/tips/{code}").json()
    assert body["status"] == "closed" and body["outcome"] == "substantiated"
    assert body["reply"] == "经核查属实，已责令整改。"
    assert [m["text"] for m in body["messages"]] == ["请问具体地址？", "在318国道旁"]
    late = public(server).post(f"/api/v1/tips/{code}/messages", json={"text": "还有一事"})
    assert late.status_code == 422


def test_reporter_messages_are_rate_limited_with_status_reads(server: LiveServer) -> None:
    code = submit(server, "限流测试")
    reporter = public(server)
    answers = [reporter.post(f"/api/v1/tips/{code}/messages", json={"text": f"m{n}"}).status_code for n in range(4)]
    assert answers == [201, 201, 201, 429]


def test_a_tip_promoted_to_a_hazard_and_a_case(server: LiveServer) -> None:
    admin = server.client("admin")
    first17 = f"91540223TP{next(_serial):07d}"
    body = {"name": "举报对象厂", "credit_code": first17 + check_character(first17), "division_code": OWN}
    enterprise = admin.post("/api/v1/enterprises", json=body).json()
    submit(server, "举报对象厂 无证生产")
    tid = tip_id(admin, "举报对象厂 无证生产")
    r = admin.post(f"/api/v1/tips/inbox/{tid}/promote", json={"to": "hazard", "enterprise_id": enterprise["id"],
                                                               "title": "无证生产"})  # fmt: skip
    assert r.status_code == 200, r.text
    hazard = admin.get(f"/api/v1/hazards/{r.json()['hazard_id']}").json()
    assert hazard["source"] == "tip" and f"#{tid}" in hazard["description"]
    again = admin.post(f"/api/v1/tips/inbox/{tid}/promote", json={"to": "hazard", "enterprise_id": enterprise["id"],
                                                                   "title": "x"})  # fmt: skip
    assert again.status_code == 409
    r = admin.post(f"/api/v1/tips/inbox/{tid}/promote", json={"to": "case", "enterprise_id": enterprise["id"],
                                                               "title": "无证生产案"})  # fmt: skip
    assert r.status_code == 200, r.text
    case = admin.get(f"/api/v1/enforcement/cases/{r.json()['case_id']}").json()
    assert case["state"] == "filed" and f"#{tid}" in case["facts"]


def test_a_tip_promoted_to_an_incident_in_its_division(server: LiveServer) -> None:
    admin = server.client("admin")
    submit(server, "山体裂缝扩大，村民担心滑坡")
    tid = tip_id(admin, "山体裂缝扩大，村民担心滑坡")
    bad = admin.post(f"/api/v1/tips/inbox/{tid}/promote", json={"to": "incident", "title": "滑坡隐患"})
    assert bad.status_code == 422  # an incident needs its type
    r = admin.post(f"/api/v1/tips/inbox/{tid}/promote",
                   json={"to": "incident", "title": "滑坡隐患", "incident_type": "geological_hazard"})  # fmt: skip
    assert r.status_code == 200, r.text
    incident = admin.get(f"/api/v1/incidents/{r.json()['incident_id']}").json()
    assert incident["division_code"].startswith(OWN[:6]) and f"#{tid}" in incident["description"]
    assert incident["incident_type"] == "geological_hazard"
    again = admin.post(f"/api/v1/tips/inbox/{tid}/promote",
                       json={"to": "incident", "title": "x", "incident_type": "geological_hazard"})  # fmt: skip
    assert again.status_code == 409
    other = admin.post(f"/api/v1/tips/inbox/{tid}/promote", json={"to": "case", "title": "x"})
    assert other.status_code == 422  # a case needs its enterprise


def test_duplicates_are_grouped_for_staff(server: LiveServer) -> None:
    admin = server.client("admin")
    submit(server, "镇东头小煤窑私自开采冒黑烟")
    submit(server, "镇东头小煤窑私自开采，冒黑烟")
    groups: list[list[int]] = admin.get("/api/v1/tips/inbox/groups").json()
    a, b = tip_id(admin, "镇东头小煤窑私自开采冒黑烟"), tip_id(admin, "镇东头小煤窑私自开采，冒黑烟")
    assert [a, b] in groups


def test_public_statistics_withhold_small_counts(server: LiveServer) -> None:
    anonymous = httpx.Client(base_url=server.url, timeout=30)
    body: dict[str, Any] = anonymous.get("/api/v1/tips/public/statistics", params={"division": OWN}).json()
    assert body["suppressed_below"] == 5
    assert body["by_status"].get("closed") is None  # one closed tip: withheld, not 1
    assert body["median_days_to_close"] is None  # a median over fewer than 5 closed tips is withheld too
    assert all(v is None or v == 0 or v >= 5 for v in body["by_category"].values())
    assert anonymous.get("/api/v1/tips/public/statistics", params={"division": "999999"}).status_code in (404, 422)
