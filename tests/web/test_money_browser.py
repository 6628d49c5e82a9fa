"""Amounts a model gives in US dollars are shown in yuan beside them on the Chinese pages (quake economic
loss), in real headless Chromium."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tests.web.conftest import WebData

pytestmark = pytest.mark.browser
if not Path("/usr/bin/chromium").exists():
    pytest.skip("Chromium is not installed", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402
from tests.web.test_browser import chromium, page, sign_in  # noqa: E402, F401
from tests.web.test_quake_browser import DINGRI  # noqa: E402

from yingji.web import wording  # noqa: E402


def test_the_quake_loss_is_shown_in_yuan_beside_dollars(page: Page, web: WebData) -> None:  # noqa: F811
    api = web.live.client("dingri_duty")
    made = api.post("/api/v1/quake/assessments", json=DINGRI)
    assert made.status_code == 201, made.text
    usd = float(made.json()["results"]["economic_loss_usd"]["expected"])
    sign_in(page, web)
    page.goto(f"{web.live.url}/quake/{made.json()['id']}")
    loss = page.locator("#quake-loss")
    expect(loss).to_contain_text("百万美元")
    cny = page.locator("#quake-loss-cny").inner_text()
    assert re.fullmatch(r"（约 [\d,.]+ (万元|亿元)）", cny), cny
    value = float(re.search(r"[\d,.]+", cny).group(0).replace(",", ""))  # type: ignore[union-attr]
    expected = usd * wording.usd_cny() / (1e8 if "亿元" in cny else 1e4)
    assert abs(value - expected) <= max(0.051, expected * 0.001), (value, expected)
    expect(page.locator("#quake-loss + p")).to_contain_text("1 美元折合")
