"""Tracking codes and per-address windows (pure: the random source and the clock are passed in).

A tracking code is 100 random bits from the caller's CSPRNG (``secrets.token_bytes``) written as 20 Crockford
base-32 characters in five groups of four (``7K3Q-…``): readable aloud, no I, L, O or U. Only its SHA-256 is
stored, so the database alone does not let anyone read a tip's status. Lookups accept lower case, spaces and
missing hyphens, and the look-alikes Crockford maps (O→0, I/L→1).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_CHARS = 20  # × 5 bits = 100 random bits
RANDOM_BYTES = 13  # 104 bits drawn, the first 100 used
_CLEAN = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SHAPE = re.compile(rf"^[{ALPHABET}]{{{CODE_CHARS}}}$")


def new_code(random_bytes: Callable[[int], bytes]) -> str:
    value = int.from_bytes(random_bytes(RANDOM_BYTES), "big") >> (RANDOM_BYTES * 8 - CODE_CHARS * 5)
    chars = "".join(ALPHABET[(value >> (5 * k)) & 31] for k in reversed(range(CODE_CHARS)))
    return "-".join(chars[k : k + 4] for k in range(0, CODE_CHARS, 4))


def normalise(code: str) -> str | None:
    """The code's canonical form (no hyphens, upper case), or None when it cannot be a code."""
    cleaned = re.sub(r"[\s-]", "", code).upper().translate(_CLEAN)
    return cleaned if _SHAPE.match(cleaned) else None


def digest(code: str) -> str:
    """SHA-256 of the canonical form: what the database keeps."""
    canonical = normalise(code)
    if canonical is None:
        raise ValueError("not a tracking code")
    return hashlib.sha256(canonical.encode("ascii")).hexdigest()


@dataclass
class Window:
    """At most ``limit`` events per key in each fixed window of ``seconds``; ``admit`` answers 0 when the
    event is admitted (and counts it), else the seconds until the key's window ends."""

    limit: int
    seconds: float
    max_keys: int = 100_000
    _window: int = -1
    _counts: dict[str, int] = field(default_factory=dict)

    def admit(self, key: str, now: float) -> int:
        window = int(now // self.seconds)
        if window != self._window or len(self._counts) >= self.max_keys:
            self._window, self._counts = window, {}
        count = self._counts.get(key, 0)
        if count >= self.limit:
            return max(1, math.ceil((window + 1) * self.seconds - now))
        self._counts[key] = count + 1
        return 0
