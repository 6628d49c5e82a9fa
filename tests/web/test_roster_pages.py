"""The roster page over real HTTP: it shows only the own jurisdiction's shifts, and its forms cannot hand over
or acknowledge another county's shift (leak cases for /duty/roster and its actions)."""

from __future__ import annotations

import datetime as dt

from tests.web.conftest import WebData
from tests.web.test_pages import browser, csrf_of

FOREIGN_LEADER = "拉孜县带班领导-他县不可见"


def foreign_shift(web: WebData, handed: bool) -> int:
    lazi = web.live.client("lazi_duty")
    start = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    r = lazi.post(
        "/api/v1/duty/shifts",
        json={
            "division_code": "540225000000",
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=8)).isoformat(),
            "leader": FOREIGN_LEADER,
        },
    )
    assert r.status_code == 201, r.text
    if handed:
        assert lazi.post(f"/api/v1/duty/shifts/{r.json()['id']}/handover", json={"note": "拉孜交班"}).status_code == 200
    return int(r.json()["id"])


def test_the_roster_shows_no_other_countys_shift(web: WebData) -> None:
    foreign_shift(web, handed=False)
    client = browser(web.live, "dingri_duty")
    r = client.get("/duty/roster")
    assert r.status_code == 200 and FOREIGN_LEADER not in r.text
    assert FOREIGN_LEADER in browser(web.live, "xigaze_duty").get("/duty/roster").text


def test_another_countys_shift_cannot_be_handed_over_or_acknowledged(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    csrf = csrf_of(client)
    shift = foreign_shift(web, handed=False)
    r = client.post(f"/duty/roster/shifts/{shift}/handover", data={"csrf_token": csrf, "note": "越权交班"})
    assert r.status_code == 404 and FOREIGN_LEADER not in r.text
    handed = foreign_shift(web, handed=True)
    r = client.post(f"/duty/roster/shifts/{handed}/acknowledge", data={"csrf_token": csrf})
    assert r.status_code == 404 and FOREIGN_LEADER not in r.text
    lazi = web.live.client("lazi_duty")
    assert lazi.get(f"/api/v1/duty/shifts/{shift}/handover").status_code == 404  # not handed over
    assert lazi.get(f"/api/v1/duty/shifts/{handed}/handover").json()["acknowledged_at"] is None


def test_a_shift_is_planned_only_at_the_own_desk(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    start = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    r = client.post(
        "/duty/roster/shifts",
        data={
            "csrf_token": csrf_of(client),
            "leader": "本县排班",
            "officers": "甲、乙",
            "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=8)).isoformat(),
        },
    )
    assert r.status_code == 303, r.text
    shifts = web.live.client("dingri_duty").get("/api/v1/duty/shifts", params={"limit": 1000}).json()["items"]
    mine = next(s for s in shifts if s["leader"] == "本县排班")
    assert mine["division_code"] == "540223000000" and mine["officers"] == ["甲", "乙"]


def test_the_roster_forms_need_the_csrf_token(web: WebData) -> None:
    client = browser(web.live, "dingri_duty")
    r = client.post(
        "/duty/roster/shifts",
        data={"csrf_token": "x", "leader": "无令牌", "starts_at": "2026-12-07 08:00", "ends_at": "2026-12-07 20:00"},
    )
    assert r.status_code == 403
