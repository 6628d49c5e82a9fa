"""A plan's draw as parts (pure): one pool of enterprises per supervision category plus the key enterprises,
each drawn with :func:`yingji.enforcement.draw.draw` under the seed ``"<seed>/<label>"``.

A part stores its canonical inputs (the enterprise ids and each inspector with its ties, as the CSV files of
``yingji enforcement draw`` would hold them), so a stored draw can be re-run from itself, exported as files
and checked by anyone with ``yingji enforcement verify``. The draw's digest is the SHA-256 of the parts'
labels and digests.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from yingji.enforcement import draw

KEY_LABEL = "key"  # the part of the key enterprises (重点检查): all of them, inspectors drawn


@dataclass(frozen=True)
class Pool:
    label: str  # a supervision category, or KEY_LABEL
    enterprises: tuple[str, ...]
    planned: int  # what the plan asks of this pool


def random_count(planned: int, share_pct: int) -> int:
    """The part of a category's planned inspections left to the random draw (rounded half up)."""
    return (planned * share_pct + 50) // 100


def _inputs(enterprises: Sequence[str], inspectors: Sequence[str], ties: Mapping[str, frozenset[str]]) -> draw.Inputs:
    listed = set(inspectors)
    pool = tuple(sorted(set(enterprises)))
    own = {e: frozenset(i for i in ties.get(e, frozenset()) if i in listed) for e in pool}
    return draw.Inputs(pool, tuple(sorted(listed)), {e: t for e, t in own.items() if t})


def _part(pool: Pool, inputs: draw.Inputs, result: draw.Draw) -> dict[str, Any]:
    tied_by: dict[str, list[str]] = {i: [] for i in inputs.inspectors}
    for enterprise, tied in inputs.ties.items():
        for inspector in tied:
            tied_by[inspector].append(enterprise)
    return {
        "label": pool.label,
        "planned": pool.planned,
        "count": len(result.pairs),
        "enterprises": list(inputs.enterprises),
        "inspectors": [{"id": i, "ties": sorted(tied_by[i])} for i in inputs.inspectors],
        **result.as_json(),
    }


def draw_parts(
    pools: Sequence[Pool], inspectors: Sequence[str], ties: Mapping[str, frozenset[str]], *, seed: str
) -> list[dict[str, Any]]:
    """Draw every pool (a pool asking more than it holds gives all it holds). Raises
    :class:`draw.DrawError` when a pair cannot be staffed."""
    parts = []
    for pool in pools:
        count = min(pool.planned, len(set(pool.enterprises)))
        if count < 1:
            continue
        inputs = _inputs(pool.enterprises, inspectors, ties)
        try:
            result = draw.draw(inputs, count=count, seed=f"{seed}/{pool.label}")
        except draw.DrawError as exc:
            raise draw.DrawError(f"{pool.label}: {exc}") from None
        parts.append(_part(pool, inputs, result))
    return parts


def digest(parts: Sequence[Mapping[str, Any]]) -> str:
    text = "\n".join(f"{p['label']}:{p['digest']}" for p in parts)
    return hashlib.sha256(f"{draw.ALGORITHM}\n{text}".encode()).hexdigest()


def part_inputs(part: Mapping[str, Any]) -> draw.Inputs:
    """The canonical inputs a stored part was drawn from."""
    ties: dict[str, set[str]] = {}
    for inspector in part["inspectors"]:
        for enterprise in inspector["ties"]:
            ties.setdefault(enterprise, set()).add(inspector["id"])
    listed = [i["id"] for i in part["inspectors"]]
    return _inputs(part["enterprises"], listed, {e: frozenset(t) for e, t in ties.items()})


def verify_parts(parts: Sequence[Mapping[str, Any]], stored_digest: str) -> None:
    """Re-run every part from its own stored inputs; raise :class:`draw.DrawError` on any difference."""
    for part in parts:
        try:
            draw.verify(dict(part), part_inputs(part))
        except draw.DrawError as exc:
            raise draw.DrawError(f"{part.get('label')}: {exc}") from None
    if digest(parts) != stored_digest:
        raise draw.DrawError("the draw's digest does not match its parts: the stored draw was altered")


def part_files(part: Mapping[str, Any]) -> tuple[str, str]:
    """The part's inputs as the two CSV texts ``yingji enforcement draw/verify`` read (``id``; ``id,ties``)."""
    enterprises, inspectors = io.StringIO(), io.StringIO()
    writer = csv.writer(enterprises, lineterminator="\n")
    writer.writerow(["id"])
    writer.writerows([e] for e in part["enterprises"])
    writer = csv.writer(inspectors, lineterminator="\n")
    writer.writerow(["id", "ties"])
    writer.writerows([i["id"], ";".join(i["ties"])] for i in part["inspectors"])
    return enterprises.getvalue(), inspectors.getvalue()


def part_draw_json(part: Mapping[str, Any]) -> dict[str, Any]:
    """The part as ``yingji enforcement draw --json`` prints a draw."""
    return {k: part[k] for k in ("pairs", "digest", "algorithm", "seed", "input_digests")}
