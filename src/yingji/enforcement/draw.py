"""The random draw of enterprises and inspectors (双随机): pure, reproducible and verifiable.

Inputs are canonicalised before anything is drawn (enterprise ids sorted; inspectors sorted with their sorted
ties), so the same lists give the same draw whatever the row order of the files. Each list has a SHA-256
digest of its canonical form.

Algorithm ``sha256-mt19937-v1``: the generator is Python's ``random.Random`` (Mersenne Twister MT19937, whose
output for an integer seed is fixed and documented as reproducible), seeded with the integer of
``SHA-256(algorithm "\\n" seed "\\n" sorted input digests joined by "\\n")``. Enterprises are chosen with
``Random.sample`` over the sorted ids; then, enterprise by enterprise in drawn order, two distinct inspectors
with no recusal tie (回避) to it are chosen by ``Random.randrange`` over the sorted inspectors, retrying a
refused pick up to :data:`PICK_TRIES` times, after which the eligible inspectors are listed and sampled
directly. No Python ``hash()`` is used, so a fresh process gives the same result.

The digest of a draw covers the algorithm, the seed, the sorted input digests and the pairs; ``verify`` re-runs
a stored draw from its inputs and compares.

Two inspectors per inspection: 行政处罚法 (2021) 第四十二条 (执法人员不得少于两人).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import random
from dataclasses import dataclass

ALGORITHM = "sha256-mt19937-v1"
INSPECTORS_PER_PAIR = 2
PICK_TRIES = 64


class DrawError(ValueError):
    """The inputs cannot give the draw asked for (too few enterprises, a pair that cannot be staffed, a bad
    file)."""


@dataclass(frozen=True)
class Inputs:
    enterprises: tuple[str, ...]  # sorted, distinct
    inspectors: tuple[str, ...]  # sorted, distinct
    ties: dict[str, frozenset[str]]  # enterprise id -> inspectors tied to it (recusal)

    @property
    def digests(self) -> dict[str, str]:
        enterprises = "\n".join(self.enterprises)
        tied_by: dict[str, list[str]] = {i: [] for i in self.inspectors}
        for enterprise, tied in self.ties.items():
            for inspector in tied:
                tied_by[inspector].append(enterprise)
        inspectors = "\n".join(f"{i}:{';'.join(sorted(tied_by[i]))}" for i in self.inspectors)
        return {"enterprises": _sha256(enterprises), "inspectors": _sha256(inspectors)}


@dataclass(frozen=True)
class Draw:
    algorithm: str
    seed: str
    input_digests: dict[str, str]
    pairs: tuple[tuple[str, tuple[str, ...]], ...]

    @property
    def digest(self) -> str:
        return _sha256(json.dumps(self._core(), ensure_ascii=False, sort_keys=True, separators=(",", ":")))

    def _core(self) -> dict[str, object]:
        return {
            "algorithm": self.algorithm,
            "seed": self.seed,
            "inputs": sorted(self.input_digests.values()),
            "pairs": [{"enterprise": e, "inspectors": list(i)} for e, i in self.pairs],
        }

    def as_json(self) -> dict[str, object]:
        return {
            "pairs": [{"enterprise": e, "inspectors": list(i)} for e, i in self.pairs],
            "digest": self.digest,
            "algorithm": self.algorithm,
            "seed": self.seed,
            "input_digests": dict(self.input_digests),
        }


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _rows(text: str, name: str, required: tuple[str, ...]) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    fields = [f.strip() for f in reader.fieldnames or []]
    missing = [c for c in required if c not in fields]
    if missing:
        raise DrawError(f"{name}: the header has no column {', '.join(missing)} (found: {', '.join(fields) or 'none'})")
    reader.fieldnames = fields
    return [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


def _distinct(ids: list[str], name: str) -> tuple[str, ...]:
    if any(not i for i in ids):
        raise DrawError(f"{name}: a row has an empty id")
    unique = set(ids)
    if len(unique) != len(ids):
        seen: set[str] = set()
        dup = next(i for i in ids if i in seen or seen.add(i))  # type: ignore[func-returns-value]
        raise DrawError(f"{name}: the id {dup!r} appears more than once")
    return tuple(sorted(unique))


def read_inputs(enterprises_csv: str, inspectors_csv: str) -> Inputs:
    """Parse the two CSV texts: ``id`` (other columns allowed) and ``id,ties`` (``;``-separated ids)."""
    enterprises = _distinct([r["id"] for r in _rows(enterprises_csv, "enterprises", ("id",))], "enterprises")
    rows = _rows(inspectors_csv, "inspectors", ("id", "ties"))
    inspectors = _distinct([r["id"] for r in rows], "inspectors")
    ties: dict[str, set[str]] = {}
    for row in rows:
        for enterprise in filter(None, (t.strip() for t in row["ties"].split(";"))):
            ties.setdefault(enterprise, set()).add(row["id"])
    return Inputs(enterprises, inspectors, {e: frozenset(i) for e, i in ties.items()})


def _rng(seed: str, digests: dict[str, str]) -> random.Random:
    material = "\n".join([ALGORITHM, seed, *sorted(digests.values())])
    return random.Random(int.from_bytes(hashlib.sha256(material.encode("utf-8")).digest(), "big"))


def _staff(rng: random.Random, inspectors: tuple[str, ...], tied: frozenset[str], enterprise: str) -> tuple[str, ...]:
    if len(inspectors) - len(tied) < INSPECTORS_PER_PAIR:  # ties name listed inspectors only (read_inputs)
        raise DrawError(
            f"enterprise {enterprise!r} cannot be staffed: "
            f"fewer than {INSPECTORS_PER_PAIR} inspectors without a tie to it"
        )
    chosen: list[str] = []
    for _ in range(PICK_TRIES):
        candidate = inspectors[rng.randrange(len(inspectors))]
        if candidate not in tied and candidate not in chosen:
            chosen.append(candidate)
            if len(chosen) == INSPECTORS_PER_PAIR:
                return tuple(chosen)
    eligible = [i for i in inspectors if i not in tied and i not in chosen]
    chosen += rng.sample(eligible, INSPECTORS_PER_PAIR - len(chosen))
    return tuple(chosen)


def draw(inputs: Inputs, *, count: int, seed: str) -> Draw:
    """Draw ``count`` distinct enterprises, each with two distinct inspectors not tied to it."""
    if count < 1:
        raise DrawError(f"count must be at least 1 (got {count})")
    if count > len(inputs.enterprises):
        raise DrawError(f"count {count} is larger than the {len(inputs.enterprises)} enterprises listed")
    digests = inputs.digests
    rng = _rng(seed, digests)
    chosen = rng.sample(inputs.enterprises, count)
    empty: frozenset[str] = frozenset()
    pairs = tuple((e, _staff(rng, inputs.inspectors, inputs.ties.get(e, empty), e)) for e in chosen)
    return Draw(ALGORITHM, seed, digests, pairs)


def verify(stored: dict[str, object], inputs: Inputs) -> Draw:
    """Re-run a stored draw (as printed by :meth:`Draw.as_json`) on ``inputs``; raise :class:`DrawError` when
    the inputs, the algorithm or the result differ."""
    if stored.get("algorithm") != ALGORITHM:
        raise DrawError(f"the draw used algorithm {stored.get('algorithm')!r}; this program runs {ALGORITHM!r}")
    seed, pairs = stored.get("seed"), stored.get("pairs")
    if not isinstance(seed, str) or not isinstance(pairs, list):
        raise DrawError("the stored draw has no seed or no pairs")
    if stored.get("input_digests") != inputs.digests:
        raise DrawError("the input lists differ from those the draw was made from (their digests do not match)")
    again = draw(inputs, count=len(pairs), seed=seed)
    if again.as_json()["pairs"] != pairs or again.digest != stored.get("digest"):
        raise DrawError("re-running the draw gives a different result: the stored draw was altered")
    return again
