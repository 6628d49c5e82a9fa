"""Evidence files of penalty cases (证据): PDF, JPEG and PNG judged by content, kept as uploaded with their SHA-256,
stage, uploader and description; a size limit per file as a setting; audited reads; nothing added after closing
— through real HTTP (and the file store itself, pure)."""

from __future__ import annotations

import hashlib
import io
import itertools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from tests.conftest import BACKENDS, LiveServer, _fresh_database, test_settings
from tests.enforcement.test_cases_api import created
from yingji.enforcement.evidence import files
from yingji.hazards.credit_code import check_character

TOWN = "540223001000"
API = "/api/v1/enforcement"
LIMIT = 64 * 1024
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
_serial = itertools.count(1)


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


def _jpeg_with_exif() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x010F] = "相机厂商"
    Image.new("RGB", (8, 8)).save(out, format="JPEG", exif=exif)
    return out.getvalue()


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    tmp = tmp_path_factory.mktemp("evidence")
    for url in _fresh_database(request.param, request, tmp):
        settings = test_settings(url, evidence_dir=tmp / "files", evidence_max_bytes=LIMIT)
        with LiveServer(settings) as live:
            yield live


@pytest.fixture(scope="module")
def admin(server: LiveServer) -> httpx.Client:
    return server.client("admin")


def _case(admin: httpx.Client) -> dict[str, Any]:
    first17 = f"91540223EK{next(_serial):07d}"
    code = first17 + check_character(first17)
    enterprise = created(admin.post("/api/v1/enterprises", json={
        "name": "证据<b>厂</b>", "credit_code": code, "division_code": TOWN}))  # fmt: skip
    case = created(admin.post(f"{API}/cases", json={"enterprise_id": enterprise["id"], "title": "证据案",
                                                    "filed_on": "2026-03-02"}))  # fmt: skip
    assert admin.post(f"{API}/cases/{case['id']}/steps", json={"kind": "investigate", "on": "2026-03-03"}).is_success
    return case


def _upload(admin: httpx.Client, case_id: int, data: bytes, name: str = "x.bin", **fields: str) -> httpx.Response:
    return admin.post(f"{API}/cases/{case_id}/evidence", files={"file": (name, data, "application/octet-stream")},
                      data=fields)  # fmt: skip


def test_files_are_kept_as_uploaded_with_their_digest_stage_and_uploader(
    admin: httpx.Client, server: LiveServer
) -> None:
    case = _case(admin)
    jpeg = _jpeg_with_exif()
    for data, name, media in ((PDF, "询问笔录.pdf", "application/pdf"), (jpeg, "photo.txt", "image/jpeg"),
                              (_png(), "现场.png", "image/png")):  # fmt: skip
        row = created(_upload(admin, case["id"], data, name, description="现场<script>照片", stage="filed"))
        assert row["media_type"] == media and row["sha256"] == hashlib.sha256(data).hexdigest()
        assert row["stage"] == "filed" and row["uploaded_by"] == "admin" and row["size"] == len(data)
        got = admin.get(f"{API}/cases/{case['id']}/evidence/{row['id']}")
        assert got.status_code == 200 and got.content == data and got.headers["x-content-sha256"] == row["sha256"]
        assert got.headers["content-type"] == media
    listed = admin.get(f"{API}/cases/{case['id']}/evidence").json()
    assert [r["filename"] for r in listed] == ["询问笔录.pdf", "photo.txt", "现场.png"]
    assert created(_upload(admin, case["id"], PDF))["stage"] == "investigating"  # default: the case's state
    audit = admin.get("/api/v1/audit", params={"entity": "case_evidence", "limit": 100})
    assert audit.status_code == 200, audit.text
    actions = [e["action"] for e in audit.json()["items"]]
    assert actions.count("create") >= 4 and actions.count("download") >= 3


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (b"MZ\x90\x00 not evidence", "not a PDF"),
        (b"%PDF-1.7\n cut short", "%%EOF"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not a PDF"),
        (b"", "empty"),
        (b"%PDF-1.4\n" + b"0" * LIMIT + b"\n%%EOF\n", "at most"),
    ],
)
def test_a_file_that_is_not_evidence_or_too_large_is_refused_and_nothing_kept(
    admin: httpx.Client, server: LiveServer, data: bytes, why: str
) -> None:
    case = _case(admin)
    stored = server.app.state.settings.evidence_dir
    before = sorted(p.name for p in Path(stored).rglob("*")) if Path(stored).exists() else []
    r = _upload(admin, case["id"], data)
    assert r.status_code == 422 and why in r.text, r.text
    assert admin.get(f"{API}/cases/{case['id']}/evidence").json() == []
    after = sorted(p.name for p in Path(stored).rglob("*")) if Path(stored).exists() else []
    assert [n for n in after if n.startswith(".incoming-")] == [] and set(after) >= set(before)


def test_a_stage_the_case_has_not_reached_is_refused(admin: httpx.Client) -> None:
    case = _case(admin)
    r = _upload(admin, case["id"], PDF, stage="decided")
    assert r.status_code == 422 and "reached" in r.text


def test_a_closed_case_takes_no_more_evidence(admin: httpx.Client) -> None:
    case = _case(admin)
    created(_upload(admin, case["id"], PDF))
    assert admin.post(f"{API}/cases/{case['id']}/steps", json={"kind": "close", "on": "2026-03-04",
                                                              "note": "不予处罚"}).is_success  # fmt: skip
    r = _upload(admin, case["id"], _png())
    assert r.status_code == 409
    assert len(admin.get(f"{API}/cases/{case['id']}/evidence").json()) == 1


def test_the_store_refuses_a_path_outside_its_directory(tmp_path: Path) -> None:
    stored = files.store(io.BytesIO(PDF), tmp_path, max_bytes=LIMIT)
    assert files.open_stored(tmp_path, stored.path).read_bytes() == PDF
    assert files.store(io.BytesIO(PDF), tmp_path, max_bytes=LIMIT) == stored  # the same content: one file
    with pytest.raises(files.EvidenceError):
        files.open_stored(tmp_path, "../outside.pdf")
