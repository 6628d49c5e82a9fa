"""ID numbers of the ledgers (pure): checked, masked, and encrypted at rest with a key from settings.

The key is ``YINGJI_DISASTER_LEDGER_KEY``: one or more Fernet keys (URL-safe base64 of 32 bytes), comma
separated; the first encrypts, all decrypt (so a key can be rotated). Outside production, with no key set,
a key is derived from ``YINGJI_SECRET_KEY`` (HKDF-SHA256) so development and tests run; in production a
missing key refuses every ledger write and unmasked read. No key lives in the repository.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999 check digit (V)
CHECK = "10X98765432"


class LedgerKeyError(ValueError):
    """No usable ledger key (not configured in production, or not a Fernet key)."""


def id_number_problem(value: str) -> str | None:
    """Why ``value`` is not an 18-character resident ID number (GB 11643: 17 digits and a check character),
    or None. An empty value is allowed (unknown) and checked by the caller."""
    text = value.strip().upper()
    if len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        return "an ID number has 17 digits and a check digit or X"
    if CHECK[sum(int(d) * w for d, w in zip(text[:17], WEIGHTS, strict=True)) % 11] != text[17]:
        return "the ID number's check digit does not match (GB 11643)"
    return None


def mask(value: str) -> str:
    """The first four and last two characters, the rest starred: 5402************1X."""
    text = value.strip().upper()
    if not text:
        return ""
    return text[:4] + "*" * (len(text) - 6) + text[-2:]


class LedgerCipher:
    """Encrypts and decrypts ID numbers with the configured key ring."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise LedgerKeyError("no ledger key")
        try:
            self._fernet = MultiFernet([Fernet(k) for k in keys])
        except (ValueError, TypeError):
            raise LedgerKeyError("YINGJI_DISASTER_LEDGER_KEY: each key must be a Fernet key") from None

    @classmethod
    def from_settings(cls, ledger_key: str | None, secret_key: str, *, production: bool) -> LedgerCipher:
        if ledger_key:
            return cls([k.strip().encode() for k in ledger_key.split(",") if k.strip()])
        if production:
            raise LedgerKeyError("YINGJI_DISASTER_LEDGER_KEY is not set (production needs its own ledger key)")
        derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"yingji disaster ledger").derive(
            secret_key.encode()
        )
        return cls([base64.urlsafe_b64encode(derived)])

    def encrypt(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode() if value else ""

    def decrypt(self, token: str) -> str:
        if not token:
            return ""
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken:
            raise LedgerKeyError("the ID number cannot be decrypted with the configured ledger key") from None
