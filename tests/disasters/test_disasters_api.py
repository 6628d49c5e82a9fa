"""The reporting cycle through real HTTP on both backends: events, township reports, review up the chain,
roll-ups with the relief response level, who has not reported, jurisdiction (404 outside), problem details."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.conftest import LiveServer

T1, T2, LAZI_T = "540223001000", "540223002000", "540225001000"


def event(client: httpx.Client, division: str = "540223000000", **extra: Any) -> dict[str, Any]:
    body = {"name": "定日洪涝", "kind": "flood", "division_code": division, "started_at": "2026-07-01T02:00:00Z"}
    response = client.post("/api/v1/disasters/events", json=body | extra)
    assert response.status_code == 201, response.text
    return dict(response.json())


def submit(client: httpx.Client, event_id: int, township: str, **figures: int) -> httpx.Response:
    body = {"township_code": township, "report_type": "initial", "figures": figures}
    return client.post(f"/api/v1/disasters/events/{event_id}/reports", json=body)


def review(client: httpx.Client, report_id: int, action: str = "accept", reason: str = "") -> httpx.Response:
    return client.post(f"/api/v1/disasters/reports/{report_id}/review", json={"action": action, "reason": reason})


def test_reports_go_up_the_chain_and_roll_up_with_the_response_level(live: LiveServer) -> None:
    county, prefecture = live.client("dingri_duty"), live.client("xigaze_commander")
    ev = event(county, glide="FL-2026-000123-CHN")
    assert ev["glide"] == "FL-2026-000123-CHN"
    first = submit(county, ev["id"], T1, affected=1000, deaths=150, missing=60, relocated=300)
    second = submit(county, ev["id"], T2, affected=10, deaths=0)
    assert first.status_code == 201 and second.status_code == 201
    assert first.json()["status"] == "submitted" and first.json()["findings"] == []
    # nothing accepted yet: no totals
    assert county.get(f"/api/v1/disasters/events/{ev['id']}/totals").json()["totals"] == {}
    queue = county.get(f"/api/v1/disasters/events/{ev['id']}/reports", params={"status": "submitted"}).json()
    assert {r["township_code"] for r in queue} == {T1, T2}
    # the prefecture may not act before the county
    assert review(prefecture, first.json()["id"]).status_code == 403
    accepted = review(county, first.json()["id"])
    assert accepted.status_code == 200 and accepted.json()["status"] == "county_accepted"
    assert review(county, first.json()["id"]).status_code == 403  # now waits for the prefecture
    assert review(prefecture, first.json()["id"]).json()["status"] == "prefecture_accepted"
    totals = prefecture.get(f"/api/v1/disasters/events/{ev['id']}/totals").json()
    for code in (T1, "540223000000", "540200000000"):
        assert totals["totals"][code]["deaths"] == 150 and totals["totals"][code]["affected"] == 1000
    assert T2 not in totals["totals"]  # submitted, not accepted
    assert "540000000000" not in totals["totals"] and totals["relief_response"] == {}  # the province is not covered
    admin = live.client("admin").get(f"/api/v1/disasters/events/{ev['id']}/totals").json()
    assert admin["relief_response"]["540000000000"]["response_level"] == 1  # 150 dead + 60 missing ≥ 200


def test_a_correction_replaces_the_township_figures_once_accepted_and_keeps_history(live: LiveServer) -> None:
    county = live.client("dingri_duty")
    ev = event(county)
    first = submit(county, ev["id"], T1, affected=100, deaths=2).json()
    review(county, first["id"])
    second = submit(county, ev["id"], T1, affected=120, deaths=2).json()
    assert second["corrects_id"] == first["id"]
    url = f"/api/v1/disasters/events/{ev['id']}/totals"
    assert county.get(url).json()["totals"]["540223000000"]["affected"] == 100  # correction not yet accepted
    review(county, second["id"])
    assert county.get(url).json()["totals"]["540223000000"]["affected"] == 120
    history = county.get(f"/api/v1/disasters/events/{ev['id']}/reports").json()
    assert [r["figures"]["affected"] for r in history] == [100, 120]


def test_returning_needs_a_reason_and_a_returned_report_does_not_count(live: LiveServer) -> None:
    county = live.client("dingri_duty")
    ev = event(county)
    report = submit(county, ev["id"], T1, affected=5).json()
    refused = review(county, report["id"], "return")
    assert refused.status_code == 422 and refused.headers["content-type"].startswith("application/problem+json")
    returned = review(county, report["id"], "return", "乡镇数据缺少失踪人口").json()
    assert returned["status"] == "returned" and returned["return_reason"] == "乡镇数据缺少失踪人口"
    assert returned["reviews"][0]["level"] == "county"
    assert county.get(f"/api/v1/disasters/events/{ev['id']}/totals").json()["totals"] == {}
    missing = county.get(f"/api/v1/disasters/events/{ev['id']}/missing").json()["townships"]
    assert T1 in missing  # a returned report leaves the township unreported


def test_a_jump_needs_an_explanation_and_cross_field_failures_are_findings(live: LiveServer) -> None:
    county = live.client("dingri_duty")
    ev = event(county)
    first = submit(county, ev["id"], T1, affected=100, deaths=3, missing=2).json()
    assert first["findings"] == []
    jump = submit(county, ev["id"], T1, affected=151)
    assert jump.status_code == 422 and "jump_needs_explanation" in jump.json()["detail"]
    body = {
        "township_code": T1,
        "report_type": "follow_up",
        "figures": {"affected": 4, "deaths": 3, "missing": 2},
        "explanation": "复核后受灾人口大幅下调",
    }
    explained = county.post(f"/api/v1/disasters/events/{ev['id']}/reports", json=body)
    assert explained.status_code == 201
    (finding,) = explained.json()["findings"]
    assert finding["rule"] == "deaths_missing_le_affected"
    assert finding["figures"] == {"deaths": 3, "missing": 2, "affected": 4}


@pytest.mark.parametrize(
    "figures,field",
    [
        ({"affected": -1}, "affected"),
        ({"affected": 1.5}, "affected"),
        ({"no_such": 1}, "no_such"),
        ({"loss_housing_cny": 5}, "loss_housing_cny"),
    ],  # the sector split is carried by the verified report only
)
def test_bad_figures_are_refused_with_a_problem(live: LiveServer, figures: dict[str, Any], field: str) -> None:
    county = live.client("dingri_duty")
    ev = event(county)
    response = county.post(
        f"/api/v1/disasters/events/{ev['id']}/reports",
        json={"township_code": T1, "report_type": "initial", "figures": figures},
    )
    assert response.status_code == 422 and field in response.text


def test_who_has_not_reported_lists_the_remaining_townships(live: LiveServer) -> None:
    county = live.client("dingri_duty")
    ev = event(county)
    before = county.get(f"/api/v1/disasters/events/{ev['id']}/missing").json()["townships"]
    assert T1 in before and T2 in before and all(t.startswith("540223") for t in before)
    submit(county, ev["id"], T1, affected=0)  # a zero report counts as reported
    after = county.get(f"/api/v1/disasters/events/{ev['id']}/missing").json()["townships"]
    assert after == [t for t in before if t != T1]


def test_other_jurisdictions_get_404(live: LiveServer) -> None:
    dingri, lazi = live.client("dingri_duty"), live.client("lazi_duty")
    ev = event(dingri)
    report = submit(dingri, ev["id"], T1, affected=1).json()
    assert lazi.get(f"/api/v1/disasters/events/{ev['id']}").status_code == 404
    assert lazi.get(f"/api/v1/disasters/reports/{report['id']}").status_code == 404
    assert review(lazi, report["id"]).status_code == 404
    assert submit(lazi, ev["id"], LAZI_T, affected=1).status_code == 404
    assert submit(dingri, ev["id"], LAZI_T, affected=1).status_code == 404  # a township outside the caller
    assert ev["id"] not in [e["id"] for e in lazi.get("/api/v1/disasters/events").json()]
    assert (
        dingri.post(
            "/api/v1/disasters/events",
            json={
                "name": "x",
                "kind": "flood",
                "division_code": "540225000000",
                "started_at": "2026-07-01T02:00:00Z",
            },
        ).status_code
        == 404
    )
    assert live.client().get(f"/api/v1/disasters/events/{ev['id']}").status_code == 401


def test_an_analyst_may_read_but_not_report(live: LiveServer) -> None:
    ev = event(live.client("dingri_duty"))
    analyst = live.client("dingri_analyst")
    assert analyst.get(f"/api/v1/disasters/events/{ev['id']}/totals").status_code == 200
    assert submit(analyst, ev["id"], T1, affected=1).status_code == 403


def test_a_prefecture_event_is_visible_to_its_counties(live: LiveServer) -> None:
    ev = event(live.client("xigaze_commander"), division="540200000000", kind="earthquake")
    assert live.client("dingri_duty").get(f"/api/v1/disasters/events/{ev['id']}").status_code == 200
    county = live.client("dingri_duty")
    assert submit(county, ev["id"], T1, affected=3).status_code == 201
    missing = county.get(f"/api/v1/disasters/events/{ev['id']}/missing").json()["townships"]
    assert missing and all(t.startswith("540223") for t in missing)


def test_exports_give_hxl_csv_and_sendai_indicators_of_the_covered_totals(live: LiveServer) -> None:
    county = live.client("dingri_duty")
    ev = event(county)
    report = submit(county, ev["id"], T1, affected=40, deaths=2, missing=1).json()
    review(county, report["id"])
    hxl = county.get(f"/api/v1/disasters/events/{ev['id']}/export", params={"format": "hxl"})
    assert hxl.status_code == 200 and hxl.headers["content-type"].startswith("text/csv")
    lines = hxl.text.splitlines()
    assert lines[1].startswith("#adm+code") and any(line.startswith("540223000000,") for line in lines)
    assert not any(line.startswith("540200000000") for line in lines)  # the prefecture is not the county's
    sendai = county.get(f"/api/v1/disasters/events/{ev['id']}/export", params={"format": "sendai"}).json()
    assert sendai["540223000000"]["A"]["A-2"] == 2 and sendai["540223000000"]["A"]["A-3"] == 1


def test_xlsx_import_is_all_or_nothing_and_export_gives_the_regime_layout(live: LiveServer) -> None:
    import io

    from openpyxl import Workbook, load_workbook

    def book(rows: list[list[Any]]) -> bytes:
        wb = Workbook()
        sheet = wb.active
        assert sheet is not None
        sheet.title = "乡镇"
        sheet.append(["t"])
        sheet.append(["代码", "名称", "受灾人口（人）", "直接经济损失（万元）"])
        sheet.append(["division", "name", "affected", "direct_loss_cny"])
        for row in rows:
            sheet.append(row)
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()

    county = live.client("dingri_duty")
    ev = event(county)
    url = f"/api/v1/disasters/events/{ev['id']}/import"
    bad = county.post(url, params={"report_type": "initial"}, content=book([[T1, "", 5, 1], [T2, "", -5, 1]]))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    assert "sheet 乡镇, row 5, column C (affected): must not be negative" in bad.json()["detail"]
    assert county.get(f"/api/v1/disasters/events/{ev['id']}/reports").json() == []
    garbage = county.post(url, content=b"PK\x03\x04 not really")
    assert garbage.status_code == 422 and "xlsx" in garbage.json()["detail"]
    good = county.post(url, params={"report_type": "initial"}, content=book([[T1, "", 5, 1.5], [T2, "", 6, 0]]))
    assert good.status_code == 201, good.text
    assert [(r["township_code"], r["figures"]["direct_loss_cny"]) for r in good.json()] == [(T1, 15000), (T2, 0)]
    for r in good.json():
        assert review(county, r["id"]).status_code == 200
    exported = county.get(f"/api/v1/disasters/events/{ev['id']}/export", params={"format": "xlsx"})
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("application/vnd.openxml")
    wb = load_workbook(io.BytesIO(exported.content))
    codes = [c.value for c in wb["乡镇"][3]]
    rows = {r[0].value: r for r in wb["汇总"].iter_rows(min_row=4)}
    assert set(rows) == {"540223000000"}  # a county user sees no prefecture or province totals
    assert rows["540223000000"][codes.index("affected")].value == 11
    assert rows["540223000000"][codes.index("direct_loss_cny")].value == 1.5


def test_accepted_totals_update_the_linked_incident_with_their_source(live: LiveServer) -> None:
    county = live.client("dingri_duty")
    from tests.positions import position_in

    lon, lat = position_in(["540223000000"])
    body = {"title": "定日县洪涝", "incident_type": "flood", "divisions": ["540223000000"], "lon": lon, "lat": lat,
            "occurred_at": "2026-07-01T02:00:00Z"}  # fmt: skip
    made = county.post("/api/v1/incidents", json=body)
    assert made.status_code == 201, made.text
    incident = made.json()
    lazi = live.client("lazi_duty")
    refused = lazi.post("/api/v1/disasters/events", json={
        "name": "x", "kind": "flood", "division_code": "540225000000", "started_at": "2026-07-01T02:00:00Z",
        "incident_id": incident["id"]})  # fmt: skip
    assert refused.status_code == 404  # an incident the creator may not change cannot be linked
    ev = event(county, incident_id=incident["id"])
    first = submit(county, ev["id"], T1, affected=900, deaths=120, missing=90, relocated=300).json()
    assert county.get(f"/api/v1/incidents/{incident['id']}").json()["figures"].get("deaths") is None
    review(county, first["id"])
    updated = county.get(f"/api/v1/incidents/{incident['id']}").json()
    assert updated["figures"]["deaths"] == 120 and updated["figures"]["missing"] == 90
    history = county.get(f"/api/v1/incidents/{incident['id']}/figures").json()
    assert any(f"event {ev['id']}" in h["source"] for h in history)


def test_a_workbook_over_the_default_body_limit_imports_streamed_to_disk(live: LiveServer) -> None:
    """A province's workbook is larger than the 1 MiB every other JSON body gets: the route takes the upload
    limit (edge.BODY_LIMITS) and the body waits on disk, not in memory."""
    import io
    import os

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("乡镇")
    sheet.append(["t"])
    sheet.append(["代码", "名称", "受灾人口（人）"])
    sheet.append(["division", "name", "affected"])
    sheet.append([T1, "", 7])
    notes = wb.create_sheet("附件")  # a bulky attachment sheet the import ignores
    for _ in range(4000):
        notes.append([os.urandom(16).hex() for _ in range(20)])
    out = io.BytesIO()
    wb.save(out)
    body = out.getvalue()
    assert len(body) > live.settings.max_body_bytes
    county = live.client("dingri_duty")
    ev = event(county)
    r = county.post(f"/api/v1/disasters/events/{ev['id']}/import", params={"report_type": "initial"}, content=body)
    assert r.status_code == 201, r.text[:300]
    assert [(x["township_code"], x["figures"]["affected"]) for x in r.json()] == [(T1, 7)]


def test_totals_of_chosen_divisions_only_those_covered(live: LiveServer) -> None:
    county = live.client("dingri_duty")
    ev = event(county)
    report = submit(county, ev["id"], T1, affected=7, deaths=1).json()
    assert review(county, report["id"]).status_code == 200
    url = f"/api/v1/disasters/events/{ev['id']}/totals"
    full = county.get(url).json()["totals"]
    chosen = county.get(url, params={"codes": f"{T1},540223000000,540200000000,540225000000,{T2}"}).json()
    # the prefecture is not covered by the county (nor 拉孜), and T2 has no accepted report
    assert chosen["totals"] == {T1: full[T1], "540223000000": full["540223000000"]}
    assert county.get(url, params={"codes": "5402"}).status_code == 422
