"""An approximate area (built from positions where no boundary file was imported) is marked approximate where
the map shows it: drawn dashed, named so in its tooltip and card, and listed in the legend — real Chromium."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update
from tests.web.conftest import WebData
from tests.web.test_browser import chromium, page, sign_in  # noqa: F401

from yingji.db import transaction
from yingji.geo.models import Division

pytestmark = pytest.mark.browser
pytest.importorskip("playwright")

from playwright.sync_api import Page, expect  # noqa: E402


def test_an_approximate_township_is_drawn_dashed_and_named_approximate(page: Page, web: WebData) -> None:  # noqa: F811
    with transaction(web.live.app.state.session_factory) as session:
        township = session.scalars(
            select(Division).where(Division.parent_code == "540223000000", Division.boundary_wkb.is_not(None))
            .order_by(Division.code)
        ).first()  # fmt: skip
        assert township is not None
        session.execute(update(Division).where(Division.code == township.code).values(boundary_approximate=True))
    try:
        api = web.live.client("dingri_duty").get(
            "/api/v1/divisions/boundaries", params={"level": "township", "parent": "540223000000"}
        )
        flags = {f["properties"]["code"]: f["properties"]["approximate"] for f in api.json()["features"]}
        assert flags[township.code] is True and not any(v for k, v in flags.items() if k != township.code)
        sign_in(page, web)
        expect(page.locator(".legend i.dashed")).to_have_count(1)
        # the map draws on a canvas: read what Leaflet holds for each boundary feature
        page.wait_for_function("() => YINGJI.maps.length > 0")
        dashed = """() => {
          var found = [];
          YINGJI.maps[0].eachLayer(function (l) {
            if (l.feature && l.feature.properties && l.feature.properties.level === "township")
              found.push({code: l.feature.properties.code, dash: l.options.dashArray || null,
                          tip: l.getTooltip() ? l.getTooltip()._content().textContent : ""});
          });
          return found;
        }"""
        page.wait_for_function(dashed.replace("return found;", "return found.length > 1;"))
        drawn = {f["code"]: f for f in page.evaluate(dashed)}
        assert drawn[township.code]["dash"] == "4 4" and "近似范围" in drawn[township.code]["tip"]
        assert all(f["dash"] is None and "近似" not in f["tip"] for c, f in drawn.items() if c != township.code)
    finally:
        with transaction(web.live.app.state.session_factory) as session:
            session.execute(update(Division).where(Division.code == township.code).values(boundary_approximate=False))
