"""The division picker of the page forms (上报, statistics, responsible officials): the caller's own
division and those below it down to townships, by name, indented by level."""

from __future__ import annotations

from typing import Any

from yingji.geo import service as division_service
from yingji.web.pages import PageCtx

# Levels offered: below the township a report names its place in the description.
PICKED_LEVELS = ("province", "prefecture", "county", "township")
MAX_PICKER = 600  # past this many divisions (a province user) the picker offers counties and above


def divisions(ctx: PageCtx, session: Any) -> list[dict[str, Any]]:
    """``[{code, name, depth}]``, the caller's own division first."""
    own = division_service.get(session=session, scope=ctx.scope, code=ctx.scope.division_code)
    below = [
        d
        for d in division_service.descendants(session=session, scope=ctx.scope, code=own.code)
        if d.level in PICKED_LEVELS
    ]
    if len(below) > MAX_PICKER:
        below = [d for d in below if d.level != "township"]
    top = PICKED_LEVELS.index(own.level) if own.level in PICKED_LEVELS else -1  # a national user: country

    def depth(level: str) -> int:
        return max(0, PICKED_LEVELS.index(level) - top) if level in PICKED_LEVELS else 0

    return [{"code": d.code, "name": d.name, "depth": depth(d.level)} for d in [own, *below]]
