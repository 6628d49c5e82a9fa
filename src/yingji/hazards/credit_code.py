"""统一社会信用代码 (unified social credit code), GB 32100-2015 — pure.

18 characters from 0-9 and the capital letters without I, O, Z, S, V: 登记管理部门代码 (1), 机构类别代码 (1),
登记管理机关行政区划码 (6), 主体标识码 (组织机构代码, 9), 校验码 (1). The check character is
C18 = 31 − (Σ Cᵢ·Wᵢ mod 31), with Wᵢ = 3^(i−1) mod 31 (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10,
30, 28) and 31 written as 0 (GB 32100-2015, 4.4 and Annex; status P: the weights and the character table
agree in several public implementations and are 3^(i−1) mod 31 by construction).
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
VALUES = {ch: i for i, ch in enumerate(ALPHABET)}


class CreditCodeError(ValueError):
    """Why a text is not a valid 统一社会信用代码."""


def check_character(first17: str) -> str:
    """The 18th character of a code whose first 17 characters are given."""
    total = sum(VALUES[ch] * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(raw: str) -> str:
    """The code in capitals, checked: 18 characters of the code alphabet and the right check character."""
    code = raw.strip().upper()
    if len(code) != 18:
        raise CreditCodeError(f"统一社会信用代码 {raw.strip()!r} must have 18 characters, not {len(code)}")
    bad = sorted({ch for ch in code if ch not in VALUES})
    if bad:
        raise CreditCodeError(f"统一社会信用代码 {code} holds characters outside the code alphabet: {''.join(bad)}")
    expected = check_character(code[:17])
    if code[17] != expected:
        raise CreditCodeError(f"统一社会信用代码 {code} has a wrong check digit ({code[17]}; expected {expected})")
    return code


def is_valid(raw: str) -> bool:
    try:
        normalise(raw)
    except CreditCodeError:
        return False
    return True
