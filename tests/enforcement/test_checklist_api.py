"""Offline checklists through real HTTP on both backends: a device's queued entries synced all or nothing,
replays idempotent, a second device's edit on an old version refused with both versions, tampering refused,
findings reported as hazards, photos kept as sent, chains and seals verified."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import itertools
import uuid
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import LiveServer
from yingji.enforcement import checklist as cl
from yingji.hazards.credit_code import check_character

TOWN = "540223001000"
_serial = itertools.count(1)


class Device:
    """A tablet's queue: entries chained as the device makes them (the client side of the chain)."""

    def __init__(self, inspection_id: int, name: str) -> None:
        self.id = f"{name}-{uuid.uuid4().hex[:12]}"
        self.head = cl.genesis(inspection_id, self.id)
        self.queue: list[dict[str, Any]] = []

    def add(self, kind: str, key: str, body: dict[str, Any], base: str | None = None, **extra: Any) -> dict[str, Any]:
        cid = extra.pop("client_id", uuid.uuid4().hex)
        key = key or f"{kind}:{cid}"
        draft = cl.Entry(cid, self.id, kind, key, body, "2026-03-02T10:15:00+08:00", base, self.head, "")
        entry = dataclasses.replace(draft, hash=cl.entry_hash(draft))
        self.head = entry.hash
        sent = {"client_id": cid, "kind": kind, "key": key, "body": body, "recorded_at": entry.recorded_at,
                "base": base, "prev": entry.prev, "hash": entry.hash, **extra}  # fmt: skip
        self.queue.append(sent)
        return sent

    def batch(self) -> dict[str, Any]:
        return {"device_id": self.id, "entries": self.queue}


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


@pytest.fixture(scope="module")
def admin(live: LiveServer) -> httpx.Client:
    return live.client("admin")


@pytest.fixture(scope="module")
def inspection(admin: httpx.Client) -> dict[str, Any]:
    first17 = f"91540223CL{next(_serial):07d}"
    r = admin.post("/api/v1/enterprises", json={
        "name": "离线检查建材厂", "credit_code": first17 + check_character(first17), "division_code": TOWN,
        "supervision_category": "工贸", "sub_sector": "冶金"})  # fmt: skip
    assert r.status_code == 201, r.text
    ids = []
    for n in range(2):
        made = admin.post("/api/v1/enforcement/inspectors", json={
            "name": f"离线{n}", "certificate_no": f"CL{uuid.uuid4().hex[:10]}", "division_code": TOWN})  # fmt: skip
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    r = admin.post("/api/v1/enforcement/inspections", json={
        "enterprise_id": r.json()["id"], "inspected_on": "2026-03-02", "inspector_ids": ids})  # fmt: skip
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def url(inspection: dict[str, Any], tail: str = "") -> str:
    return f"/api/v1/enforcement/inspections/{inspection['id']}/checklist{tail}"


def test_offline_entries_sync_once_and_conflicts_go_to_a_person(
    admin: httpx.Client, inspection: dict[str, Any]
) -> None:
    before = admin.get(url(inspection))
    assert before.status_code == 200, before.text
    items = {i["id"]: i for i in before.json()["items"]}
    assert "GM2023-4-1" in items and "GM2023-5-1" not in items  # 工贸 冶金: the 冶金 items, not 有色
    assert all(i["result"] is None for i in items.values())

    tablet = Device(inspection["id"], "tablet")
    check = tablet.add("check", "GM2023-4-1", {"result": "violation", "note": "休息室设在吊运跨内"})
    tablet.add("note", "summary", {"text": "对冶金专项检查"})
    tablet.add("finding", "", {"text": "休息室设在铁水吊运跨地坪区域", "violation": True,
                               "hazard_title": "人员聚集场所设在吊运跨", "item": "GM2023-4-1"})  # fmt: skip
    data = png()
    photo = tablet.add("photo", "", {"sha256": hashlib.sha256(data).hexdigest(), "media_type": "image/png",
                                     "size": len(data), "about": "GM2023-4-1"},
                       photo_base64=base64.b64encode(data).decode())  # fmt: skip
    first = admin.post(url(inspection, "/sync"), json=tablet.batch())
    assert first.status_code == 200, first.text
    result = first.json()
    assert len(result["accepted"]) == 4 and result["duplicates"] == [] and result["head"] == tablet.head
    assert result["sync_id"] and len(result["seal"]) == 64

    again = admin.post(url(inspection, "/sync"), json=tablet.batch())  # the device did not hear the answer
    assert again.status_code == 200, again.text
    assert again.json()["accepted"] == [] and len(again.json()["duplicates"]) == 4
    assert again.json()["sync_id"] == result["sync_id"] and again.json()["seal"] == result["seal"]

    state = admin.get(url(inspection)).json()
    item = next(i for i in state["items"] if i["id"] == "GM2023-4-1")
    assert item["result"] == "violation" and item["head"] == check["hash"]
    assert state["notes"]["summary"]["body"]["text"] == "对冶金专项检查"
    assert state["devices"] == [{"device_id": tablet.id, "entries": 4, "head": tablet.head}]
    finding_id = state["findings"][0]["finding_id"]
    findings = admin.get(f"/api/v1/enforcement/inspections/{inspection['id']}").json()["findings"]
    assert [f["id"] for f in findings] == [finding_id] and findings[0]["hazard_id"]  # reported as a hazard
    got = admin.get(url(inspection, f"/photos/{photo['client_id']}"))
    assert got.status_code == 200 and got.content == data and got.headers["content-type"] == "image/png"

    # A second inspector's phone, offline the whole time, edits the same item from the version it had (none).
    phone = Device(inspection["id"], "phone")
    phone.add("check", "GM2023-4-1", {"result": "ok"}, client_id="phone-edit-0001")
    phone.add("check", "GM2023-4-2", {"result": "ok"})
    clash = admin.post(url(inspection, "/sync"), json=phone.batch())
    assert clash.status_code == 409, clash.text
    problem = clash.json()
    assert problem["status"] == 409 and problem["type"].endswith("conflict")
    (conflict,) = problem["conflicts"]
    assert conflict["client_id"] == "phone-edit-0001" and conflict["base"] is None
    assert conflict["current"]["hash"] == check["hash"] and conflict["current"]["body"]["result"] == "violation"
    assert [d["device_id"] for d in admin.get(url(inspection)).json()["devices"]] == [tablet.id]  # nothing stored

    # A person chose: the phone rebuilds its unsent queue on the current version.
    phone = Device(inspection["id"], "phone")
    phone.add("check", "GM2023-4-1", {"result": "violation", "note": "复核一致"}, base=check["hash"])
    phone.add("check", "GM2023-4-2", {"result": "ok"})
    resolved = admin.post(url(inspection, "/sync"), json=phone.batch())
    assert resolved.status_code == 200, resolved.text
    state = admin.get(url(inspection)).json()
    assert next(i for i in state["items"] if i["id"] == "GM2023-4-1")["note"] == "复核一致"
    assert [s["sequence"] for s in state["syncs"]] == [1, 2] and state["syncs"][1]["prev_seal"] == result["seal"]

    verified = admin.get(url(inspection, "/verify"))
    assert verified.status_code == 200, verified.text
    assert verified.json() == {"verified": True, "entries": 6, "syncs": 2, "problems": []}


def test_tampered_unchained_or_reused_entries_store_nothing(admin: httpx.Client, inspection: dict[str, Any]) -> None:
    tablet = Device(inspection["id"], "tablet")
    tablet.add("check", "GM2023-4-3", {"result": "ok"})
    sent = tablet.add("check", "GM2023-4-4", {"result": "ok"})
    sent["body"] = {"result": "not_applicable"}  # changed after hashing
    r = admin.post(url(inspection, "/sync"), json=tablet.batch())
    assert r.status_code == 422 and r.json()["reason"] == "hash_mismatch" and r.json()["client_id"] == sent["client_id"]

    tablet = Device(inspection["id"], "tablet")
    tablet.add("check", "GM2023-4-3", {"result": "ok"})
    tablet.add("check", "GM2023-4-4", {"result": "ok"})
    r = admin.post(url(inspection, "/sync"), json={"device_id": tablet.id, "entries": tablet.queue[1:]})
    assert r.status_code == 422 and r.json()["reason"] == "chain_broken"

    data = png()
    tablet = Device(inspection["id"], "tablet")
    tablet.add("check", "GM2023-4-3", {"result": "ok"})
    tablet.add("photo", "", {"sha256": "0" * 64, "media_type": "image/png", "size": len(data)},
               photo_base64=base64.b64encode(data).decode())  # fmt: skip
    r = admin.post(url(inspection, "/sync"), json=tablet.batch())
    assert r.status_code == 422 and r.json()["reason"] == "hash_mismatch"
    state = admin.get(url(inspection)).json()
    assert tablet.id not in [d["device_id"] for d in state["devices"]]
    assert next(i for i in state["items"] if i["id"] == "GM2023-4-3")["result"] is None  # all or nothing

    tablet = Device(inspection["id"], "tablet")
    tablet.add("note", "weather", {"text": "晴"}, client_id="reused-id-0001")
    assert admin.post(url(inspection, "/sync"), json=tablet.batch()).status_code == 200
    other = Device(inspection["id"], "phone")
    other.add("note", "weather2", {"text": "雨"}, client_id="reused-id-0001")
    r = admin.post(url(inspection, "/sync"), json=other.batch())
    assert r.status_code == 409 and r.json()["reason"] == "client_id_reused"
    assert admin.get(url(inspection, "/verify")).json()["verified"] is True


def test_a_reader_cannot_sync(live: LiveServer, inspection: dict[str, Any]) -> None:
    duty = live.client("dingri_duty")
    tablet = Device(inspection["id"], "tablet")
    tablet.add("note", "x", {"text": "x"})
    assert duty.post(url(inspection, "/sync"), json=tablet.batch()).status_code == 403
    assert duty.get(url(inspection)).status_code == 200
