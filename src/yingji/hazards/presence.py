"""Proof of presence at an installation, pure: the tag printed in its QR code is an HMAC of its id under the
server's secret, so a check that carries the tag was made by someone who read the label on site."""

from __future__ import annotations

import hashlib
import hmac


def tag(secret: str, installation_id: int) -> str:
    mac = hmac.new(secret.encode(), f"installation:{installation_id}".encode(), hashlib.sha256)
    return mac.hexdigest()[:20]


def verify(secret: str, installation_id: int, candidate: str) -> bool:
    return hmac.compare_digest(tag(secret, installation_id), candidate.strip().lower())
