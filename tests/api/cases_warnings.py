"""Jurisdiction cases of the public-warning routes (see test_jurisdiction.py): 定日 (540223) can neither
read nor change 拉孜's (540225) warnings, officials, receipts or calls; the public feed carries nothing
but the warnings' own CAP."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import httpx
from tests.api.cases_foundation import FOREIGN, OWN, Ctx

from yingji.warnings import cap

W = "/api/v1/warnings"
_numbers = itertools.count(1)


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _body(division: str, **changes: object) -> dict[str, Any]:
    body: dict[str, Any] = {
        "colour": "yellow",
        "type": "rainstorm",
        "headline": f"暴雨黄色预警 {next(_numbers)}",
        "area": {"divisions": [division]},
        "instruction": "注意防范",
    }
    body.update(changes)
    return body


def foreign_warning(c: Ctx) -> dict[str, Any]:
    """A 拉孜 warning with one responsible official called."""
    _created(c.foreign_admin.post(f"{W}/officials", json={"name": "拉孜县局长", "division_code": FOREIGN}))
    return _created(c.foreign_admin.post(W, json=_body(FOREIGN)))


def issue(c: Ctx) -> None:
    assert c.own_admin.post(W, json=_body(FOREIGN)).status_code == 404
    assert c.own_admin.post(W, json=_body(OWN, division_code=FOREIGN)).status_code == 404
    assert _created(c.own_admin.post(W, json=_body(OWN)))["divisions"] == [OWN]


def warnings_list(c: Ctx) -> None:
    foreign = foreign_warning(c)
    items = c.own.get(W, params={"limit": 1000}).json()["items"]
    assert foreign["id"] not in {i["id"] for i in items}
    assert all(code.startswith("540223") for i in items for code in i["divisions"])


def _hidden(path: str) -> Callable[[Ctx], None]:
    def check(c: Ctx) -> None:
        foreign = foreign_warning(c)
        assert c.own.get(f"{W}/{foreign['id']}{path}").status_code == 404
        assert c.foreign_admin.get(f"{W}/{foreign['id']}{path}").status_code == 200

    return check


def _unchanged(c: Ctx, foreign: dict[str, Any]) -> None:
    after = c.foreign_admin.get(f"{W}/{foreign['id']}").json()
    assert after["version"] == 1 and after["status"] == "active" and after["colour"] == "yellow"


def update(c: Ctx) -> None:
    foreign = foreign_warning(c)
    assert c.own_admin.put(f"{W}/{foreign['id']}", json={"colour": "red"}).status_code == 404
    _unchanged(c, foreign)


def cancel(c: Ctx) -> None:
    foreign = foreign_warning(c)
    assert c.own_admin.post(f"{W}/{foreign['id']}/cancel", json={}).status_code == 404
    _unchanged(c, foreign)


def deliver(c: Ctx) -> None:
    foreign = foreign_warning(c)
    r = c.own_admin.post(
        f"{W}/{foreign['id']}/deliver", json={"recipients": [{"channel": "smtp", "to": "x@example.org"}]}
    )
    assert r.status_code == 404
    assert c.foreign_admin.get(f"{W}/{foreign['id']}/deliveries").json() == []


def feed(c: Ctx) -> None:
    foreign_warning(c)
    r = httpx.get(c.live.url + f"{W}/feed")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/atom+xml")
    assert "lazi_admin" not in r.text and "拉孜县局长" not in r.text
    assert cap.parse_feed(r.content)


def import_alerts(c: Ctx) -> None:
    sender = cap.sender_code("540100", "001")
    sent = 1_782_000_000_000 + next(_numbers) * 1000
    alert = cap.build(
        cap.WarningMessage(
            sender=sender,
            identifier=cap.make_identifier(sender, sent),
            sent=sent,
            colour="blue",
            type="rainstorm",
            headline="外部预警",
            area=cap.Area("拉孜", divisions=(FOREIGN,)),
        )
    )
    r = c.own_admin.post(f"{W}/import", json={"xml": alert.decode("utf-8")})
    assert r.status_code == 200 and r.json()["imported"] == 1
    mine = [
        i
        for i in c.own_admin.get(W, params={"source": "imported", "limit": 1000}).json()["items"]
        if i["headline"] == "外部预警"
    ]
    assert mine and all(code.startswith("540223") for i in mine for code in i["divisions"])
    foreign_ids = {i["id"] for i in c.foreign_admin.get(W, params={"limit": 1000}).json()["items"]}
    assert not foreign_ids & {i["id"] for i in mine}


def officials_list(c: Ctx) -> None:
    foreign_warning(c)
    items = c.own.get(f"{W}/officials").json()
    assert all(
        o["division_code"] in {OWN, "540200000000", "540000000000", "000000000000"}
        or o["division_code"].startswith("540223")
        for o in items
    )


def officials_create(c: Ctx) -> None:
    assert c.own_admin.post(f"{W}/officials", json={"name": "x", "division_code": FOREIGN}).status_code == 404
    boss = _created(c.foreign_admin.post(f"{W}/officials", json={"name": "拉孜局长", "division_code": FOREIGN}))
    r = c.own_admin.post(f"{W}/officials", json={"name": "y", "division_code": OWN, "superior_id": boss["id"]})
    assert r.status_code == 404


def official_update(c: Ctx) -> None:
    boss = _created(c.foreign_admin.post(f"{W}/officials", json={"name": "拉孜局长乙", "division_code": FOREIGN}))
    r = c.own_admin.put(f"{W}/officials/{boss['id']}", json={"name": "改名", "division_code": OWN})
    assert r.status_code == 404 and "拉孜局长乙" not in r.text
    mine = _created(c.own_admin.post(f"{W}/officials", json={"name": "定日局长乙", "division_code": OWN}))
    moved = c.own_admin.put(f"{W}/officials/{mine['id']}", json={"name": "定日局长乙", "division_code": FOREIGN})
    assert moved.status_code == 404  # not into another county
    under = {"name": "定日局长乙", "division_code": OWN, "superior_id": boss["id"]}
    assert c.own_admin.put(f"{W}/officials/{mine['id']}", json=under).status_code == 404
    names = {o["name"] for o in c.foreign_admin.get(f"{W}/officials").json()}
    assert "拉孜局长乙" in names and "改名" not in names


def official_remove(c: Ctx) -> None:
    boss = _created(c.foreign_admin.post(f"{W}/officials", json={"name": "拉孜局长丙", "division_code": FOREIGN}))
    assert c.own_admin.delete(f"{W}/officials/{boss['id']}").status_code == 404
    assert "拉孜局长丙" in {o["name"] for o in c.foreign_admin.get(f"{W}/officials").json()}


def call_acknowledge(c: Ctx) -> None:
    foreign = foreign_warning(c)
    calls = c.foreign_admin.get(f"{W}/{foreign['id']}/calls").json()
    official = calls["calls"][0]["official_id"]
    assert c.own_admin.post(f"{W}/{foreign['id']}/calls/{official}/acknowledge").status_code == 404
    assert c.foreign_admin.get(f"{W}/{foreign['id']}/calls").json()["acknowledged"] == 0


def calls_send(c: Ctx) -> None:
    foreign = foreign_warning(c)
    assert c.own_admin.post(f"{W}/{foreign['id']}/calls/send").status_code == 404
    assert c.foreign_admin.get(f"{W}/{foreign['id']}/deliveries").json() == []


CASES: dict[tuple[str, str], Callable[[Ctx], None]] = {
    ("POST", W): issue,
    ("GET", W): warnings_list,
    ("GET", W + "/feed"): feed,
    ("POST", W + "/import"): import_alerts,
    ("GET", W + "/officials"): officials_list,
    ("POST", W + "/officials"): officials_create,
    ("PUT", W + "/officials/{official_id}"): official_update,
    ("DELETE", W + "/officials/{official_id}"): official_remove,
    ("GET", W + "/{warning_id}"): _hidden(""),
    ("PUT", W + "/{warning_id}"): update,
    ("POST", W + "/{warning_id}/cancel"): cancel,
    ("GET", W + "/{warning_id}/cap"): _hidden("/cap"),
    ("POST", W + "/{warning_id}/deliver"): deliver,
    ("GET", W + "/{warning_id}/deliveries"): _hidden("/deliveries"),
    ("GET", W + "/{warning_id}/calls"): _hidden("/calls"),
    ("POST", W + "/{warning_id}/calls/send"): calls_send,
    ("POST", W + "/{warning_id}/calls/{official_id}/acknowledge"): call_acknowledge,
}
