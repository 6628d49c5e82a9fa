"""Public tips through real HTTP, on both backends: intake (JSON and multipart), photos judged and re-encoded,
status by tracking code, per-address limits before the body is read, the staff inbox and identity audit."""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.conftest import BACKENDS, LiveServer, _fresh_database, test_settings
from yingji.auth.models import AuditEntry
from yingji.db import make_engine, session_factory
from yingji.tips.models import Tip, TipPhoto

OWN, FOREIGN = "540223000000", "540225000000"
PER_ADDRESS = 3
_addresses = (f"10.9.{n // 250}.{n % 250 + 1}" for n in itertools.count())


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Loopback is a trusted proxy here, so each test names its own client address in X-Forwarded-For."""
    tmp = tmp_path_factory.mktemp("tips")
    for url in _fresh_database(request.param, request, tmp):
        settings = test_settings(url, tips_dir=tmp / "photos", tips_per_address=PER_ADDRESS,
                                 trusted_proxies=["127.0.0.1"], tip_status_reads_per_minute=5)  # fmt: skip
        with LiveServer(settings) as live:
            yield live


def public(server: LiveServer) -> httpx.Client:
    client = server.client()
    client.headers["X-Forwarded-For"] = next(_addresses)
    return client


def tip(**over: object) -> dict[str, object]:
    return {"category": "work_safety", "text": "仓库堆放危化品 <script>x</script>", "division": OWN,
            "anonymous": True, **over}  # fmt: skip


def counts(server: LiveServer) -> tuple[int, int]:
    engine = make_engine(server.settings.database_url)
    try:
        with session_factory(engine)() as session:
            return (session.scalar(select(func.count()).select_from(Tip)) or 0,
                    session.scalar(select(func.count()).select_from(TipPhoto)) or 0)  # fmt: skip
    finally:
        engine.dispose()


def files(server: LiveServer) -> list[Path]:
    root = server.settings.tips_dir
    assert root is not None
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def jpeg_with_secrets() -> bytes:
    image = Image.new("RGB", (64, 48), (10, 120, 200))
    exif = image.getexif()
    exif[0x010E] = "SECRET-EXIF-DESCRIPTION"
    exif[0x013B] = "SECRET-ARTIST"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif.tobytes(), comment=b"SECRET-COMMENT")
    return out.getvalue() + b"SECRET-TRAILING-PAYLOAD"


def png_with_text() -> bytes:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "SECRET-PNG-TEXT")
    out = io.BytesIO()
    Image.new("RGBA", (30, 20), (1, 2, 3, 200)).save(out, format="PNG", pnginfo=info)
    return out.getvalue() + b"SECRET-TRAILING-PAYLOAD"


def form(**over: object) -> dict[str, str]:
    return {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in tip(**over).items()}


def test_json_tip_without_a_token_answers_201_with_a_tracking_code(server: LiveServer) -> None:
    r = public(server).post("/api/v1/tips", json=tip())
    assert r.status_code == 201, r.text
    code = r.json()["tracking_code"]
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}", code)  # 20 × 5 = 100 bits


def test_status_by_tracking_code_has_no_field_identifying_the_reporter(server: LiveServer) -> None:
    client = public(server)
    r = client.post("/api/v1/tips", json=tip(anonymous=False, name="张三丰", phone="13800138000", division="540223"))
    assert r.status_code == 201, r.text
    code = r.json()["tracking_code"]
    status = public(server).get(f"/api/v1/tips/{code.lower().replace('-', '')}")
    assert status.status_code == 200, status.text
    body = status.json()
    assert body["status"] == "received" and body["category"] == "work_safety"
    assert body["division_code"] == OWN and body["division_name"]
    assert set(body) == {
        "status",
        "category",
        "division_code",
        "division_name",
        "created_at",
        "updated_at",
        "outcome",
        "reply",
        "messages",
        "reward",
    }
    assert "张三丰" not in status.text and "13800138000" not in status.text
    assert public(server).get("/api/v1/tips/AAAA-AAAA-AAAA-AAAA-AAAA").status_code == 404


def test_anonymous_tip_keeps_no_name_or_phone(server: LiveServer) -> None:
    r = public(server).post("/api/v1/tips", json=tip(anonymous=True, name="李四", phone="13900000000"))
    assert r.status_code == 201
    admin = server.client("admin")
    items = admin.get("/api/v1/tips", params={"limit": 1000}).json()["items"]
    newest = max(items, key=lambda t: t["id"])
    who = admin.post(f"/api/v1/tips/inbox/{newest['id']}/reporter").json()
    assert who == {"anonymous": True, "name": None, "phone": None}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (tip(division="540223001"), "division"),  # 9 digits: neither 6 nor 12
        (tip(division="999999000000"), "division"),  # well formed, does not exist
        (tip(category="gossip"), "category"),
        (tip(anonymous=False), "name"),  # named without name and phone
        ({"category": "work_safety", "text": "x"}, "place"),
    ],
)
def test_bad_tips_answer_422_and_store_nothing(server: LiveServer, body: dict[str, object], field: str) -> None:
    before = counts(server)
    r = public(server).post("/api/v1/tips", json=body)
    assert r.status_code == 422, (field, r.text)
    assert r.headers["content-type"].startswith("application/problem+json")
    assert counts(server) == before


def test_a_point_is_placed_in_its_division(server: LiveServer) -> None:
    body = tip()
    del body["division"]
    admin = server.client("admin")
    town = admin.get("/api/v1/divisions", params={"parent": OWN, "limit": 1}).json()["items"][0]
    lon, lat = town.get("centroid_lon") or town.get("lon"), town.get("centroid_lat") or town.get("lat")
    if lon is None:
        pytest.skip("division listing carries no point")
    r = public(server).post("/api/v1/tips", json={**body, "lon": lon, "lat": lat})
    assert r.status_code == 201, r.text
    status = public(server).get(f"/api/v1/tips/{r.json()['tracking_code']}").json()
    assert status["division_code"].startswith("540223")


def test_multipart_tip_with_photos_is_stored_re_encoded_without_metadata(server: LiveServer) -> None:
    before_tips, before_photos = counts(server)
    uploads = [("photos", ("a.jpg", jpeg_with_secrets(), "image/jpeg")),
               ("photos", ("b.dat", png_with_text(), "application/octet-stream"))]  # fmt: skip
    r = public(server).post("/api/v1/tips", data=form(), files=uploads)
    assert r.status_code == 201, r.text
    assert counts(server) == (before_tips + 1, before_photos + 2)
    stored = files(server)
    assert {p.suffix for p in stored} >= {".jpg", ".png"}
    for path in stored:
        content = path.read_bytes()
        assert b"SECRET" not in content and b"Exif" not in content
        with Image.open(path) as image:
            image.verify()
        import hashlib

        assert path.stem == hashlib.sha256(content).hexdigest()
    detail = server.client("admin").get("/api/v1/tips", params={"limit": 1000}).json()["items"]
    assert any(len(t["photos"]) == 2 for t in detail)


@pytest.mark.parametrize("count", [6, 7])
def test_a_sixth_photo_answers_422_and_nothing_is_stored(server: LiveServer, count: int) -> None:
    before, before_files = counts(server), files(server)
    image = io.BytesIO()
    Image.new("RGB", (8, 8), (count, 0, 0)).save(image, format="PNG")
    uploads = [("photos", (f"p{n}.png", image.getvalue(), "image/png")) for n in range(count)]
    r = public(server).post("/api/v1/tips", data=form(), files=uploads)
    assert r.status_code == 422, r.text
    assert counts(server) == before and files(server) == before_files


@pytest.mark.parametrize(
    "payload",
    [b"%PDF-1.4 not an image", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", b"\xff\xd8\xff\xe0 truncated jpeg"],
    ids=["pdf", "gif", "broken-jpeg"],
)
def test_a_file_that_is_not_a_jpeg_or_png_answers_422_and_nothing_is_stored(server: LiveServer, payload: bytes) -> None:
    before, before_files = counts(server), files(server)
    good = io.BytesIO()
    Image.new("RGB", (8, 8)).save(good, format="JPEG")
    uploads = [("photos", ("ok.jpg", good.getvalue(), "image/jpeg")), ("photos", ("x.jpg", payload, "image/jpeg"))]
    r = public(server).post("/api/v1/tips", data=form(), files=uploads)
    assert r.status_code == 422, r.text
    assert counts(server) == before and files(server) == before_files


def test_a_photo_over_5_mb_answers_422(server: LiveServer) -> None:
    before = counts(server)
    big = b"\x89PNG\r\n\x1a\n" + b"\0" * (5 * 1024 * 1024 + 10)
    r = public(server).post("/api/v1/tips", data=form(), files=[("photos", ("big.png", big, "image/png"))])
    assert r.status_code == 422, r.text
    assert counts(server) == before


def test_past_the_per_address_limit_429_with_retry_after_before_the_body_is_read(server: LiveServer) -> None:
    client = public(server)
    for _ in range(PER_ADDRESS):
        assert client.post("/api/v1/tips", json=tip()).status_code == 201
    before = counts(server), server.app.state.edge_stats.body_bytes
    r = client.post("/api/v1/tips", json=tip())
    assert r.status_code == 429
    assert int(r.headers["retry-after"]) >= 1
    # refused before any byte of the body reached the app, and nothing stored
    assert (counts(server), server.app.state.edge_stats.body_bytes) == before
    assert public(server).post("/api/v1/tips", json=tip()).status_code == 201  # another address is not held


def test_status_reads_are_rate_limited_per_address(server: LiveServer) -> None:
    client = public(server)
    answers = [client.get("/api/v1/tips/AAAA-BBBB-CCCC-DDDD-EEEE").status_code for _ in range(6)]
    assert answers == [404] * 5 + [429]


def test_staff_see_tips_of_their_jurisdiction_only(server: LiveServer) -> None:
    public(server).post("/api/v1/tips", json=tip(text="拉孜的举报", division=FOREIGN))
    dingri = server.client("dingri_duty")
    items = dingri.get("/api/v1/tips", params={"limit": 1000}).json()["items"]
    assert items and all(t["division_code"].startswith("540223") for t in items)
    assert all("reporter" not in t and "name" not in t for t in items)
    lazi = server.client("lazi_duty").get("/api/v1/tips", params={"limit": 1000}).json()["items"]
    foreign_id = next(t["id"] for t in lazi if t["text"] == "拉孜的举报")
    assert dingri.get(f"/api/v1/tips/inbox/{foreign_id}").status_code == 404
    assert dingri.get(f"/api/v1/tips/inbox/{items[0]['id']}").status_code == 200
    assert server.client("dingri_analyst").get("/api/v1/tips").status_code == 403  # analysts lack tips:read


def test_reporter_identity_needs_the_permission_and_every_view_is_audited(server: LiveServer) -> None:
    r = public(server).post("/api/v1/tips", json=tip(anonymous=False, name="王五", phone="13700000000"))
    assert r.status_code == 201
    admin = server.client("admin")
    newest = max(admin.get("/api/v1/tips", params={"limit": 1000}).json()["items"], key=lambda t: t["id"])
    duty = server.client("dingri_duty")
    assert duty.post(f"/api/v1/tips/inbox/{newest['id']}/reporter").status_code == 403
    engine = make_engine(server.settings.database_url)
    try:

        def audited() -> int:
            with session_factory(engine)() as session:
                stmt = (
                    select(func.count())
                    .select_from(AuditEntry)
                    .where(AuditEntry.action == "read_identity", AuditEntry.entity_id == str(newest["id"]))
                )
                return session.scalar(stmt) or 0  # fmt: skip

        assert audited() == 0
        who = admin.post(f"/api/v1/tips/inbox/{newest['id']}/reporter")
        assert who.json() == {"anonymous": False, "name": "王五", "phone": "13700000000"}
        admin.post(f"/api/v1/tips/inbox/{newest['id']}/reporter")
        assert audited() == 2
    finally:
        engine.dispose()
