"""The disaster statistics pages through real HTTP (both backends): a township report entered on the phone
form, reviewed from the county's queue (a return needs a reason), the board showing totals, charts and who
has reported; another county's user gets 404; the pages carry no inline script or style."""

from __future__ import annotations

import re

import httpx
from tests.conftest import LiveServer
from tests.disasters.test_disasters_api import T1, T2, event


def page_client(live: LiveServer, username: str) -> tuple[httpx.Client, str]:
    client = httpx.Client(base_url=live.url, timeout=30, follow_redirects=False)
    form = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)
    data = {"username": username, "password": "Yingji-demo-2026!", "csrf_token": token.group(1) if token else ""}
    assert client.post("/login", data=data).status_code == 303
    page = client.get("/disasters").text
    csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    assert csrf
    return client, csrf.group(1)


def test_entry_review_and_board_in_the_browser_pages(live: LiveServer) -> None:
    api = live.client("dingri_duty")
    ev = event(api, name="定日洪涝<script>x</script>")
    web, csrf = page_client(live, "dingri_duty")
    listed = web.get("/disasters")
    assert listed.status_code == 200 and "定日洪涝&lt;script&gt;" in listed.text
    form = web.get(f"/disasters/{ev['id']}/report")
    assert form.status_code == 200 and 'inputmode="numeric"' in form.text and "受灾人口" in form.text
    assert "<script>" not in form.text.split("</header>")[1].split('<script type="application/json"')[0]
    sent = web.post(
        f"/disasters/{ev['id']}/report",
        data={"csrf_token": csrf, "report_type": "initial", "township_code": T1, "f_affected": "120", "f_deaths": "2"},
    )
    assert sent.status_code == 303, sent.text
    bad = web.post(
        f"/disasters/{ev['id']}/report",
        data={"csrf_token": csrf, "report_type": "initial", "township_code": T2, "f_affected": "-3"},
    )
    assert bad.status_code == 422 and 'data-field="figures.affected"' in bad.text
    empty = web.post(
        f"/disasters/{ev['id']}/report", data={"csrf_token": csrf, "report_type": "initial", "township_code": T2}
    )
    assert empty.status_code == 422 and "零报告" in empty.text
    assert (
        web.post(
            f"/disasters/{ev['id']}/report", data={"report_type": "initial", "township_code": T2, "f_affected": "1"}
        ).status_code
        == 403
    )
    queue = web.get(f"/disasters/{ev['id']}/review")
    report_id = int(re.search(r'id="report-(\d+)"', queue.text).group(1))  # type: ignore[union-attr]
    refused = web.post(f"/disasters/{ev['id']}/review/{report_id}", data={"csrf_token": csrf, "action": "return"})
    assert refused.status_code == 422 and "退回须写明原因" in refused.text
    accepted = web.post(f"/disasters/{ev['id']}/review/{report_id}", data={"csrf_token": csrf, "action": "accept"})
    assert accepted.status_code == 303
    assert "没有等待您审核的报告" in web.get(f"/disasters/{ev['id']}/review").text
    board = web.get(f"/disasters/{ev['id']}").text
    assert 'data-code="540223000000"' in board and "<svg" in board
    assert re.search(rf'<tr data-code="{T1}" class="progress-accepted', board)
    assert re.search(rf'<tr data-code="{T2}" class="progress-none', board)
    assert " style=" not in board and "onclick" not in board
    lazi, lazi_csrf = page_client(live, "lazi_duty")
    assert lazi.get(f"/disasters/{ev['id']}").status_code == 404
    assert lazi.get(f"/disasters/{ev['id']}/report").status_code == 404
    assert lazi.get(f"/disasters/{ev['id']}/review").status_code == 404
    leak = lazi.post(f"/disasters/{ev['id']}/review/{report_id}", data={"csrf_token": lazi_csrf, "action": "accept"})
    assert leak.status_code == 404 and "定日洪涝" not in leak.text
    assert "定日洪涝" not in lazi.get("/disasters").text
    analyst_forbidden = live.client().get(f"/disasters/{ev['id']}", follow_redirects=False)
    assert analyst_forbidden.status_code in (302, 303, 307)  # not signed in: to the login page


def test_the_event_page_shows_and_records_each_countys_day(live: LiveServer) -> None:
    prefecture = live.client("xigaze_commander")
    ev = event(prefecture, division="540200000000", name="日喀则洪涝<b>x</b>")
    web, csrf = page_client(live, "dingri_duty")
    page = web.get(f"/disasters/{ev['id']}").text
    assert 'id="stabilised-form"' in page and '<option value="540223000000">' in page
    assert '<option value="">' not in page  # a county records its own day, not the event's
    assert '<option value="540225000000">' not in page and "拉孜" not in page
    url = f"/disasters/{ev['id']}/stabilised"
    bad = web.post(url, data={"csrf_token": csrf, "county_code": "540223000000", "on": "07/03"})
    assert bad.status_code == 422 and 'data-field="on"' in bad.text and "请填写日期" in bad.text
    early = web.post(url, data={"csrf_token": csrf, "county_code": "540223000000", "on": "2026-06-30"})
    assert early.status_code == 422 and 'data-field="on"' in early.text
    forged = {"csrf_token": "forged", "county_code": "540223000000", "on": "2026-07-03"}
    assert web.post(url, data=forged).status_code == 403
    done = web.post(url, data={"csrf_token": csrf, "county_code": "540223000000", "on": "2026-07-03"})
    assert done.status_code == 303
    row = re.search(r'<tr data-code="540223000000">(.*?)</tr>', web.get(f"/disasters/{ev['id']}").text)
    assert row and "2026-07-03" in row.group(1) and "2026-07-08 00:00" in row.group(1)  # Fri → Tue's end
    leak = web.post(url, data={"csrf_token": csrf, "county_code": "540225000000", "on": "2026-07-03"})
    assert leak.status_code == 404 and 'role="alert"' in leak.text
    assert "拉孜" not in leak.text
    assert prefecture.get(f"/api/v1/disasters/events/{ev['id']}").json()["stabilised_counties"] == [
        {"county_code": "540223000000", "on": "2026-07-03"}
    ]
    xigaze, xigaze_csrf = page_client(live, "xigaze_commander")
    board = xigaze.get(f"/disasters/{ev['id']}").text
    assert '<option value="">' in board and '<option value="540225000000">' in board
    assert "日喀则洪涝&lt;b&gt;x&lt;/b&gt;" in board
    for county, day in (("540225000000", "2026-07-02"), ("", "2026-07-01")):
        sent = xigaze.post(url, data={"csrf_token": xigaze_csrf, "county_code": county, "on": day})
        assert sent.status_code == 303, sent.text
    read = prefecture.get(f"/api/v1/disasters/events/{ev['id']}").json()
    assert read["stabilised_on"] == "2026-07-01"
    assert read["stabilised_counties"] == [
        {"county_code": "540223000000", "on": "2026-07-03"},
        {"county_code": "540225000000", "on": "2026-07-02"},
    ]
    lazi, lazi_csrf = page_client(live, "lazi_duty")
    dingri_event = event(live.client("dingri_duty"))
    refused = lazi.post(f"/disasters/{dingri_event['id']}/stabilised",
                        data={"csrf_token": lazi_csrf, "county_code": "", "on": "2026-07-03"})  # fmt: skip
    assert refused.status_code == 404 and "定日洪涝" not in refused.text


def test_the_queue_accepts_the_selected_reports_and_leaves_another_countys_alone(live: LiveServer) -> None:
    api, lazi_api = live.client("dingri_duty"), live.client("lazi_duty")
    ev = event(live.client("xigaze_commander"), division="540200000000")
    body = {"report_type": "initial", "figures": {"affected": 4}}
    ids = [
        api.post(f"/api/v1/disasters/events/{ev['id']}/reports", json=body | {"township_code": t}).json()["id"]
        for t in (T1, T2)
    ]
    foreign = lazi_api.post(
        f"/api/v1/disasters/events/{ev['id']}/reports", json=body | {"township_code": "540225001000"}
    ).json()["id"]
    web, csrf = page_client(live, "dingri_duty")
    queue = web.get(f"/disasters/{ev['id']}/review").text
    assert all(f'name="report_id" value="{i}" form="accept-selected"' in queue for i in ids)
    assert 'id="accept-selected"' in queue and "选中的报告审核通过" in queue
    url = f"/disasters/{ev['id']}/accept-selected"
    none = web.post(url, data={"csrf_token": csrf})
    assert none.status_code == 422 and "请勾选要审核通过的报告" in none.text
    assert web.post(url, data={"report_id": ids}).status_code == 422  # no CSRF field (PostDep)
    assert {api.get(f"/api/v1/disasters/reports/{i}").json()["status"] for i in ids} == {"submitted"}
    done = web.post(url, data={"csrf_token": csrf, "report_id": [*ids, foreign]})
    assert done.status_code == 303, done.text
    assert {api.get(f"/api/v1/disasters/reports/{i}").json()["status"] for i in ids} == {"county_accepted"}
    assert lazi_api.get(f"/api/v1/disasters/reports/{foreign}").json()["status"] == "submitted"  # not dingri's
    after = web.get(done.headers["location"]).text  # the outcome: two accepted, the other left as it was
    assert "已审核通过 2 份报告。" in after and "另有 1 份在此期间已被他人审核或已变化，未作改动。" in after
    queue_again = web.get(f"/disasters/{ev['id']}/review").text
    assert "没有等待您审核的报告" in queue_again and 'id="accept-outcome"' not in queue_again
    own = event(api)
    lazi, lazi_csrf = page_client(live, "lazi_duty")
    leak = lazi.post(f"/disasters/{own['id']}/accept-selected", data={"csrf_token": lazi_csrf, "report_id": [1]})
    assert leak.status_code == 404 and "定日洪涝" not in leak.text
