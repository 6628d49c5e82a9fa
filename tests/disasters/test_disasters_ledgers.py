"""Ledgers of the dead, missing and damaged houses (issue #17 item 4) through real HTTP on both backends:
ID numbers encrypted at rest with the settings' key, masked on every read, revealed only with
disasters:identity, each reveal audited; and the pure ID-number checks."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text
from tests.conftest import LiveServer
from tests.disasters.test_disasters_api import T1, event

from yingji.disasters.ledgers.crypto import LedgerCipher, LedgerKeyError, id_number_problem, mask

ID = "11010519491231002X"  # the GB 11643 standard's own example number


def add(client: httpx.Client, event_id: int, **fields: Any) -> httpx.Response:
    body = {"township_code": T1, "kind": "dead", "name": "张三", "id_number": ID, "age": 67, "cause": "山洪"}
    return client.post(f"/api/v1/disasters/events/{event_id}/ledger", json=body | fields)


def test_id_numbers_are_stored_encrypted_read_masked_and_revealed_with_an_audit(live: LiveServer) -> None:
    county, admin = live.client("dingri_duty"), live.client("admin")
    ev = event(county)
    made = add(county, ev["id"])
    assert made.status_code == 201, made.text
    entry = made.json()
    assert entry["id_number_masked"] == "1101************2X" and "id_number" not in entry
    engine = create_engine(live.settings.database_url)
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT id_number_enc, id_number_masked FROM disaster_ledger_entries WHERE id = :i"),
            {"i": entry["id"]},
        ).one()
        audit_rows = [
            r[0] for r in conn.execute(text("SELECT after FROM audit_log WHERE entity = 'disaster_ledger_entry'"))
        ]
    engine.dispose()
    assert ID not in stored[0] and stored[0].startswith("gAAAA")  # a Fernet token, not the number
    assert all(ID not in str(r) and stored[0] not in str(r) for r in audit_rows)
    listed = county.get(f"/api/v1/disasters/events/{ev['id']}/ledger").json()
    assert [e["id_number_masked"] for e in listed] == ["1101************2X"]
    assert ID not in county.get(f"/api/v1/disasters/events/{ev['id']}/ledger").text
    # the county duty officer lacks disasters:identity: 403; the administrator sees it, audited
    assert county.post(f"/api/v1/disasters/ledger/{entry['id']}/reveal").status_code == 403
    shown = admin.post(f"/api/v1/disasters/ledger/{entry['id']}/reveal")
    assert shown.status_code == 200 and shown.json()["id_number"] == ID
    trail = admin.get("/api/v1/audit", params={"entity": "disaster_ledger_entry"}).json()
    items = trail["items"] if isinstance(trail, dict) else trail
    assert any(i["action"] == "reveal_id_number" and str(i["entity_id"]) == str(entry["id"]) for i in items)


def test_bad_lines_are_refused_and_the_house_ledger_needs_its_damage(live: LiveServer) -> None:
    county = live.client("dingri_duty")
    ev = event(county)
    wrong = add(county, ev["id"], id_number="110105194912310021")
    assert wrong.status_code == 422 and "check digit" in wrong.json()["detail"]
    assert add(county, ev["id"], kind="house").status_code == 422
    house = add(county, ev["id"], kind="house", damage="collapsed", rooms=3, id_number="", cause="")
    assert house.status_code == 201 and house.json()["id_number_masked"] == ""
    assert add(county, ev["id"], township_code="540225001000").status_code == 404  # another county
    houses = county.get(f"/api/v1/disasters/events/{ev['id']}/ledger", params={"kind": "house"}).json()
    assert [(h["damage"], h["rooms"]) for h in houses] == [("collapsed", 3)]


def test_the_cipher_rotates_keys_and_refuses_production_without_one() -> None:
    old = LedgerCipher.from_settings(None, "a-development-secret", production=False)
    token = old.encrypt(ID)
    from cryptography.fernet import Fernet

    new_key = Fernet.generate_key().decode()
    derived = LedgerCipher.from_settings(None, "a-development-secret", production=False)
    assert derived.decrypt(token) == ID  # derivation is stable
    with pytest.raises(LedgerKeyError, match="production"):
        LedgerCipher.from_settings(None, "x" * 40, production=True)
    with pytest.raises(LedgerKeyError):
        LedgerCipher.from_settings("not-a-key", "x", production=True)
    rotated = LedgerCipher.from_settings(new_key, "x", production=True)
    with pytest.raises(LedgerKeyError, match="cannot be decrypted"):
        rotated.decrypt(token)
    assert rotated.decrypt(rotated.encrypt("1")) == "1"


@pytest.mark.parametrize(
    ("value", "problem"),
    [(ID, None), ("11010519491231002x", None), ("1101051949123100", "17 digits"), ("110105194912310021", "check")],
)
def test_id_number_checks(value: str, problem: str | None) -> None:
    found = id_number_problem(value)
    assert (found is None) if problem is None else (found is not None and problem in found)
    assert mask("") == "" and mask(ID) == "1101************2X"
