"""A public randomness beacon as the seed of a random draw (双随机), instead of the system's CSPRNG (pure).

With ``YINGJI_DRAW_BEACON_URL`` set, a draw takes its seed from the beacon's latest value at the moment of
drawing: a drand-style JSON answer ``{"round": n, "randomness": "<64 hex digits>", …}`` (drand's
``/public/latest``; the League of Entropy publishes a value every 30 s, unpredictable beforehand and the
same for everyone). The draw records the round (``seed_source`` ``beacon:<round>``) and the value, so anyone
can fetch that round from the beacon and check the seed, then re-run the draw. A beacon that cannot be read
refuses the draw: no silent fall-back to another source."""

from __future__ import annotations

import re
from typing import Any

_HEX64 = re.compile(r"^[0-9a-f]{64}$")


class BeaconError(ValueError):
    pass


def parse(payload: Any) -> tuple[int, str]:
    """``(round, randomness)`` of a beacon answer, or BeaconError naming what is wrong."""
    if not isinstance(payload, dict):
        raise BeaconError("the beacon's answer is not a JSON object")
    number, value = payload.get("round"), payload.get("randomness")
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise BeaconError("the beacon's answer has no positive round number")
    if not isinstance(value, str) or not _HEX64.match(value.lower()):
        raise BeaconError("the beacon's randomness is not 64 hexadecimal digits")
    return number, value.lower()


def origin(number: int) -> str:
    return f"beacon:{number}"
