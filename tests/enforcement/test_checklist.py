"""The offline checklist's chain and merge rules (pure): a verification table of batches against a stored state."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any

import pytest

from yingji.enforcement import checklist as cl

ITEMS = frozenset({"GM2023-3-1", "GM2023-3-2"})
DEVICE = "tablet-0001"


def chain(
    *specs: tuple[str, str, str, dict[str, Any], str | None], start: str = "", device: str = DEVICE
) -> list[cl.Entry]:
    """Entries (client id, kind, key, body, base) chained from ``start`` (genesis of inspection 7 by default)."""
    head = start or cl.genesis(7, device)
    out = []
    for cid, kind, key, body, base in specs:
        draft = cl.Entry(cid, device, kind, key, body, "2026-03-02T09:00:00+08:00", base, head, "")
        entry = dataclasses.replace(draft, hash=cl.entry_hash(draft))
        out.append(entry)
        head = entry.hash
    return out


def ok(cid: str, key: str = "GM2023-3-1", base: str | None = None, result: str = "ok") -> tuple[Any, ...]:
    return (cid, "check", key, {"result": result}, base)


def run(batch: list[cl.Entry], stored: list[cl.Entry] = (), device_head: str = "") -> cl.Merge:  # type: ignore[assignment]
    heads = {e.key: e.hash for e in stored}
    return cl.merge(batch, device_id=DEVICE, device_head=device_head or cl.genesis(7, DEVICE), heads=heads,
                    stored={e.client_id: e.hash for e in stored}, item_ids=ITEMS)  # fmt: skip


def test_genesis_and_hash_are_fixed_functions_of_the_fields() -> None:
    assert (
        cl.genesis(7, DEVICE) == hashlib.sha256(f"{cl.ALGORITHM}\ninspection:7\ndevice:{DEVICE}".encode()).hexdigest()
    )
    (entry,) = chain(ok("entry-0001"))
    assert cl.entry_hash(entry) == entry.hash
    assert cl.entry_hash(dataclasses.replace(entry, body={"result": "violation"})) != entry.hash
    assert cl.canonical({"b": 1, "a": "检"}) == '{"a":"检","b":1}'.encode()


def test_a_fresh_batch_is_taken_in_order() -> None:
    batch = chain(ok("entry-0001"), ("entry-0002", "note", "summary", {"text": "粉尘"}, None),
                  ("photo-0003", "photo", "photo:photo-0003", {"sha256": "a" * 64, "media_type": "image/jpeg",
                                                               "size": 10, "about": "GM2023-3-1"}, None))  # fmt: skip
    out = run(batch)
    assert [e.client_id for e in out.accepted] == ["entry-0001", "entry-0002", "photo-0003"]
    assert out.conflicts == [] and out.duplicates == [] and out.head == batch[-1].hash
    assert out.heads["GM2023-3-1"] == batch[0].hash


def test_sending_the_queue_again_is_idempotent() -> None:
    first = chain(ok("entry-0001"), ok("entry-0002", "GM2023-3-2"))
    more = chain(ok("entry-0003", base=first[0].hash, result="violation"), start=first[-1].hash)
    out = run(first + more, stored=first, device_head=first[-1].hash)
    assert out.duplicates == ["entry-0001", "entry-0002"] and [e.client_id for e in out.accepted] == ["entry-0003"]
    again = run(first, stored=first, device_head=first[-1].hash)
    assert again.accepted == [] and again.head == first[-1].hash
    changed = cl.merge(first, device_id=DEVICE, device_head=first[-1].hash, heads={}, item_ids=frozenset(),
                       stored={e.client_id: e.hash for e in first})  # fmt: skip
    assert changed.duplicates == ["entry-0001", "entry-0002"]  # the checklist changed since: still a replay


def test_an_edit_on_an_old_version_is_a_conflict_not_an_overwrite() -> None:
    mine = chain(ok("entry-0001"))
    theirs = chain(ok("other-0001"), device="phone-0002")  # the other inspector's device got there first
    stored_heads = {"GM2023-3-1": theirs[0].hash}
    out = cl.merge(mine, device_id=DEVICE, device_head=cl.genesis(7, DEVICE), heads=stored_heads,
                   stored={"other-0001": theirs[0].hash}, item_ids=ITEMS)  # fmt: skip
    assert out.conflicts == [cl.Conflict("entry-0001", "GM2023-3-1", None, theirs[0].hash)]
    rebased = chain(ok("entry-0001", base=theirs[0].hash, result="violation"))  # a person chose
    out = cl.merge(rebased, device_id=DEVICE, device_head=cl.genesis(7, DEVICE), heads=stored_heads,
                   stored={"other-0001": theirs[0].hash}, item_ids=ITEMS)  # fmt: skip
    assert out.conflicts == [] and len(out.accepted) == 1


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ("tampered body", cl.Tampered),
        ("missing link", cl.ChainBroken),
        ("client id reused", cl.ClientIdReused),
        ("twice in batch", cl.ClientIdReused),
        ("unknown item", cl.InvalidEntry),
        ("bad result", cl.InvalidEntry),
        ("photo with base", cl.InvalidEntry),
        ("photo key", cl.InvalidEntry),
        ("finding without text", cl.InvalidEntry),
        ("other device", cl.InvalidEntry),
        ("short client id", cl.InvalidEntry),
    ],
)
def test_refused_batches(case: str, error: type[cl.ChecklistError]) -> None:
    stored = chain(ok("entry-0001"))
    head = stored[0].hash
    photo = {"sha256": "b" * 64, "media_type": "image/png", "size": 3}
    batch: list[cl.Entry]
    if case == "tampered body":
        batch = [
            dataclasses.replace(chain(ok("entry-0002", "GM2023-3-2"), start=head)[0], body={"result": "violation"})
        ]
    elif case == "missing link":
        batch = chain(ok("entry-0002", "GM2023-3-2"), ok("entry-0003", "GM2023-3-2"), start=head)[1:]
    elif case == "client id reused":
        batch = chain(ok("entry-0001", "GM2023-3-2"), start=head)
    elif case == "twice in batch":
        two = chain(ok("entry-0002", "GM2023-3-2"), start=head)
        batch = two + chain(ok("entry-0002", "GM2023-3-2", base=two[0].hash), start=two[0].hash)
    elif case == "unknown item":
        batch = chain(ok("entry-0002", "XX-1"), start=head)
    elif case == "bad result":
        batch = chain(("entry-0002", "check", "GM2023-3-2", {"result": "fine"}, None), start=head)
    elif case == "photo with base":
        batch = chain(("photo-0002", "photo", "photo:photo-0002", photo, head), start=head)
    elif case == "photo key":
        batch = chain(("photo-0002", "photo", "GM2023-3-1", photo, None), start=head)
    elif case == "finding without text":
        batch = chain(("find-0002", "finding", "finding:find-0002", {"text": " "}, None), start=head)
    elif case == "other device":
        batch = chain(ok("entry-0002", "GM2023-3-2"), start=head, device="phone-0002")
    else:
        batch = chain(ok("e2", "GM2023-3-2"), start=head)
    with pytest.raises(error):
        run(batch, stored=stored, device_head=head)


def test_verify_chain_and_seals() -> None:
    entries = chain(ok("entry-0001"), ok("entry-0002", "GM2023-3-2"), ok("entry-0003", "GM2023-3-2"))
    start = cl.genesis(7, DEVICE)
    assert cl.verify_chain(entries, start) == []
    assert len(cl.verify_chain([entries[0], entries[2]], start)) == 1  # a removed entry
    changed = dataclasses.replace(entries[1], body={"result": "violation"})
    assert len(cl.verify_chain([entries[0], changed, entries[2]], start)) == 1
    key = cl.seal_key("secret")
    one = cl.seal(key, inspection_id=7, sequence=1, device_id=DEVICE, head=entries[-1].hash, entries=3, prev_seal="")
    assert one != cl.seal(cl.seal_key("other"), inspection_id=7, sequence=1, device_id=DEVICE, head=entries[-1].hash,
                          entries=3, prev_seal="")  # fmt: skip
    assert one != cl.seal(key, inspection_id=7, sequence=1, device_id=DEVICE, head=entries[1].hash, entries=2,
                          prev_seal="")  # fmt: skip
    assert cl.current(entries)["GM2023-3-2"].client_id == "entry-0003"


def test_items_come_from_the_determination_standards() -> None:
    items = cl.items_for("工贸", "冶金")
    ids = {i.id for i in items}
    assert "GM2023-4-1" in ids and "GM2023-5-1" not in ids  # 冶金, not 有色
