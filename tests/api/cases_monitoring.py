"""Jurisdiction cases of the monitoring routes (see test_jurisdiction.py): a user of 定日 (540223) can
neither read nor change 拉孜's (540225) sites, sensors, readings, dead letters or alarms — not through
lists, details, identifiers in paths or bodies, ingestion with a sensor id of 拉孜, nor the fatigue report."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from typing import Any

import httpx
from tests.api.cases_foundation import FOREIGN, OWN, Ctx
from tests.positions import position_in

_numbers = itertools.count(1)
RULES = "rules:\n  - {id: p-high, sensors: '*', kind: limit, high: 10.0, deadband: 1.0, priority: low}\n"
SITES = "/api/v1/monitoring/sites"


def _created(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()
    return data


def _site_body(division: str, code: str, sensor: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": "测试点",
        "kind": "landslide",
        "division_code": division,
        "lon": position_in(division)[0],
        "lat": position_in(division)[1],
        "sensors": [{"code": sensor, "quantity": "displacement", "unit": "mm"}],
        "rules_yaml": RULES,
    }


def _site(client: httpx.Client, division: str, code: str | None = None) -> dict[str, Any]:
    """A site with one sensor; the sensor's code lies in the county's namespace (its 6-digit code first)."""
    code = code or f"JUR-{division[:6]}-{next(_numbers)}"
    return _created(client.post(SITES, json=_site_body(division, code, f"{division[:6]}-{code}-S1")))


def _answer(response: httpx.Response, *codes: str) -> tuple[int, str]:
    """Status and body with the codes the request named blanked out (so two requests compare)."""
    text = response.text
    for code in codes:
        text = text.replace(code, "<code>")
    return response.status_code, text


def _machine(c: Ctx, client: httpx.Client) -> httpx.Client:
    token = _created(client.post("/api/v1/tokens", json={"name": f"gauge-{next(_numbers)}"}))["token"]
    return httpx.Client(base_url=c.live.url, timeout=30, headers={"Authorization": f"Bearer {token}"})


def _post(machine: httpx.Client, sensor: str, *values: float) -> dict[str, Any]:
    body = [{"sensor_id": sensor, "ts": f"2026-07-01T08:{i:02d}:00+08:00", "value": v} for i, v in enumerate(values)]
    r = machine.post("/api/v1/readings", content=json.dumps(body), headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def foreign_alarm(c: Ctx) -> tuple[dict[str, Any], dict[str, Any]]:
    """A 拉孜 site with one unacknowledged alarm (raised through 拉孜's own machine token)."""
    site = _site(c.foreign_admin, FOREIGN)
    assert _post(_machine(c, c.foreign_admin), site["sensors"][0]["code"], 1.0, 12.0)["alarms_raised"] == 1
    alarms = c.foreign_admin.get("/api/v1/alarms", params={"site_id": site["id"]}).json()["items"]
    return site, alarms[0]


def site_create(c: Ctx) -> None:
    r = c.own_admin.post(SITES, json={"code": f"JUR-X-{next(_numbers)}", "kind": "mine", "division_code": FOREIGN})
    assert r.status_code == 404
    assert _site(c.own_admin, OWN)["division_code"] == OWN
    _codes_reveal_nothing(c)


def _codes_reveal_nothing(c: Ctx) -> None:
    """No answer to 定日 depends on which site or sensor codes 拉孜 uses (docs/security.md, "Uniqueness that
    reveals nothing"): a site code 拉孜 uses is free in 定日; a sensor code 拉孜 holds is refused exactly as a
    free code of 拉孜's namespace is, and a national-namespace code exactly as a free one."""
    foreign = _site(c.foreign_admin, FOREIGN)
    taken_sensor = foreign["sensors"][0]["code"]
    assert taken_sensor.startswith("540225-")
    # the same site code in another county is free
    same_code = _site(c.own_admin, OWN, code=foreign["code"])
    assert same_code["code"] == foreign["code"] and same_code["id"] != foreign["id"]
    # and in one's own division, taken: 409 (one's own data)
    again = c.own_admin.post(SITES, json=_site_body(OWN, foreign["code"], f"540223-FREE-{next(_numbers)}"))
    assert again.status_code == 409 and again.json()["field"] == "code"
    # a sensor code 拉孜 holds, and a free one of 拉孜's namespace: the same refusal
    free_sensor = f"540225-FREE-{next(_numbers)}"
    site_code = f"JUR-Y-{next(_numbers)}"
    taken = c.own_admin.post(SITES, json=_site_body(OWN, site_code, taken_sensor))
    free = c.own_admin.post(SITES, json=_site_body(OWN, site_code, free_sensor))
    assert taken.status_code == 422 and taken.json()["field"] == "sensors"
    assert _answer(taken, taken_sensor) == _answer(free, free_sensor)
    # codes outside any county's namespace are the national users': taken (the demo's) or free, one answer
    national_taken, national_free = "DEMO-HC1-LEL-01", f"FREE-{next(_numbers)}"
    taken = c.own_admin.post(SITES, json=_site_body(OWN, site_code, national_taken))
    free = c.own_admin.post(SITES, json=_site_body(OWN, site_code, national_free))
    assert taken.status_code == 422
    assert _answer(taken, national_taken) == _answer(free, national_free)
    # the registry import answers alike
    imported = [
        c.own_admin.post(f"{SITES}/import", json={"registry_yaml": _registry(site_code, sensor)})
        for sensor in (taken_sensor, free_sensor)
    ]
    assert imported[0].status_code == 422 and imported[0].json()["field"] == "sensors", imported[0].text
    assert _answer(imported[0], taken_sensor) == _answer(imported[1], free_sensor)
    # a sensor code of one's own namespace that one's own county holds: 409 (one's own data)
    mine = _site(c.own_admin, OWN)["sensors"][0]["code"]
    r = c.own_admin.post(SITES, json=_site_body(OWN, f"JUR-Z-{next(_numbers)}", mine))
    assert r.status_code == 409 and r.json()["field"] == "sensors"
    # an import of a site code 拉孜 uses, with a free sensor code of one's own namespace, is accepted
    other = _site(c.foreign_admin, FOREIGN)["code"]
    r = c.own_admin.post(f"{SITES}/import", json={"registry_yaml": _registry(other, f"540223-IMP-{next(_numbers)}")})
    assert r.status_code == 201, r.text


def _registry(site_code: str, sensor: str) -> str:
    lon, lat = position_in(OWN)
    return (
        f"sites:\n  - {{id: {site_code}, kind: rain_gauge, division: '540223', lon: {lon}, lat: {lat},"
        f" sensors: [{{id: {sensor}, quantity: q, unit: u}}]}}\n"
    )


def sites_list(c: Ctx) -> None:
    foreign = _site(c.foreign_admin, FOREIGN)
    items = c.own.get(SITES, params={"limit": 1000}).json()["items"]
    assert foreign["id"] not in {i["id"] for i in items}
    assert all(
        i["division_code"].startswith("540223")
        or i["division_code"] in {"540200000000", "540000000000", "000000000000"}
        for i in items
    )


def site_get(c: Ctx) -> None:
    foreign = _site(c.foreign_admin, FOREIGN)
    assert c.own.get(f"{SITES}/{foreign['id']}").status_code == 404
    assert c.foreign_admin.get(f"{SITES}/{foreign['id']}").status_code == 200


def site_rules(c: Ctx) -> None:
    foreign = _site(c.foreign_admin, FOREIGN)
    r = c.own_admin.put(f"{SITES}/{foreign['id']}/rules", json={"rules_yaml": "rules: []"})
    assert r.status_code == 404
    assert c.foreign_admin.get(f"{SITES}/{foreign['id']}").json()["rule_ids"] == ["p-high"]


def sites_import(c: Ctx) -> None:
    n = next(_numbers)
    registry = f"sites:\n  - {{id: JUR-IMP-{n}, kind: rain_gauge, division: '540225', sensors: []}}\n"
    assert c.own_admin.post(f"{SITES}/import", json={"registry_yaml": registry}).status_code == 404
    assert all(i["code"] != f"JUR-IMP-{n}" for i in c.foreign_admin.get(SITES, params={"limit": 1000}).json()["items"])


def sensor_readings(c: Ctx) -> None:
    site, _ = foreign_alarm(c)
    code = site["sensors"][0]["code"]
    assert c.own.get(f"/api/v1/monitoring/sensors/{code}/readings").status_code == 404
    assert len(c.foreign_admin.get(f"/api/v1/monitoring/sensors/{code}/readings").json()) == 2


def readings_ingest(c: Ctx) -> None:
    site = _site(c.foreign_admin, FOREIGN)
    code = site["sensors"][0]["code"]
    result = _post(_machine(c, c.own_admin), code, 50.0)
    assert result["dead_letter_reasons"] == {"unknown_sensor": 1} and result["alarms_raised"] == 0
    assert c.foreign_admin.get("/api/v1/alarms", params={"site_id": site["id"]}).json()["total"] == 0
    # a person's token is refused: readings come from machines
    assert c.own_admin.post("/api/v1/readings", json=[]).status_code == 403
    _alarm_stream(c)


def _alarm_stream(c: Ctx) -> None:
    """The live stream carries our alarm events and never 拉孜's: alarms raised in both counties."""
    import threading

    received: list[dict[str, Any]] = []
    ready = threading.Event()

    def listen() -> None:
        with c.own.stream("GET", "/api/v1/events", timeout=30) as response:
            for line in response.iter_lines():
                if line == ": subscribed":  # the server has subscribed: no event is missed from now
                    ready.set()
                if line.startswith("data: "):
                    received.append(json.loads(line[6:]))
                    if any(r.get("entity") == "alarm" and r.get("action") == "raise" for r in received):
                        return

    thread = threading.Thread(target=listen, daemon=True)
    thread.start()
    assert ready.wait(20)
    foreign_alarm(c)
    own = _site(c.own_admin, OWN)
    _post(_machine(c, c.own_admin), own["sensors"][0]["code"], 50.0)
    thread.join(timeout=30)
    assert not thread.is_alive(), "our own alarm event never arrived"
    assert all(FOREIGN not in str(r.get("divisions")) for r in received)


def dead_letters(c: Ctx) -> None:
    _post(_machine(c, c.foreign_admin), "JUR-NO-SUCH-SENSOR", 1.0)
    items = c.own.get("/api/v1/monitoring/dead-letters", params={"limit": 1000}).json()["items"]
    assert all(i["division_code"].startswith("540223") for i in items)
    assert any(
        "JUR-NO-SUCH" in i["raw"]
        for i in c.foreign_admin.get("/api/v1/monitoring/dead-letters", params={"limit": 1000}).json()["items"]
    )


def alarms_list(c: Ctx) -> None:
    _, alarm = foreign_alarm(c)
    items = c.own.get("/api/v1/alarms", params={"limit": 1000}).json()["items"]
    assert alarm["id"] not in {i["id"] for i in items}
    assert all(i["division_code"].startswith("540223") for i in items)


def alarms_fatigue(c: Ctx) -> None:
    foreign_alarm(c)
    report = c.own.get("/api/v1/alarms/fatigue").json()
    assert "p-high" not in report["per_rule"] or all(f["area"].startswith("540223") for f in report["floods"])
    assert report["alarms"] == c.own.get("/api/v1/alarms").json()["total"]


def alarm_get(c: Ctx) -> None:
    _, alarm = foreign_alarm(c)
    assert c.own.get(f"/api/v1/alarms/{alarm['id']}").status_code == 404
    assert c.foreign_admin.get(f"/api/v1/alarms/{alarm['id']}").status_code == 200


def _action(path: str, body: dict[str, Any] | None, expected_state: str = "unacknowledged") -> Callable[[Ctx], None]:
    def check(c: Ctx) -> None:
        _, alarm = foreign_alarm(c)
        r = c.own.post(f"/api/v1/alarms/{alarm['id']}/{path}", json=body or {})
        assert r.status_code == 404, r.text
        after = c.foreign_admin.get(f"/api/v1/alarms/{alarm['id']}").json()
        assert after["state"] == expected_state and not after["shelved"] and after["incident_id"] is None
        assert [e["kind"] for e in after["events"]] == ["raised"]

    return check


def alarm_promote(c: Ctx) -> None:
    _action("promote", {})(c)
    own_site = _site(c.own_admin, OWN)
    _post(_machine(c, c.own_admin), own_site["sensors"][0]["code"], 20.0)
    own_alarm = c.own.get("/api/v1/alarms", params={"site_id": own_site["id"]}).json()["items"][0]
    foreign_incident = c.foreign_admin.post(
        "/api/v1/incidents",
        json={
            "title": "拉孜滑坡",
            "incident_type": "geological_hazard",
            "divisions": [FOREIGN],
            "lon": 87.6,
            "lat": 29.1,
            "occurred_at": "2026-07-01T00:00:00+00:00",
        },
    ).json()
    r = c.own.post(f"/api/v1/alarms/{own_alarm['id']}/promote", json={"incident_id": foreign_incident["id"]})
    assert r.status_code == 404
    timeline = c.foreign_admin.get(f"/api/v1/incidents/{foreign_incident['id']}/timeline").json()["items"]
    assert all(e["kind"] != "alarm" for e in timeline)


CASES: dict[tuple[str, str], Callable[[Ctx], None]] = {
    ("POST", SITES): site_create,
    ("GET", SITES): sites_list,
    ("GET", SITES + "/{site_id}"): site_get,
    ("PUT", SITES + "/{site_id}/rules"): site_rules,
    ("POST", SITES + "/import"): sites_import,
    ("GET", "/api/v1/monitoring/sensors/{sensor_code}/readings"): sensor_readings,
    ("POST", "/api/v1/readings"): readings_ingest,
    ("GET", "/api/v1/monitoring/dead-letters"): dead_letters,
    ("GET", "/api/v1/alarms"): alarms_list,
    ("GET", "/api/v1/alarms/fatigue"): alarms_fatigue,
    ("GET", "/api/v1/alarms/{alarm_id}"): alarm_get,
    ("POST", "/api/v1/alarms/{alarm_id}/acknowledge"): _action("acknowledge", {"note": "x"}),
    ("POST", "/api/v1/alarms/{alarm_id}/shelve"): _action("shelve", {"minutes": 10, "reason": "x"}),
    ("POST", "/api/v1/alarms/{alarm_id}/unshelve"): _action("unshelve", None),
    ("POST", "/api/v1/alarms/{alarm_id}/suppress"): _action("suppress", {"on": True}),
    ("POST", "/api/v1/alarms/{alarm_id}/out-of-service"): _action("out-of-service", {"on": True, "reason": "x"}),
    ("POST", "/api/v1/alarms/{alarm_id}/notes"): _action("notes", {"text": "x"}),
    ("POST", "/api/v1/alarms/{alarm_id}/promote"): alarm_promote,
}
