"""The offline checklist in real headless Chromium: a result recorded while the browser is offline is kept in
IndexedDB (also over a reload served by the service worker), sent when the network is back; an item another
device changed first is shown as a conflict, and the inspector's choice is what the server keeps."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402
from tests.api.cases_hazards import new_credit_code  # noqa: E402
from tests.enforcement.test_checklist_api import Device  # noqa: E402
from tests.web.test_browser import chromium, page, sign_in  # noqa: E402, F401

COUNTY = "540223000000"


def _inspection(web: WebData) -> dict[str, Any]:
    admin = web.live.client("admin")
    enterprise = admin.post("/api/v1/enterprises", json={
        "name": "离线浏览器测试厂", "credit_code": new_credit_code(), "division_code": COUNTY,
        "supervision_category": "工贸"}).json()  # fmt: skip
    ids = [admin.post("/api/v1/enforcement/inspectors", json={
        "name": f"浏览器{n}", "certificate_no": f"BR{uuid.uuid4().hex[:10]}", "division_code": COUNTY}).json()["id"]
        for n in range(2)]  # fmt: skip
    r = admin.post("/api/v1/enforcement/inspections", json={
        "enterprise_id": enterprise["id"], "inspected_on": "2026-03-02", "inspector_ids": ids})  # fmt: skip
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


def _queued(tab: Page, n: int) -> None:
    tab.wait_for_function(f"() => document.getElementById('checklist-form').dataset.queued === '{n}'")


def test_results_recorded_offline_are_synced_later_and_conflicts_are_chosen(page: Page, web: WebData) -> None:  # noqa: F811
    inspection = _inspection(web)
    url = f"{web.live.url}/enforcement/inspections/{inspection['id']}/checklist"
    api = f"/api/v1/enforcement/inspections/{inspection['id']}/checklist"
    sign_in(page, web, "xigaze_commander")
    page.goto(url)
    expect(page.locator("#checklist-form")).to_be_visible()
    _queued(page, 0)
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)")
    page.reload()  # now under the service worker, which keeps a copy of the page
    _queued(page, 0)

    page.context.set_offline(True)
    page.select_option('select.checklist-result[data-key="GM2023-3-1"]', "violation")
    _queued(page, 1)
    page.fill('input.checklist-note[data-key="GM2023-3-2"]', "由本机检查")
    page.select_option('select.checklist-result[data-key="GM2023-3-2"]', "ok")
    _queued(page, 2)
    page.fill("#checklist-finding-text", "休息室设在吊运跨")
    page.check("#checklist-finding-violation")
    page.click("#checklist-finding-add")
    _queued(page, 3)
    page.reload()  # offline: the page from the service worker's copy, the queue from IndexedDB
    _queued(page, 3)

    phone = Device(inspection["id"], "phone")  # another inspector's device syncs the same item first
    phone.add("check", "GM2023-3-2", {"result": "violation", "note": "手机先同步"})
    admin = web.live.client("admin")
    assert admin.post(f"{api}/sync", json=phone.batch()).status_code == 200

    page.context.set_offline(False)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    conflict = page.locator("#checklist-conflicts li")
    expect(conflict).to_have_count(1)
    expect(conflict).to_contain_text("手机先同步")
    expect(conflict).to_contain_text("由本机检查")
    conflict.locator("button.checklist-keep").click()
    _queued(page, 0)

    state = admin.get(api).json()
    items = {i["id"]: i for i in state["items"]}
    assert items["GM2023-3-1"]["result"] == "violation"
    assert items["GM2023-3-2"]["result"] == "ok" and items["GM2023-3-2"]["note"] == "由本机检查"  # the choice
    assert len(state["devices"]) == 2
    assert [f["body"]["text"] for f in state["findings"]] == ["休息室设在吊运跨"] and state["findings"][0]["finding_id"]
    assert admin.get(f"{api}/verify").json()["verified"] is True
