"""Jurisdiction cases of the enforcement routes (see test_jurisdiction.py): 定日's staff neither read nor change
拉孜's inspectors, plans and draws — by lists, ids in paths and ids in bodies; the public list shows only
published draws."""

from __future__ import annotations

import itertools
from typing import Any

import httpx
from tests.api.cases_foundation import FOREIGN, OWN, Ctx
from tests.api.cases_hazards import row as hazard_row

API = "/api/v1/enforcement"
_made: dict[tuple[str, str], dict[str, Any]] = {}
_serial = itertools.count(1)


def _created(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 201, (r.request.method, r.request.url, r.text)
    body: dict[str, Any] = r.json()
    return body


def _inspector(c: Ctx, side: str, n: int = 0) -> dict[str, Any]:
    key = (c.live.url, f"inspector:{side}:{n}")
    if key not in _made:
        client, county = (c.own_admin, OWN) if side == "own" else (c.foreign_admin, FOREIGN)
        _made[key] = _created(
            client.post(
                f"{API}/inspectors",
                json={
                    "name": f"{side}执法员{n}",
                    "certificate_no": f"JC{next(_serial):06d}{n}",
                    "division_code": county,
                },
            )
        )
    return _made[key]


def _plan(c: Ctx, side: str) -> dict[str, Any]:
    key = (c.live.url, f"plan:{side}")
    if key not in _made:
        client, county = (c.own_admin, OWN) if side == "own" else (c.foreign_admin, FOREIGN)
        hazard_row(c, "enterprise", side)
        _inspector(c, side, 0), _inspector(c, side, 1)
        _made[key] = _created(client.post(f"{API}/plans", json={
            "division_code": county, "year": 2031, "title": f"{side} 计划", "category_counts": {"危险化学品": 1},
            "random_share_pct": 100, "include_major_hazards": False}))  # fmt: skip
    return _made[key]


def _draw(c: Ctx, side: str) -> dict[str, Any]:
    key = (c.live.url, f"draw:{side}")
    if key not in _made:
        client = c.own_admin if side == "own" else c.foreign_admin
        _made[key] = _created(client.post(f"{API}/plans/{_plan(c, side)['id']}/draws", json={}))
    return _made[key]


def _ids(r: httpx.Response) -> set[int]:
    assert r.status_code == 200, r.text
    return {int(i["id"]) for i in r.json()["items"]}


def inspectors_list(c: Ctx) -> None:
    own, foreign = _inspector(c, "own"), _inspector(c, "foreign")
    seen = _ids(c.own_admin.get(f"{API}/inspectors", params={"limit": 1000}))
    assert own["id"] in seen and foreign["id"] not in seen
    assert foreign["id"] not in _ids(c.own.get(f"{API}/inspectors", params={"limit": 1000}))


def inspectors_create(c: Ctx) -> None:
    foreign = _inspector(c, "foreign")
    outside = {"name": "x", "certificate_no": f"JX{next(_serial):06d}", "division_code": FOREIGN}
    assert c.own_admin.post(f"{API}/inspectors", json=outside).status_code == 404
    taken = {"name": "x", "certificate_no": foreign["certificate_no"], "division_code": OWN}
    r = c.own_admin.post(f"{API}/inspectors", json=taken)
    assert r.status_code == 409 and "540225" not in r.text and "拉孜" not in r.text
    assert c.own.post(f"{API}/inspectors", json={**outside, "division_code": OWN}).status_code == 403


def inspectors_get(c: Ctx) -> None:
    foreign = _inspector(c, "foreign")
    assert c.own_admin.get(f"{API}/inspectors/{foreign['id']}").status_code == 404


def inspectors_update(c: Ctx) -> None:
    foreign = _inspector(c, "foreign")
    assert c.own_admin.patch(f"{API}/inspectors/{foreign['id']}", json={"active": False}).status_code == 404
    assert c.foreign_admin.get(f"{API}/inspectors/{foreign['id']}").json()["active"] is True


def recusals_create(c: Ctx) -> None:
    own, foreign = _inspector(c, "own"), _inspector(c, "foreign")
    foreign_enterprise = hazard_row(c, "enterprise", "foreign")
    r = c.own_admin.post(f"{API}/inspectors/{foreign['id']}/recusals", json={"enterprise_id": foreign_enterprise["id"]})
    assert r.status_code == 404
    r = c.own_admin.post(f"{API}/inspectors/{own['id']}/recusals", json={"enterprise_id": foreign_enterprise["id"]})
    assert r.status_code == 404  # an enterprise of another county is not named
    tie = _inspector(c, "own", 2)  # a third inspector, so the own plan's pairs can still be staffed
    r = c.own_admin.post(
        f"{API}/inspectors/{tie['id']}/recusals",
        json={"enterprise_id": hazard_row(c, "enterprise", "own")["id"], "reason": "亲属"},
    )
    assert r.status_code in (201, 409), r.text


def plans_list(c: Ctx) -> None:
    own, foreign = _plan(c, "own"), _plan(c, "foreign")
    seen = _ids(c.own.get(f"{API}/plans", params={"limit": 1000}))
    assert own["id"] in seen and foreign["id"] not in seen


def plans_create(c: Ctx) -> None:
    body = {"division_code": FOREIGN, "year": 2032, "title": "x", "category_counts": {}, "random_share_pct": 0}
    assert c.own_admin.post(f"{API}/plans", json=body).status_code == 404
    foreign_enterprise = hazard_row(c, "enterprise", "foreign")
    body = {**body, "division_code": OWN, "year": 2033, "key_enterprise_ids": [foreign_enterprise["id"]]}
    assert c.own_admin.post(f"{API}/plans", json=body).status_code == 404


def plans_get(c: Ctx) -> None:
    assert c.own_admin.get(f"{API}/plans/{_plan(c, 'foreign')['id']}").status_code == 404


def draws_list(c: Ctx) -> None:
    _draw(c, "foreign")
    assert c.own_admin.get(f"{API}/plans/{_plan(c, 'foreign')['id']}/draws").status_code == 404


def draws_create(c: Ctx) -> None:
    plan = _plan(c, "foreign")
    assert c.own_admin.post(f"{API}/plans/{plan['id']}/draws", json={"reason": "x"}).status_code == 404
    own = _draw(c, "own")
    foreign_enterprise = hazard_row(c, "enterprise", "foreign")
    assert all(p["enterprise_id"] != foreign_enterprise["id"] for p in own["pairs"])


def draws_get(c: Ctx) -> None:
    assert c.own_admin.get(f"{API}/draws/{_draw(c, 'foreign')['id']}").status_code == 404


def draws_verify(c: Ctx) -> None:
    assert c.own_admin.get(f"{API}/draws/{_draw(c, 'foreign')['id']}/verify").status_code == 404


def draws_publish(c: Ctx) -> None:
    foreign = _draw(c, "foreign")
    assert c.own_admin.post(f"{API}/draws/{foreign['id']}/publish").status_code == 404
    assert c.own.post(f"{API}/draws/{_draw(c, 'own')['id']}/publish").status_code == 403  # read-only role


def public_draw(c: Ctx) -> None:
    foreign = _draw(c, "foreign")
    assert httpx.get(f"{c.live.url}{API}/public/draws/{foreign['id']}").status_code == 404  # not published


def _inspection(c: Ctx, side: str) -> dict[str, Any]:
    key = (c.live.url, f"inspection:{side}")
    if key not in _made:
        client = c.own_admin if side == "own" else c.foreign_admin
        enterprise = hazard_row(c, "enterprise", side)
        ids = [_inspector(c, side, 0)["id"], _inspector(c, side, 1)["id"]]
        _made[key] = _created(client.post(f"{API}/inspections", json={
            "enterprise_id": enterprise["id"], "inspected_on": "2026-03-02", "inspector_ids": ids,
            "rectification_deadline": "2026-03-20"}))  # fmt: skip
    return _made[key]


def _case(c: Ctx, side: str) -> dict[str, Any]:
    key = (c.live.url, f"case:{side}")
    if key not in _made:
        client = c.own_admin if side == "own" else c.foreign_admin
        enterprise = hazard_row(c, "enterprise", side)
        made = _created(
            client.post(
                f"{API}/cases",
                json={"enterprise_id": enterprise["id"], "title": f"{side} 案", "filed_on": "2026-03-02"},
            )
        )
        notice = {"facts": "f", "legal_basis": "b", "proposed_penalty": "p"}
        for kind, extra in (
            ("investigate", {}),
            ("notify", notice),
            ("hearing_waived", {}),
            ("decide", {"decision": "罚款", "fine_yuan": 1000}),
        ):
            r = client.post(f"{API}/cases/{made['id']}/steps", json={"kind": kind, "on": "2026-03-06", **extra})
            assert r.status_code == 200, r.text
        _made[key] = made
    return _made[key]


def inspections_list(c: Ctx) -> None:
    own, foreign = _inspection(c, "own"), _inspection(c, "foreign")
    seen = _ids(c.own.get(f"{API}/inspections", params={"limit": 1000}))
    assert own["id"] in seen and foreign["id"] not in seen


def inspections_create(c: Ctx) -> None:
    foreign_enterprise = hazard_row(c, "enterprise", "foreign")
    own_ids = [_inspector(c, "own", 0)["id"], _inspector(c, "own", 1)["id"]]
    body = {"enterprise_id": foreign_enterprise["id"], "inspected_on": "2026-03-02", "inspector_ids": own_ids}
    assert c.own_admin.post(f"{API}/inspections", json=body).status_code == 404
    own_enterprise = hazard_row(c, "enterprise", "own")
    foreign_ids = [_inspector(c, "foreign", 0)["id"], _inspector(c, "foreign", 1)["id"]]
    body = {"enterprise_id": own_enterprise["id"], "inspected_on": "2026-03-02", "inspector_ids": foreign_ids}
    assert c.own_admin.post(f"{API}/inspections", json=body).status_code == 404
    body = {"enterprise_id": own_enterprise["id"], "inspected_on": "2026-03-02", "draw_id": _draw(c, "foreign")["id"]}
    assert c.own_admin.post(f"{API}/inspections", json=body).status_code == 404


def inspections_get(c: Ctx) -> None:
    assert c.own_admin.get(f"{API}/inspections/{_inspection(c, 'foreign')['id']}").status_code == 404


def findings_create(c: Ctx) -> None:
    foreign = _inspection(c, "foreign")
    r = c.own_admin.post(f"{API}/inspections/{foreign['id']}/findings", json={"text": "x", "hazard_title": "x"})
    assert r.status_code == 404
    own = _inspection(c, "own")
    r = c.own_admin.post(f"{API}/inspections/{own['id']}/findings", json={"text": "本县检查发现", "violation": True})
    assert r.status_code == 201, r.text


def inspection_document(c: Ctx) -> None:
    foreign = _inspection(c, "foreign")
    assert c.own_admin.get(f"{API}/inspections/{foreign['id']}/documents/record").status_code == 404
    assert c.own_admin.get(f"{API}/inspections/{_inspection(c, 'own')['id']}/documents/record").status_code == 200


def cases_list(c: Ctx) -> None:
    own, foreign = _case(c, "own"), _case(c, "foreign")
    seen = _ids(c.own.get(f"{API}/cases", params={"limit": 1000}))
    assert own["id"] in seen and foreign["id"] not in seen


def cases_create(c: Ctx) -> None:
    foreign_enterprise = hazard_row(c, "enterprise", "foreign")
    body = {"enterprise_id": foreign_enterprise["id"], "title": "x", "filed_on": "2026-03-02"}
    assert c.own_admin.post(f"{API}/cases", json=body).status_code == 404
    own_enterprise = hazard_row(c, "enterprise", "own")
    body = {**body, "enterprise_id": own_enterprise["id"], "inspection_id": _inspection(c, "foreign")["id"]}
    assert c.own_admin.post(f"{API}/cases", json=body).status_code == 404


def cases_get(c: Ctx) -> None:
    assert c.own_admin.get(f"{API}/cases/{_case(c, 'foreign')['id']}").status_code == 404


def cases_step(c: Ctx) -> None:
    foreign = _case(c, "foreign")
    r = c.own_admin.post(f"{API}/cases/{foreign['id']}/steps", json={"kind": "serve", "on": "2026-03-09"})
    assert r.status_code == 404
    assert c.foreign_admin.get(f"{API}/cases/{foreign['id']}").json()["state"] == "decided"


def case_document(c: Ctx) -> None:
    foreign = _case(c, "foreign")
    assert c.own_admin.get(f"{API}/cases/{foreign['id']}/documents/decision").status_code == 404
    assert c.own_admin.get(f"{API}/cases/{_case(c, 'own')['id']}/documents/decision").status_code == 200


def _synced(c: Ctx, side: str) -> tuple[dict[str, Any], str]:
    """An inspection with a synced checklist photo entry: (inspection, the photo's client id)."""
    import base64
    import dataclasses
    import hashlib
    import io

    from PIL import Image

    from yingji.enforcement import checklist as cl

    key = (c.live.url, f"checklist:{side}")
    if key not in _made:
        inspection = _inspection(c, side)
        client = c.own_admin if side == "own" else c.foreign_admin
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, format="PNG")
        data = out.getvalue()
        device, cid = f"device-{side}-{next(_serial):04d}", f"photo-{side}-{next(_serial):06d}"
        body = {"sha256": hashlib.sha256(data).hexdigest(), "media_type": "image/png", "size": len(data)}
        draft = cl.Entry(cid, device, "photo", f"photo:{cid}", body, "2026-03-02T10:00:00+08:00", None,
                         cl.genesis(inspection["id"], device), "")  # fmt: skip
        entry = dataclasses.replace(draft, hash=cl.entry_hash(draft))
        sent = {"client_id": cid, "kind": "photo", "key": entry.key, "body": body, "recorded_at": entry.recorded_at,
                "base": None, "prev": entry.prev, "hash": entry.hash,
                "photo_base64": base64.b64encode(data).decode()}  # fmt: skip
        r = client.post(f"{API}/inspections/{inspection['id']}/checklist/sync", json={"device_id": device,
                                                                                     "entries": [sent]})  # fmt: skip
        assert r.status_code == 200, r.text
        _made[key] = {"inspection": inspection, "client_id": cid}
    return _made[key]["inspection"], _made[key]["client_id"]


def checklist_sync(c: Ctx) -> None:
    foreign, _ = _synced(c, "foreign")
    body = {"device_id": "device-intruder-1", "entries": []}
    assert c.own_admin.post(f"{API}/inspections/{foreign['id']}/checklist/sync", json=body).status_code == 404
    own, _ = _synced(c, "own")
    assert c.own.post(f"{API}/inspections/{own['id']}/checklist/sync", json=body).status_code == 403  # read-only


def checklist_get(c: Ctx) -> None:
    foreign, _ = _synced(c, "foreign")
    assert c.own_admin.get(f"{API}/inspections/{foreign['id']}/checklist").status_code == 404
    own, _ = _synced(c, "own")
    assert c.own.get(f"{API}/inspections/{own['id']}/checklist").status_code == 200


def checklist_verify(c: Ctx) -> None:
    foreign, _ = _synced(c, "foreign")
    assert c.own_admin.get(f"{API}/inspections/{foreign['id']}/checklist/verify").status_code == 404


def checklist_photo(c: Ctx) -> None:
    foreign, foreign_photo = _synced(c, "foreign")
    own, own_photo = _synced(c, "own")
    assert c.own_admin.get(f"{API}/inspections/{foreign['id']}/checklist/photos/{foreign_photo}").status_code == 404
    assert c.own_admin.get(f"{API}/inspections/{own['id']}/checklist/photos/{foreign_photo}").status_code == 404
    assert c.own_admin.get(f"{API}/inspections/{own['id']}/checklist/photos/{own_photo}").status_code == 200


def public_statistics(c: Ctx) -> None:
    _case(c, "foreign"), _inspection(c, "foreign")
    r = httpx.get(f"{c.live.url}{API}/public/statistics", params={"division": FOREIGN})
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"division", "year", "suppressed_below", "inspections", "cases", "by_division"}
    assert all(d["code"].startswith(FOREIGN) for d in body["by_division"])
    assert "foreign 案" not in r.text  # figures only, no case text
    assert body["cases"]["total"] is None  # one case: withheld


def _follow_up(c: Ctx, side: str) -> dict[str, Any]:
    """A follow-up (复查) of the side's inspection (it has a rectification order), its one finding rectified."""
    key = (c.live.url, f"follow_up:{side}")
    if key not in _made:
        client = c.own_admin if side == "own" else c.foreign_admin
        inspection = _inspection(c, side)
        finding = _created(
            client.post(f"{API}/inspections/{inspection['id']}/findings", json={"text": f"{side} 整改项"})
        )
        findings = client.get(f"{API}/inspections/{inspection['id']}").json()["findings"]
        ids = [_inspector(c, side, 0)["id"], _inspector(c, side, 1)["id"]]
        items = [{"finding_id": f["id"], "rectified": f["id"] == finding["id"]} for f in findings]
        _made[key] = _created(client.post(f"{API}/inspections/{inspection['id']}/follow-ups", json={
            "inspected_on": "2026-03-21", "inspector_ids": ids, "items": items}))  # fmt: skip
    return _made[key]


def follow_ups_list(c: Ctx) -> None:
    foreign = _follow_up(c, "foreign")
    assert c.own_admin.get(f"{API}/inspections/{foreign['inspection_id']}/follow-ups").status_code == 404
    own = _follow_up(c, "own")
    r = c.own.get(f"{API}/inspections/{own['inspection_id']}/follow-ups")
    assert r.status_code == 200 and [f["id"] for f in r.json()] == [own["id"]]


def follow_ups_create(c: Ctx) -> None:
    foreign = _follow_up(c, "foreign")
    own_ids = [_inspector(c, "own", 0)["id"], _inspector(c, "own", 1)["id"]]
    items = [{"finding_id": i["finding_id"], "rectified": True} for i in foreign["items"]]
    body = {"inspected_on": "2026-03-22", "inspector_ids": own_ids, "items": items, "open_case": False}
    assert c.own_admin.post(f"{API}/inspections/{foreign['inspection_id']}/follow-ups", json=body).status_code == 404
    own = _follow_up(c, "own")
    foreign_ids = [_inspector(c, "foreign", 0)["id"], _inspector(c, "foreign", 1)["id"]]
    now = c.own_admin.get(f"{API}/inspections/{own['inspection_id']}").json()["findings"]
    own_items = [{"finding_id": f["id"], "rectified": True} for f in now]
    body = {**body, "inspector_ids": foreign_ids, "items": own_items}  # another county's inspectors
    assert c.own_admin.post(f"{API}/inspections/{own['inspection_id']}/follow-ups", json=body).status_code == 404
    body = {
        **body,
        "inspector_ids": own_ids,
        "items": [{"finding_id": i["finding_id"], "rectified": True} for i in foreign["items"]],
    }  # another county's findings
    assert c.own_admin.post(f"{API}/inspections/{own['inspection_id']}/follow-ups", json=body).status_code == 422
    assert len(c.foreign_admin.get(f"{API}/inspections/{foreign['inspection_id']}/follow-ups").json()) == 1


def follow_ups_get(c: Ctx) -> None:
    assert c.own_admin.get(f"{API}/follow-ups/{_follow_up(c, 'foreign')['id']}").status_code == 404


def follow_up_document(c: Ctx) -> None:
    assert c.own_admin.get(f"{API}/follow-ups/{_follow_up(c, 'foreign')['id']}/document").status_code == 404
    assert c.own_admin.get(f"{API}/follow-ups/{_follow_up(c, 'own')['id']}/document").status_code == 200


_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def _evidence(c: Ctx, side: str) -> dict[str, Any]:
    """An evidence file of the side's case (decided, not closed)."""
    key = (c.live.url, f"evidence:{side}")
    if key not in _made:
        client = c.own_admin if side == "own" else c.foreign_admin
        case = _case(c, side)
        _made[key] = _created(client.post(f"{API}/cases/{case['id']}/evidence", data={"description": f"{side} 笔录"},
                                          files={"file": ("笔录.pdf", _PDF, "application/pdf")}))  # fmt: skip
    return _made[key]


def evidence_add(c: Ctx) -> None:
    foreign = _evidence(c, "foreign")
    r = c.own_admin.post(f"{API}/cases/{foreign['case_id']}/evidence", files={"file": ("x.pdf", _PDF)})
    assert r.status_code == 404
    assert len(c.foreign_admin.get(f"{API}/cases/{foreign['case_id']}/evidence").json()) == 1
    own = _evidence(c, "own")
    assert c.own.post(f"{API}/cases/{own['case_id']}/evidence", files={"file": ("x.pdf", _PDF)}).status_code == 403


def evidence_list(c: Ctx) -> None:
    foreign = _evidence(c, "foreign")
    assert c.own_admin.get(f"{API}/cases/{foreign['case_id']}/evidence").status_code == 404
    own = _evidence(c, "own")
    assert [e["id"] for e in c.own.get(f"{API}/cases/{own['case_id']}/evidence").json()] == [own["id"]]


def evidence_get(c: Ctx) -> None:
    foreign, own = _evidence(c, "foreign"), _evidence(c, "own")
    assert c.own_admin.get(f"{API}/cases/{foreign['case_id']}/evidence/{foreign['id']}").status_code == 404
    assert c.own_admin.get(f"{API}/cases/{own['case_id']}/evidence/{foreign['id']}").status_code == 404
    r = c.own.get(f"{API}/cases/{own['case_id']}/evidence/{own['id']}")
    assert r.status_code == 200 and r.content == _PDF


CASES = {
    ("POST", f"{API}/cases/{{case_id}}/evidence"): evidence_add,
    ("GET", f"{API}/cases/{{case_id}}/evidence"): evidence_list,
    ("GET", f"{API}/cases/{{case_id}}/evidence/{{evidence_id}}"): evidence_get,
    ("GET", f"{API}/inspections/{{inspection_id}}/follow-ups"): follow_ups_list,
    ("POST", f"{API}/inspections/{{inspection_id}}/follow-ups"): follow_ups_create,
    ("GET", f"{API}/follow-ups/{{follow_up_id}}"): follow_ups_get,
    ("GET", f"{API}/follow-ups/{{follow_up_id}}/document"): follow_up_document,
    ("GET", f"{API}/public/statistics"): public_statistics,
    ("POST", f"{API}/inspections/{{inspection_id}}/checklist/sync"): checklist_sync,
    ("GET", f"{API}/inspections/{{inspection_id}}/checklist"): checklist_get,
    ("GET", f"{API}/inspections/{{inspection_id}}/checklist/verify"): checklist_verify,
    ("GET", f"{API}/inspections/{{inspection_id}}/checklist/photos/{{client_id}}"): checklist_photo,
    ("GET", f"{API}/inspections"): inspections_list,
    ("POST", f"{API}/inspections"): inspections_create,
    ("GET", f"{API}/inspections/{{inspection_id}}"): inspections_get,
    ("POST", f"{API}/inspections/{{inspection_id}}/findings"): findings_create,
    ("GET", f"{API}/inspections/{{inspection_id}}/documents/{{kind}}"): inspection_document,
    ("GET", f"{API}/cases"): cases_list,
    ("POST", f"{API}/cases"): cases_create,
    ("GET", f"{API}/cases/{{case_id}}"): cases_get,
    ("POST", f"{API}/cases/{{case_id}}/steps"): cases_step,
    ("GET", f"{API}/cases/{{case_id}}/documents/{{kind}}"): case_document,
    ("GET", f"{API}/inspectors"): inspectors_list,
    ("POST", f"{API}/inspectors"): inspectors_create,
    ("GET", f"{API}/inspectors/{{inspector_id}}"): inspectors_get,
    ("PATCH", f"{API}/inspectors/{{inspector_id}}"): inspectors_update,
    ("POST", f"{API}/inspectors/{{inspector_id}}/recusals"): recusals_create,
    ("GET", f"{API}/plans"): plans_list,
    ("POST", f"{API}/plans"): plans_create,
    ("GET", f"{API}/plans/{{plan_id}}"): plans_get,
    ("GET", f"{API}/plans/{{plan_id}}/draws"): draws_list,
    ("POST", f"{API}/plans/{{plan_id}}/draws"): draws_create,
    ("GET", f"{API}/draws/{{draw_id}}"): draws_get,
    ("GET", f"{API}/draws/{{draw_id}}/verify"): draws_verify,
    ("POST", f"{API}/draws/{{draw_id}}/publish"): draws_publish,
    ("GET", f"{API}/public/draws/{{draw_id}}"): public_draw,
}
