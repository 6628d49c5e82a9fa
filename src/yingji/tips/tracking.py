"""Tracking codes (pure: the random source is passed in). The per-address windows of the public routes are
``auth.ratelimit.WindowLimits``, shared by every server process.

A tracking code is 100 random bits from the caller's CSPRNG (``secrets.token_bytes``) written as 20 Crockford
base-32 characters in five groups of four (``7K3Q-…``): readable aloud, no I, L, O or U. Only its SHA-256 is
stored, so the database alone does not let anyone read a tip's status. Lookups accept lower case, spaces and
missing hyphens, and the look-alikes Crockford maps (O→0, I/L→1).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

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
