"""Jurisdiction cases of the disaster statistics routes (see test_jurisdiction.py): a user of 定日 (540223)
can neither see nor act on 拉孜's (540225) events, reports, totals or missing lists, nor report into them."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.api.cases_foundation import FOREIGN, FOREIGN_TOWN, OWN, OWN_TOWN, Ctx

BASE = "/api/v1/disasters"


def _event(client: Any, division: str) -> dict[str, Any]:
    body = {"name": "洪涝", "kind": "flood", "division_code": division, "started_at": "2026-07-01T02:00:00Z"}
    r = client.post(f"{BASE}/events", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def _report(client: Any, event_id: int, township: str) -> dict[str, Any]:
    body = {"township_code": township, "report_type": "initial", "figures": {"affected": 7, "deaths": 1}}
    r = client.post(f"{BASE}/events/{event_id}/reports", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def foreign_report(c: Ctx) -> tuple[dict[str, Any], dict[str, Any]]:
    event = _event(c.foreign_admin, FOREIGN)
    return event, _report(c.foreign_admin, event["id"], FOREIGN_TOWN)


def events_list(c: Ctx) -> None:
    foreign, own = _event(c.foreign_admin, FOREIGN), _event(c.own, OWN)
    ids = {e["id"] for e in c.own.get(f"{BASE}/events").json()}
    assert own["id"] in ids and foreign["id"] not in ids


def events_create(c: Ctx) -> None:
    body = {"name": "x", "kind": "flood", "division_code": FOREIGN, "started_at": "2026-07-01T02:00:00Z"}
    assert c.own.post(f"{BASE}/events", json=body).status_code == 404
    glide = {"name": "x", "kind": "flood", "started_at": "2026-07-01T02:00:00Z", "glide": "FL-2026-000777-CHN"}
    assert c.foreign_admin.post(f"{BASE}/events", json=glide | {"division_code": FOREIGN}).status_code == 201
    # the same GLIDE number in another jurisdiction does not reveal the foreign event
    assert c.own.post(f"{BASE}/events", json=glide | {"division_code": OWN}).status_code == 201


def events_get(c: Ctx) -> None:
    event = _event(c.foreign_admin, FOREIGN)
    assert c.own.get(f"{BASE}/events/{event['id']}").status_code == 404
    assert c.foreign_admin.get(f"{BASE}/events/{event['id']}").status_code == 200


def events_stabilised(c: Ctx) -> None:
    event = _event(c.foreign_admin, FOREIGN)
    assert c.own_admin.post(f"{BASE}/events/{event['id']}/stabilised", json={"on": "2026-07-03"}).status_code == 404
    assert c.foreign_admin.get(f"{BASE}/events/{event['id']}").json()["stabilised_on"] is None
    own = _event(c.own_admin, OWN)
    done = c.own_admin.post(f"{BASE}/events/{own['id']}/stabilised", json={"on": "2026-07-03"})
    assert done.status_code == 200 and done.json()["stabilised_on"] == "2026-07-03"


def events_county_stabilised(c: Ctx) -> None:
    parent = _event(c.live.client("xigaze_commander"), "540200000000")  # an event over both counties
    url = f"{BASE}/events/{parent['id']}/counties/{{}}/stabilised"
    assert c.own_admin.post(url.format(FOREIGN), json={"on": "2026-07-03"}).status_code == 404  # not its county
    assert c.foreign_admin.get(f"{BASE}/events/{parent['id']}").json()["stabilised_counties"] == []
    foreign = _event(c.foreign_admin, FOREIGN)
    other = f"{BASE}/events/{foreign['id']}/counties/{OWN}/stabilised"
    assert c.own_admin.post(other, json={"on": "2026-07-03"}).status_code == 404  # not its event
    done = c.own_admin.post(url.format(OWN), json={"on": "2026-07-03"})
    assert done.status_code == 200 and done.json()["stabilised_on"] == "2026-07-03"
    assert done.json()["stabilised_counties"] == [{"county_code": OWN, "on": "2026-07-03"}]
    assert c.foreign_admin.get(f"{BASE}/events/{parent['id']}").json()["stabilised_on"] is None


def reports_submit(c: Ctx) -> None:
    event, _ = foreign_report(c)
    body = {"township_code": OWN_TOWN, "report_type": "initial", "figures": {"affected": 1}}
    assert c.own.post(f"{BASE}/events/{event['id']}/reports", json=body).status_code == 404
    own = _event(c.own, OWN)
    body["township_code"] = FOREIGN_TOWN
    assert c.own.post(f"{BASE}/events/{own['id']}/reports", json=body).status_code == 404


def reports_list(c: Ctx) -> None:
    event, _ = foreign_report(c)
    assert c.own.get(f"{BASE}/events/{event['id']}/reports").status_code == 404
    assert len(c.foreign_admin.get(f"{BASE}/events/{event['id']}/reports").json()) == 1


def reports_get(c: Ctx) -> None:
    _, report = foreign_report(c)
    assert c.own.get(f"{BASE}/reports/{report['id']}").status_code == 404
    assert c.foreign_admin.get(f"{BASE}/reports/{report['id']}").status_code == 200


def reports_review(c: Ctx) -> None:
    _, report = foreign_report(c)
    assert c.own.post(f"{BASE}/reports/{report['id']}/review", json={"action": "accept"}).status_code == 404
    assert c.foreign_admin.get(f"{BASE}/reports/{report['id']}").json()["status"] == "submitted"


def reports_review_many(c: Ctx) -> None:
    _, report = foreign_report(c)
    url = f"{BASE}/reports/reviews"
    answer = c.own.post(url, json={"report_ids": [report["id"]], "action": "accept"})
    assert answer.status_code == 200
    assert [(r["status"], r["code"], r["report"]) for r in answer.json()["results"]] == [(404, "not_found", None)]
    assert c.foreign_admin.get(f"{BASE}/reports/{report['id']}").json()["status"] == "submitted"


def totals(c: Ctx) -> None:
    event, report = foreign_report(c)
    assert c.own.get(f"{BASE}/events/{event['id']}/totals").status_code == 404
    c.foreign_admin.post(f"{BASE}/reports/{report['id']}/review", json={"action": "accept"})
    parent = _event(c.live.client("xigaze_commander"), "540200000000")  # an event over both counties
    _report(c.foreign_admin, parent["id"], FOREIGN_TOWN)
    seen = c.own.get(f"{BASE}/events/{parent['id']}/totals").json()["totals"]
    assert all(code.startswith("540223") for code in seen)


def missing(c: Ctx) -> None:
    event = _event(c.foreign_admin, FOREIGN)
    assert c.own.get(f"{BASE}/events/{event['id']}/missing").status_code == 404
    parent = _event(c.live.client("xigaze_commander"), "540200000000")
    townships = c.own.get(f"{BASE}/events/{parent['id']}/missing").json()["townships"]
    assert townships and all(t.startswith("540223") for t in townships)


CASES: dict[tuple[str, str], Callable[[Ctx], None]] = {
    ("GET", f"{BASE}/events"): events_list,
    ("POST", f"{BASE}/events"): events_create,
    ("GET", f"{BASE}/events/{{event_id}}"): events_get,
    ("POST", f"{BASE}/events/{{event_id}}/stabilised"): events_stabilised,
    ("POST", f"{BASE}/events/{{event_id}}/counties/{{county_code}}/stabilised"): events_county_stabilised,
    ("POST", f"{BASE}/events/{{event_id}}/reports"): reports_submit,
    ("GET", f"{BASE}/events/{{event_id}}/reports"): reports_list,
    ("GET", f"{BASE}/reports/{{report_id}}"): reports_get,
    ("POST", f"{BASE}/reports/{{report_id}}/review"): reports_review,
    ("POST", f"{BASE}/reports/reviews"): reports_review_many,
    ("GET", f"{BASE}/events/{{event_id}}/totals"): totals,
    ("GET", f"{BASE}/events/{{event_id}}/missing"): missing,
}


def export(c: Ctx) -> None:
    event, report = foreign_report(c)
    c.foreign_admin.post(f"{BASE}/reports/{report['id']}/review", json={"action": "accept"})
    for fmt in ("hxl", "sendai"):
        assert c.own.get(f"{BASE}/events/{event['id']}/export", params={"format": fmt}).status_code == 404
    parent = _event(c.live.client("xigaze_commander"), "540200000000")
    foreign = _report(c.foreign_admin, parent["id"], FOREIGN_TOWN)
    c.foreign_admin.post(f"{BASE}/reports/{foreign['id']}/review", json={"action": "accept"})
    text = c.own.get(f"{BASE}/events/{parent['id']}/export", params={"format": "hxl"}).text
    assert "540225" not in text
    assert c.own.get(f"{BASE}/events/{parent['id']}/export", params={"format": "sendai"}).json() == {}


CASES[("GET", f"{BASE}/events/{{event_id}}/export")] = export


def _workbook(township: str) -> bytes:
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "乡镇"
    sheet.append(["t"])
    sheet.append(["代码", "名称"])
    sheet.append(["division", "name", "affected"])
    sheet.append([township, None, 3])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def import_xlsx(c: Ctx) -> None:
    event = _event(c.foreign_admin, FOREIGN)
    url = f"{BASE}/events/{event['id']}/import"
    assert c.own.post(url, content=_workbook(OWN_TOWN)).status_code == 404
    own = _event(c.own, OWN)
    refused = c.own.post(f"{BASE}/events/{own['id']}/import", content=_workbook(FOREIGN_TOWN))
    assert refused.status_code == 422 and "row 4" in refused.json()["detail"]
    assert c.foreign_admin.get(f"{BASE}/events/{event['id']}/reports").json() == []
    assert c.own.get(f"{BASE}/events/{own['id']}/reports").json() == []


CASES[("POST", f"{BASE}/events/{{event_id}}/import")] = import_xlsx


def _ledger_line(client: Any, event_id: int, township: str) -> dict[str, Any]:
    body = {"township_code": township, "kind": "missing", "name": "李四", "id_number": "11010519491231002X"}
    r = client.post(f"{BASE}/events/{event_id}/ledger", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json())


def ledger_add(c: Ctx) -> None:
    event = _event(c.foreign_admin, FOREIGN)
    body = {"township_code": OWN_TOWN, "kind": "dead", "name": "x"}
    assert c.own.post(f"{BASE}/events/{event['id']}/ledger", json=body).status_code == 404
    own = _event(c.own, OWN)
    body["township_code"] = FOREIGN_TOWN
    assert c.own.post(f"{BASE}/events/{own['id']}/ledger", json=body).status_code == 404


def ledger_list(c: Ctx) -> None:
    event = _event(c.foreign_admin, FOREIGN)
    _ledger_line(c.foreign_admin, event["id"], FOREIGN_TOWN)
    assert c.own.get(f"{BASE}/events/{event['id']}/ledger").status_code == 404
    parent = _event(c.live.client("xigaze_commander"), "540200000000")
    _ledger_line(c.foreign_admin, parent["id"], FOREIGN_TOWN)
    assert c.own.get(f"{BASE}/events/{parent['id']}/ledger").json() == []


def ledger_reveal(c: Ctx) -> None:
    event = _event(c.foreign_admin, FOREIGN)
    line = _ledger_line(c.foreign_admin, event["id"], FOREIGN_TOWN)
    assert c.own.post(f"{BASE}/ledger/{line['id']}/reveal").status_code == 404
    assert c.foreign_admin.post(f"{BASE}/ledger/{line['id']}/reveal").json()["id_number"] == "11010519491231002X"


CASES[("POST", f"{BASE}/events/{{event_id}}/ledger")] = ledger_add
CASES[("GET", f"{BASE}/events/{{event_id}}/ledger")] = ledger_list
CASES[("POST", f"{BASE}/ledger/{{entry_id}}/reveal")] = ledger_reveal


def _officer(client: Any, township: str) -> dict[str, Any]:
    r = client.post(f"{BASE}/officers", json={"township_code": township, "name": "扎西", "phone": "13800000000"})
    assert r.status_code == 201, r.text
    return dict(r.json())


def officers_add(c: Ctx) -> None:
    body = {"township_code": FOREIGN_TOWN, "name": "x", "phone": "13800000000"}
    assert c.own.post(f"{BASE}/officers", json=body).status_code == 404
    assert c.own.post(f"{BASE}/officers", json=body | {"township_code": OWN_TOWN}).status_code == 201


def officers_list(c: Ctx) -> None:
    foreign = _officer(c.foreign_admin, FOREIGN_TOWN)
    ids = {o["id"] for o in c.own.get(f"{BASE}/officers").json()}
    assert foreign["id"] not in ids
    assert c.own.get(f"{BASE}/officers", params={"township": FOREIGN_TOWN}).json() == []


def officers_deactivate(c: Ctx) -> None:
    foreign = _officer(c.foreign_admin, FOREIGN_TOWN)
    assert c.own.post(f"{BASE}/officers/{foreign['id']}/deactivate").status_code == 404
    assert c.foreign_admin.get(f"{BASE}/officers", params={"township": FOREIGN_TOWN}).json()[-1]["active"] is True


def escalations(c: Ctx) -> None:
    event = _event(c.foreign_admin, FOREIGN)
    assert c.own.get(f"{BASE}/events/{event['id']}/escalations").status_code == 404
    assert c.foreign_admin.get(f"{BASE}/events/{event['id']}/escalations").status_code == 200


CASES[("POST", f"{BASE}/officers")] = officers_add
CASES[("GET", f"{BASE}/officers")] = officers_list
CASES[("POST", f"{BASE}/officers/{{officer_id}}/deactivate")] = officers_deactivate
CASES[("GET", f"{BASE}/events/{{event_id}}/escalations")] = escalations


def evidence(c: Ctx) -> None:
    event, report = foreign_report(c)
    c.foreign_admin.post(f"{BASE}/reports/{report['id']}/review", json={"action": "accept"})
    assert c.own.get(f"{BASE}/events/{event['id']}/evidence").status_code == 404
    parent = _event(c.live.client("xigaze_commander"), "540200000000")
    foreign = _report(c.foreign_admin, parent["id"], FOREIGN_TOWN)
    c.foreign_admin.post(f"{BASE}/reports/{foreign['id']}/review", json={"action": "accept"})
    assert c.own.get(f"{BASE}/events/{parent['id']}/evidence").json()["divisions"] == {}


CASES[("GET", f"{BASE}/events/{{event_id}}/evidence")] = evidence
