"""Administrative division codes (行政区划代码), pure.

Codes are 12-digit strings: PP CC DD TTT VVV (province, prefecture, county, township, village), as in
the statistical division codes of the National Bureau of Statistics; GB/T 2260's 6-digit codes are the
first six digits. A division's subtree is every code that starts with its *prefix*: the digits its
level fixes. Imports check that a child's code starts with its parent's prefix, so jurisdiction scoping
is a range comparison on an indexed column.
"""

from __future__ import annotations

from typing import Final, Literal

Level = Literal["country", "province", "prefecture", "county", "township", "village"]
LEVELS: Final[tuple[Level, ...]] = ("country", "province", "prefecture", "county", "township", "village")
PREFIX_LENGTH: Final[dict[str, int]] = {
    "country": 0,
    "province": 2,
    "prefecture": 4,
    "county": 6,
    "township": 9,
    "village": 12,
}
COUNTRY_CODE: Final = "000000000000"


class CodeError(ValueError):
    """A division code that is not 6 or 12 digits."""


def normalise_code(raw: str | int) -> str:
    """Return the 12-digit form of a 6-, 9- or 12-digit code (GB/T 2260 6-digit codes are padded)."""
    text = str(raw).strip()
    if not text.isdigit() or len(text) not in (6, 9, 12):
        raise CodeError(f"division code {text!r} must have 6, 9 or 12 digits")
    return text.ljust(12, "0")


def level_of(code: str) -> Level:
    """The level a 12-digit code's shape implies (the deepest non-zero part)."""
    if code == COUNTRY_CODE:
        return "country"
    if code[9:] != "000":
        return "village"
    if code[6:9] != "000":
        return "township"
    if code[4:6] != "00":
        return "county"
    if code[2:4] != "00":
        return "prefecture"
    return "province"


def prefix(code: str, level: str) -> str:
    """The digits that every code in this division's subtree shares."""
    return code[: PREFIX_LENGTH[level]]


def code_range(prefix_digits: str) -> tuple[str, str]:
    """Lowest and highest 12-digit codes that start with the prefix (an index-friendly range)."""
    return prefix_digits.ljust(12, "0"), prefix_digits.ljust(12, "9")


def depth(level: str) -> int:
    return LEVELS.index(level)  # type: ignore[arg-type]


def child_of(code: str, parent: str) -> str:
    """The code of the division one level below ``parent`` whose subtree holds ``code`` (a code in the parent's
    subtree; a village parent is its own child). Public statistics group by it."""
    at = depth(level_of(parent))
    below = LEVELS[min(at + 1, len(LEVELS) - 1)]
    return code[: PREFIX_LENGTH[below]].ljust(12, "0")
