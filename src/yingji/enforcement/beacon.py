"""A public randomness beacon as the seed of a random draw (双随机), instead of the system's CSPRNG (pure).

With ``YINGJI_DRAW_BEACON_URL`` set, a draw takes its seed from the beacon's latest value at the moment of
drawing: a drand-style JSON answer ``{"round": n, "randomness": "<64 hex digits>", …}`` (drand's
``/public/latest``; the League of Entropy publishes a value every 30 s, unpredictable beforehand and the
same for everyone). The draw records the round (``seed_source`` ``beacon:<round>``) and the value, so anyone
can fetch that round from the beacon and check the seed, then re-run the draw. A beacon that cannot be read
refuses the draw: no silent fall-back to another source.

With ``YINGJI_DRAW_BEACON_PUBLIC_KEY`` set (the chain's BLS12-381 public key, hex), the answer is also checked
before its value is used (:func:`check`), and a failed check refuses the draw as an unreadable beacon does:

* the signature: drand's chained scheme (``pedersen-bls-chained``, the League of Entropy's default chain) signs
  ``SHA-256(previous_signature ‖ round as 8 bytes big-endian)`` with a key on G1 and a signature on G2, hashed
  to the curve with the IETF ciphersuite ``BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_`` — ``py_ecc.bls.G2Basic``;
* the randomness is ``SHA-256(signature)``;
* the round is the one the chain is at now (``(now − genesis) // period + 1``, from ``YINGJI_DRAW_BEACON_GENESIS``
  and ``YINGJI_DRAW_BEACON_PERIOD_S``) or the one before it (the latest may still be propagating): an old round,
  replayed, is refused, and so is one from the future.

Chains that sign on G1 (quicknet's ``bls-unchained-g1-rfc9380``) are not checked here."""

from __future__ import annotations

import hashlib
import re
import sys
from dataclasses import dataclass
from typing import Any

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_HEX = re.compile(r"^(?:[0-9a-f]{2})+$")
DST = b"BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_NUL_"  # what py_ecc.bls.G2Basic uses


@dataclass(frozen=True)
class Chain:
    """A drand chain as configured: its public key (hex, 48 bytes on G1), first round's time and period."""

    public_key: str
    genesis: int  # Unix seconds of round 1
    period_s: int


# The League of Entropy's default chain (hash 8990e7a9…51b2ce): https://api.drand.sh/info
LOE_DEFAULT = Chain(
    public_key="868f005eb8e6e4ca0a47c8a77ceaa5309a47978a7c71bc5cce96366b5d7a569937c529eeda66c7293784a9402801af31",
    genesis=1595431050,
    period_s=30,
)


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


def expected_round(chain: Chain, now: float) -> int:
    """The chain's round at ``now`` (Unix seconds); 0 before its genesis."""
    return 0 if now < chain.genesis else int((now - chain.genesis) // chain.period_s) + 1


def message(number: int, previous_signature: bytes) -> bytes:
    """What the chained scheme signs for a round."""
    return hashlib.sha256(previous_signature + number.to_bytes(8, "big")).digest()


def _hex(payload: dict[str, Any], key: str) -> bytes:
    value = payload.get(key)
    if not isinstance(value, str) or not _HEX.match(value.lower()):
        raise BeaconError(f"the beacon's answer has no hexadecimal {key}")
    return bytes.fromhex(value)


def check(payload: Any, chain: Chain, now: float) -> tuple[int, str]:
    """``(round, randomness)`` of a beacon answer whose signature verifies under the chain's key, whose
    randomness is SHA-256 of the signature and whose round is the current or the previous one; else
    BeaconError naming the check that failed."""
    number, value = parse(payload)
    signature, previous = _hex(payload, "signature"), _hex(payload, "previous_signature")
    if hashlib.sha256(signature).hexdigest() != value:
        raise BeaconError("the beacon's randomness is not SHA-256 of its signature")
    current = expected_round(chain, now)
    if number not in (current, current - 1):
        raise BeaconError(f"the beacon's round {number} is not the chain's latest ({current} now)")
    if not verify_signature(chain.public_key, number, previous, signature):
        raise BeaconError(f"the beacon's signature of round {number} does not verify under the configured key")
    return number, value


def _bls_ciphersuite() -> Any:
    """py_ecc's BLS ciphersuite, imported without letting py_ecc raise the interpreter's recursion limit.

    Importing py_ecc sets the limit to 100,000 for the whole process. A server process that had checked a
    beacon would then parse a deeply nested JSON body (``[[[[…``) by recursing in C far past its thread's
    stack: the process crashes instead of answering 400. The check itself needs no deep recursion."""
    real = sys.setrecursionlimit
    sys.setrecursionlimit = lambda limit: None  # type: ignore[assignment]  # only while py_ecc imports
    try:
        from py_ecc.bls.ciphersuites import G2Basic
    finally:
        sys.setrecursionlimit = real  # type: ignore[assignment]
    return G2Basic


def verify_signature(public_key: str, number: int, previous_signature: bytes, signature: bytes) -> bool:
    """The BLS12-381 check of a chained round (about a second in pure Python)."""
    try:
        from eth_typing import BLSPubkey, BLSSignature

        G2Basic = _bls_ciphersuite()
    except ImportError:
        raise BeaconError(
            "the BLS library (py_ecc) is not installed: the beacon's signature cannot be checked"
        ) from None
    try:
        return bool(
            G2Basic.Verify(
                BLSPubkey(bytes.fromhex(public_key)), message(number, previous_signature), BLSSignature(signature)
            )
        )
    except (ValueError, TypeError, AssertionError):  # a key or signature that is no point of its group
        return False
