"""The review chain of a township report (pure): county, then prefecture, then province.

A county bureau accepts or returns (with a reason) its townships' reports; the prefecture and then the
province do the same for reports their lower level accepted (regime: the county is the reporting unit,
each level audits before passing up). A returned report is final; the township sends a correction.
"""

from __future__ import annotations

from typing import Final

SUBMITTED: Final = "submitted"
RETURNED: Final = "returned"
ACCEPTED_BY: Final[dict[str, str]] = {
    "county": "county_accepted",
    "prefecture": "prefecture_accepted",
    "province": "province_accepted",
}
# The level whose review a report in this status waits for.
NEXT_LEVEL: Final[dict[str, str]] = {
    SUBMITTED: "county",
    "county_accepted": "prefecture",
    "prefecture_accepted": "province",
}
# Statuses whose figures count in roll-ups: accepted by the county (the reporting unit) or higher.
COUNTED: Final[frozenset[str]] = frozenset(ACCEPTED_BY.values())
PREFIX: Final[dict[str, int]] = {"county": 6, "prefecture": 4, "province": 2}


class ReviewError(ValueError):
    """A review that the chain does not allow now (wrong stage or wrong level)."""


def reviewer_division(township_code: str, level: str) -> str:
    """The 12-digit code of the township's ancestor at ``level`` (who reviews at that stage)."""
    return township_code[: PREFIX[level]].ljust(12, "0")


def next_status(status: str, action: str) -> str:
    """The status after ``action`` (accept | return) on a report in ``status``."""
    level = NEXT_LEVEL.get(status)
    if level is None:
        raise ReviewError(f"a report that is {status} awaits no review")
    if action == "accept":
        return ACCEPTED_BY[level]
    if action == "return":
        return RETURNED
    raise ReviewError(f"unknown review action {action!r}")


def may_review(status: str, township_code: str, reviewer_code: str, *, national: bool) -> bool:
    """Whether a reviewer at ``reviewer_code`` acts at this report's current stage (national scope may act
    at any stage)."""
    level = NEXT_LEVEL.get(status)
    if level is None:
        return False
    return national or reviewer_division(township_code, level) == reviewer_code
