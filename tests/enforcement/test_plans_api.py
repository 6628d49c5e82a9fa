"""Inspectors, plans and stored draws through real HTTP on both backends: recusal ties respected, the seed on
record, every draw kept, re-draws with reasons, verify (API and CLI, and the exported files with the plain
``verify``), publication immutable, the public list."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from tests.conftest import LiveServer
from yingji.cli import app
from yingji.db import make_engine, session_factory
from yingji.enforcement.models import Draw
from yingji.hazards.credit_code import check_character

TOWN = "540223001000"
_serial = itertools.count(1)


def credit_code() -> str:
    first17 = f"91540223EF{next(_serial):07d}"
    return first17 + check_character(first17)


def created(r: httpx.Response) -> dict[str, Any]:
    assert r.status_code == 201, r.text
    body: dict[str, Any] = r.json()
    return body


@pytest.fixture(scope="module")
def admin(live: LiveServer) -> httpx.Client:
    return live.client("admin")


@pytest.fixture(scope="module")
def world(live: LiveServer, admin: httpx.Client) -> dict[str, Any]:
    """A township with six 工贸 enterprises, one 危险化学品 enterprise holding a major installation, and four
    inspectors of whom one is tied to two enterprises."""
    trade = [created(admin.post("/api/v1/enterprises", json={
        "name": f"工贸{n}厂", "credit_code": credit_code(), "division_code": TOWN, "supervision_category": "工贸"}))
        for n in range(6)]  # fmt: skip
    chem = created(
        admin.post(
            "/api/v1/enterprises",
            json={
                "name": "化工厂",
                "credit_code": credit_code(),
                "division_code": TOWN,
                "supervision_category": "危险化学品",
            },
        )
    )
    inst = created(admin.post("/api/v1/installations", json={
        "enterprise_id": chem["id"], "name": "液氨罐区", "exposed_people": 10,
        "lines": [{"substance": "液氨", "quantity_t": "50"}]}))  # fmt: skip
    assert inst["major"] is True
    base = next(_serial)
    inspectors = [created(admin.post("/api/v1/enforcement/inspectors", json={
        "name": f"执法员{n}", "certificate_no": f"54{base:04d}{n:04d}", "unit": "执法大队", "division_code": TOWN}))
        for n in range(4)]  # fmt: skip
    for enterprise in (trade[0], chem):
        created(admin.post(f"/api/v1/enforcement/inspectors/{inspectors[0]['id']}/recusals",
                           json={"enterprise_id": enterprise["id"], "reason": "亲属任职"}))  # fmt: skip
    return {"trade": trade, "chem": chem, "inspectors": inspectors}


@pytest.fixture(scope="module")
def plan(admin: httpx.Client, world: dict[str, Any]) -> dict[str, Any]:
    return created(admin.post("/api/v1/enforcement/plans", json={
        "division_code": TOWN, "year": 2027, "title": "2027年度监督检查计划",
        "category_counts": {"工贸": 8, "危险化学品": 2}, "random_share_pct": 50}))  # fmt: skip


def test_certificate_numbers_are_unique_and_recusals_listed(admin: httpx.Client, world: dict[str, Any]) -> None:
    first = world["inspectors"][0]
    again = {"name": "重复", "certificate_no": first["certificate_no"], "division_code": TOWN}
    r = admin.post("/api/v1/enforcement/inspectors", json=again)
    assert r.status_code == 409
    body = admin.get(f"/api/v1/enforcement/inspectors/{first['id']}").json()
    assert {t["enterprise_id"] for t in body["recusals"]} == {world["trade"][0]["id"], world["chem"]["id"]}
    dup = admin.post(f"/api/v1/enforcement/inspectors/{first['id']}/recusals",
                     json={"enterprise_id": world["chem"]["id"]})  # fmt: skip
    assert dup.status_code == 409


def test_plan_makes_enterprises_with_a_major_installation_key(plan: dict[str, Any], world: dict[str, Any]) -> None:
    assert world["chem"]["id"] in plan["key_enterprise_ids"]
    assert not set(plan["key_enterprise_ids"]) & {e["id"] for e in world["trade"]}


def test_a_second_plan_for_the_same_year_is_refused(admin: httpx.Client, plan: dict[str, Any]) -> None:
    r = admin.post("/api/v1/enforcement/plans", json={"division_code": TOWN, "year": 2027, "title": "又一个",
                                                      "category_counts": {}, "random_share_pct": 0})  # fmt: skip
    assert r.status_code == 409


def test_an_unknown_category_is_refused(admin: httpx.Client) -> None:
    body = {"division_code": TOWN, "year": 2030, "title": "x", "category_counts": {"赌场": 1}, "random_share_pct": 10}
    r = admin.post("/api/v1/enforcement/plans", json=body)
    assert r.status_code == 422


def _draw(admin: httpx.Client, plan: dict[str, Any], reason: str = "") -> dict[str, Any]:
    return created(admin.post(f"/api/v1/enforcement/plans/{plan['id']}/draws", json={"reason": reason}))


@pytest.fixture(scope="module")
def first_draw(admin: httpx.Client, plan: dict[str, Any]) -> dict[str, Any]:
    return _draw(admin, plan)


def test_draw_takes_the_share_per_category_and_every_key_enterprise(
    first_draw: dict[str, Any], world: dict[str, Any]
) -> None:
    parts = {p["label"]: p for p in first_draw["parts"]}
    assert parts["key"]["count"] == 1 and parts["key"]["pairs"][0]["enterprise"] == str(world["chem"]["id"])
    assert parts["工贸"]["count"] == 4  # 50 % of 8
    assert "危险化学品" not in parts  # its only enterprise is key: the random pool is empty
    assert len(first_draw["seed"]) == 32 and first_draw["seed_source"] == "csprng"
    assert first_draw["seed_recorded_at"] <= first_draw["created_at"]


def test_drawn_pairs_are_two_distinct_untied_inspectors(first_draw: dict[str, Any], world: dict[str, Any]) -> None:
    tied = {world["trade"][0]["id"], world["chem"]["id"]}
    first_inspector = world["inspectors"][0]["id"]
    for pair in first_draw["pairs"]:
        assert len(set(pair["inspector_ids"])) == 2
        assert all(name for name in pair["inspector_names"]) and pair["enterprise_name"]
        if pair["enterprise_id"] in tied:
            assert first_inspector not in pair["inspector_ids"]


def test_a_stored_draw_verifies(admin: httpx.Client, first_draw: dict[str, Any]) -> None:
    body = admin.get(f"/api/v1/enforcement/draws/{first_draw['id']}/verify").json()
    assert body["verified"] is True and body["digest"] == first_draw["digest"] and body["inputs_current"] is True


def test_an_altered_stored_draw_fails_verification(live: LiveServer, admin: httpx.Client, plan: dict[str, Any]) -> None:
    victim = _draw(admin, plan, reason="篡改测试")
    engine = make_engine(live.settings.database_url)
    try:
        with session_factory(engine)() as session, session.begin():
            row = session.get(Draw, victim["id"])
            assert row is not None
            parts = json.loads(json.dumps(row.parts))
            pair = parts[-1]["pairs"][0]
            pair["inspectors"] = list(reversed(pair["inspectors"]))
            row.parts = parts
    finally:
        engine.dispose()
    body = admin.get(f"/api/v1/enforcement/draws/{victim['id']}/verify").json()
    assert body["verified"] is False and "altered" in body["detail"]


def test_a_redraw_needs_a_reason_and_lists_the_earlier_draws(
    admin: httpx.Client, plan: dict[str, Any], first_draw: dict[str, Any]
) -> None:
    r = admin.post(f"/api/v1/enforcement/plans/{plan['id']}/draws", json={})
    assert r.status_code == 422
    again = _draw(admin, plan, reason="执法员调离")
    assert first_draw["id"] in again["earlier_draw_ids"] and again["reason"] == "执法员调离"
    assert again["seed"] != first_draw["seed"]
    listed = admin.get(f"/api/v1/enforcement/plans/{plan['id']}/draws").json()
    assert [d["sequence"] for d in listed] == list(range(1, len(listed) + 1))
    kept = next(d for d in listed if d["id"] == first_draw["id"])
    assert kept["digest"] == first_draw["digest"] and kept["pairs"] == first_draw["pairs"]


def test_publication_is_final_and_makes_the_public_list(
    live: LiveServer, admin: httpx.Client, plan: dict[str, Any], first_draw: dict[str, Any]
) -> None:
    anonymous = httpx.Client(base_url=live.url, timeout=30)
    assert anonymous.get(f"/api/v1/enforcement/public/draws/{first_draw['id']}").status_code == 404
    latest = _draw(admin, plan, reason="公开前重抽")
    assert admin.post(f"/api/v1/enforcement/draws/{first_draw['id']}/publish").status_code == 409  # not the latest
    published = admin.post(f"/api/v1/enforcement/draws/{latest['id']}/publish")
    assert published.status_code == 200 and published.json()["state"] == "published"
    assert admin.post(f"/api/v1/enforcement/draws/{latest['id']}/publish").status_code == 409
    public = anonymous.get(f"/api/v1/enforcement/public/draws/{latest['id']}")
    assert public.status_code == 200
    body = public.json()
    assert body["digest"] == latest["digest"] and body["seed"] == latest["seed"]
    assert len(body["pairs"]) == len(latest["pairs"]) and all("（" in i for p in body["pairs"] for i in p["inspectors"])


def test_cli_checks_a_stored_draw_and_its_exported_files_verify(
    live: LiveServer, first_draw: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YINGJI_DATABASE_URL", live.settings.database_url)
    runner = CliRunner()
    checked = runner.invoke(app, ["enforcement", "check-draw", str(first_draw["id"])])
    assert checked.exit_code == 0, checked.output
    exported = runner.invoke(app, ["enforcement", "export-draw", str(first_draw["id"]), "--out", str(tmp_path)])
    assert exported.exit_code == 0, exported.output
    for number in range(1, len(first_draw["parts"]) + 1):
        result = runner.invoke(app, ["enforcement", "verify", str(tmp_path / f"part{number}.draw.json"),
                                     "--enterprises", str(tmp_path / f"part{number}.enterprises.csv"),
                                     "--inspectors", str(tmp_path / f"part{number}.inspectors.csv")])  # fmt: skip
        assert result.exit_code == 0, result.output
    missing = runner.invoke(app, ["enforcement", "check-draw", "999999"])
    assert missing.exit_code == 2


def test_draws_are_never_deleted(live: LiveServer, plan: dict[str, Any], first_draw: dict[str, Any]) -> None:
    engine = make_engine(live.settings.database_url)
    try:
        with session_factory(engine)() as session:
            ids = list(session.scalars(select(Draw.id).where(Draw.plan_id == plan["id"])))
    finally:
        engine.dispose()
    assert first_draw["id"] in ids
