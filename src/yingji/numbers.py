"""Reading numbers people type (pure): exact decimals, with a sentence for what is wrong."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation


def nonnegative_decimal(raw: object) -> Decimal:
    """``raw`` (text or a number) as an exact, finite decimal ≥ 0; otherwise ValueError with a sentence
    that quotes what was given (``must be a number (got 'abc')``, ``must not be negative (got -2)``)."""
    text = str(raw).strip()
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"must be a number (got {text!r})") from None
    if not value.is_finite():
        raise ValueError(f"must be a number (got {text!r})")
    if value < 0:
        raise ValueError(f"must not be negative (got {text})")
    return value
