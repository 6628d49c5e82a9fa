"""The public tip pages through real HTTP, without an account and without JavaScript: the form, a tip with
photos sent as the browser sends it, the tracking code shown once, the status and the messages by the code
(in the body, never in a URL), CSRF, escaping, the per-address limit and the body limit."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image

from tests.conftest import LiveServer, _fresh_database, test_settings
from tests.tips.test_tips_api import counts, files, jpeg_with_secrets

OWN = "540223000000"
PER_ADDRESS = 3
_addresses = (f"10.8.{n // 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("tip-pages")
    for url in _fresh_database("sqlite", request, tmp):
        settings = test_settings(url, tips_dir=tmp / "photos", tips_per_address=PER_ADDRESS,
                                 trusted_proxies=["127.0.0.1"], tip_status_reads_per_minute=6)  # fmt: skip
        with LiveServer(settings) as live:
            yield live


def visitor(server: LiveServer) -> httpx.Client:
    """A browser without an account: keeps cookies, comes from its own address."""
    client = httpx.Client(base_url=server.url, timeout=30)
    client.headers["X-Forwarded-For"] = next(_addresses)
    return client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def fields(**over: str) -> dict[str, str]:
    return {"category": "work_safety", "division": OWN, "text": "仓库堆放危化品 <script>alert(1)</script>", **over}


def submit(client: httpx.Client, files: list[tuple[str, tuple[str, bytes, str]]] | None = None,
           **over: str) -> httpx.Response:  # fmt: skip
    page = client.get("/tip")
    assert page.status_code == 200
    body = {**fields(**over), "csrf_token": csrf_of(page.text)}
    # a browser sends an empty file part when no photo is chosen
    return client.post("/tip", data=body, files=files or [("photos", ("", b"", "application/octet-stream"))])


def code_of(html: str) -> str:
    found = re.search(r'<output id="tracking-code">([^<]+)</output>', html)
    assert found, html[:1000]
    return found.group(1)


def test_the_form_needs_no_account_has_a_strict_policy_and_lists_places(server: LiveServer) -> None:
    r = visitor(server).get("/tip")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    policy = r.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "form-action 'self'" in policy
    assert "<script" not in r.text  # works without JavaScript: there is none
    assert f'value="{OWN}"' in r.text and 'enctype="multipart/form-data"' in r.text
    assert 'name="viewport"' in r.text
    assert r.headers["cache-control"] == "no-store"


def test_a_tip_with_a_photo_gives_a_code_once_and_its_status_by_the_code(server: LiveServer) -> None:
    before_tips, before_photos = counts(server)
    client = visitor(server)
    r = submit(client, files=[("photos", ("a.jpg", jpeg_with_secrets(), "image/jpeg"))])
    assert r.status_code == 201, r.text
    code = code_of(r.text)
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", code)
    assert counts(server) == (before_tips + 1, before_photos + 1)
    assert all(b"SECRET" not in p.read_bytes() for p in files(server))

    other = visitor(server)  # the code alone, from another browser
    page = other.get("/tip/status")
    status = other.post("/tip/status", data={"code": code.lower(), "csrf_token": csrf_of(page.text)})
    assert status.status_code == 200, status.text
    assert 'id="tip-state"' in status.text and ("已收到" in status.text or "Received" in status.text)
    assert "<script>alert(1)</script>" not in status.text  # the text is not shown back at all

    sent = other.post(
        "/tip/message", data={"code": code, "text": "补充：<b>夜间</b>作业", "csrf_token": csrf_of(status.text)}
    )
    assert sent.status_code == 200, sent.text
    assert "&lt;b&gt;夜间&lt;/b&gt;作业" in sent.text and "<b>夜间</b>" not in sent.text
    admin = server.client("admin")
    newest = max(admin.get("/api/v1/tips", params={"limit": 1000}).json()["items"], key=lambda t: t["id"])
    assert newest["anonymous"] is True and len(newest["photos"]) == 1
    texts = [m["text"] for m in admin.get(f"/api/v1/tips/inbox/{newest['id']}/messages").json()]
    assert texts == ["补充：<b>夜间</b>作业"]


def test_a_named_tip_keeps_the_identity_and_the_status_page_shows_none_of_it(server: LiveServer) -> None:
    client = visitor(server)
    r = submit(client, named="1", name="王五<i>", phone="13700000000")
    assert r.status_code == 201, r.text
    code = code_of(r.text)
    assert "王五" not in r.text and "13700000000" not in r.text
    admin = server.client("admin")
    newest = max(admin.get("/api/v1/tips", params={"limit": 1000}).json()["items"], key=lambda t: t["id"])
    who = admin.post(f"/api/v1/tips/inbox/{newest['id']}/reporter").json()
    assert who == {"anonymous": False, "name": "王五<i>", "phone": "13700000000"}
    other = visitor(server)
    page = other.post("/tip/status", data={"code": code, "csrf_token": csrf_of(other.get("/tip/status").text)})
    assert "王五" not in page.text and "13700000000" not in page.text


@pytest.mark.parametrize(
    ("over", "photos"),
    [
        ({"division": ""}, 0),  # no place at all
        ({"named": "1"}, 0),  # named without name and phone
        ({"category": "gossip"}, 0),
        ({}, 6),  # a sixth photo
        ({}, -1),  # a file that is not an image
    ],
)
def test_a_bad_form_is_shown_again_with_the_reason_and_nothing_is_stored(
    server: LiveServer, over: dict[str, str], photos: int
) -> None:
    before, before_files = counts(server), files(server)
    image = io.BytesIO()
    Image.new("RGB", (8, 8), (9, 9, 9)).save(image, format="PNG")
    uploads = [("photos", (f"p{n}.png", image.getvalue(), "image/png")) for n in range(photos)]
    if photos < 0:
        uploads = [("photos", ("x.png", b"%PDF-1.4 not an image", "image/png"))]
    r = submit(visitor(server), files=uploads or None, **over)
    assert r.status_code == 422, r.text
    assert 'id="tip-error"' in r.text and 'id="tip-form"' in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text  # the text kept for correction, escaped
    assert counts(server) == before and files(server) == before_files


def test_without_the_csrf_token_nothing_is_stored(server: LiveServer) -> None:
    before = counts(server)
    client = visitor(server)
    client.get("/tip")
    r = client.post("/tip", data=fields(), files=[("photos", ("", b"", "application/octet-stream"))])
    assert r.status_code == 403
    assert counts(server) == before


def test_an_unknown_code_is_not_found(server: LiveServer) -> None:
    client = visitor(server)
    token = csrf_of(client.get("/tip/status").text)
    r = client.post("/tip/status", data={"code": "AAAA-AAAA-AAAA-AAAA-AAAA", "csrf_token": token})
    assert r.status_code == 404 and 'id="status-form"' in r.text


def test_past_the_per_address_limit_the_page_answers_429_before_reading(server: LiveServer) -> None:
    client = visitor(server)
    answers = [submit(client).status_code for _ in range(PER_ADDRESS + 1)]
    assert answers == [201] * PER_ADDRESS + [429]
    # the API and the page share one window per address
    assert client.post("/api/v1/tips", json={**fields(), "anonymous": True}).status_code == 429


def test_status_reads_through_the_page_are_limited_per_address(server: LiveServer) -> None:
    client = visitor(server)
    token = csrf_of(client.get("/tip/status").text)
    answers = [client.post("/tip/status", data={"code": f"AAAA-AAAA-AAAA-AAAA-AAA{n}", "csrf_token": token})
               .status_code for n in range(8)]  # fmt: skip
    assert answers[:6] == [404] * 6 and answers[6:] == [429, 429]


def test_a_body_over_the_limit_is_refused(server: LiveServer) -> None:
    before = counts(server)
    client = visitor(server)
    token = csrf_of(client.get("/tip").text)
    big = [("photos", (f"p{n}.jpg", b"\xff\xd8" + bytes(6 * 1024 * 1024), "image/jpeg")) for n in range(5)]
    try:
        r = client.post("/tip", data={**fields(), "csrf_token": token}, files=big)
    except httpx.TransportError:  # the server may close before the client has sent everything
        pass
    else:
        assert r.status_code == 413
    assert counts(server) == before


def test_the_staff_inbox_lists_own_tips_with_duplicate_groups_and_hides_foreign_ones(server: LiveServer) -> None:
    from tests.web.test_pages import browser

    for text in ("化工厂夜间偷排废气 <b>x</b>", "化工厂夜间偷排废气 <b>x</b> 又来了"):
        r = visitor(server).post("/api/v1/tips", json={**fields(text=text), "anonymous": True})
        assert r.status_code == 201, r.text
    foreign = visitor(server).post("/api/v1/tips", json={**fields(text="拉孜县某厂违规", division="540225000000"),
                                                         "anonymous": True})  # fmt: skip
    assert foreign.status_code == 201
    staff = browser(server, "dingri_duty")
    page = staff.get("/tips")
    assert page.status_code == 200
    assert "化工厂夜间偷排废气 &lt;b&gt;x&lt;/b&gt;" in page.text and "<b>x</b>" not in page.text
    assert "拉孜县某厂违规" not in page.text
    assert 'class="dup-group"' in page.text  # the two similar tips are grouped
    own = max(t["id"] for t in server.client("admin").get("/api/v1/tips", params={"limit": 1000}).json()["items"]
              if t["division_code"] == OWN)  # fmt: skip
    detail = staff.get(f"/tips/{own}")
    assert detail.status_code == 200 and 'id="tip-text"' in detail.text
    foreign_id = max(
        t["id"] for t in server.client("admin").get("/api/v1/tips", params={"limit": 1000}).json()["items"]
    )
    assert staff.get(f"/tips/{foreign_id}").status_code == 404  # another county's tip is not found
    from tests.web.test_pages import csrf_of

    token = csrf_of(staff)
    assert staff.post(f"/tips/{foreign_id}/act", data={"action": "accept", "csrf_token": token}).status_code == 404
    assert staff.post(f"/tips/{foreign_id}/message", data={"text": "x", "csrf_token": token}).status_code == 404
    assert browser(server).get("/tips").status_code == 303  # a visitor goes to the login page


def test_a_handler_accepts_closes_and_writes_to_the_reporter_from_the_tip_page(server: LiveServer) -> None:
    from tests.web.test_pages import browser, csrf_of

    r = visitor(server).post("/api/v1/tips", json={**fields(text="仓库违规存放烟花爆竹"), "anonymous": True})
    code = r.json()["tracking_code"]
    tip_id = max(t["id"] for t in server.client("admin").get("/api/v1/tips", params={"limit": 1000}).json()["items"])
    staff = browser(server, "dingri_duty")
    token = csrf_of(staff)
    page = staff.get(f"/tips/{tip_id}").text
    assert 'id="act-form"' in page and 'id="staff-message-form"' in page
    assert staff.post(f"/tips/{tip_id}/act", data={"action": "accept"}).status_code == 403  # no CSRF
    assert staff.post(f"/tips/{tip_id}/act", data={"action": "accept", "csrf_token": token}).status_code == 303
    refused = staff.post(f"/tips/{tip_id}/act", data={"action": "close", "csrf_token": token})
    assert refused.status_code == 422 and 'role="alert"' in refused.text  # closing needs an outcome and a reply
    closed = staff.post(f"/tips/{tip_id}/act", data={"action": "close", "outcome": "substantiated",
                                                      "reply": "已责令整改", "csrf_token": token})  # fmt: skip
    assert closed.status_code == 303
    sent = staff.post(f"/tips/{tip_id}/message", data={"text": "请补充具体位置", "csrf_token": token})
    assert sent.status_code == 303
    status = visitor(server).get(f"/api/v1/tips/{code}").json()
    assert status["status"] == "closed" and status["reply"] == "已责令整改"
    assert [m["text"] for m in status["messages"]] == ["请补充具体位置"]
    page = staff.get(f"/tips/{tip_id}").text
    assert 'id="act-form"' not in page  # a closed tip has no further action
