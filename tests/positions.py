"""Positions inside the demo counties' boundaries (the synthetic demo region), for tests that place records:
a position is checked against its division's boundary (``geo.service.check_position``)."""

from __future__ import annotations

from collections.abc import Sequence

# the county seats of the demo data (yingji.demo), each inside its county's synthetic boundary
# (and Lhasa's, a prefecture without a boundary in the demo, away from every demo county)
COUNTY_SEATS = {"540223": (87.1, 28.6), "540225": (87.63704, 29.081659), "540100": (91.172148, 29.652341)}


def position_in(
    divisions: str | Sequence[str] | None, default: tuple[float, float] = (87.1, 28.6)
) -> tuple[float, float]:
    """A position inside the first of ``divisions`` (its county's seat), else ``default``."""
    first = divisions if isinstance(divisions, str) else (divisions[0] if divisions else "")
    return COUNTY_SEATS.get(str(first)[:6], default)
