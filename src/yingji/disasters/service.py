"""Disaster statistics operations that need the division tree (the roll-up of a reports file)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.disasters import regime, rollup, validation
from yingji.errors import NotFound
from yingji.geo import service as geo_service


@dataclass(frozen=True)
class RollupResult:
    totals: dict[str, dict[str, int]]
    errors: list[str]
    warnings: list[str]


def township_chains(*, session: Session, scope: Scope, codes: list[str]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """Each code's ancestors (parent first, up to the root the tree holds), and a reason for each code that
    is not a township the caller may read."""
    chains: dict[str, list[str]] = {}
    refused: dict[str, str] = {}
    for code in codes:
        try:
            division = geo_service.get(session=session, scope=scope, code=code)
        except NotFound:
            refused[code] = f"division {code} is not a loaded division"
            continue
        if division.level != "township":
            refused[code] = f"division {code} is a {division.level}, not a township"
            continue
        chains[code] = [a.code for a in geo_service.ancestors(session=session, scope=scope, code=code)]
    return chains, refused


def rollup_csv(*, session: Session, scope: Scope, text: str) -> RollupResult:
    """Roll a reports CSV up the tree. Any error (shape, repetition, unknown township) leaves no totals;
    the regime's cross-field rules only warn, each naming the line, the rule and the figures."""
    rows, errors = rollup.parse_reports_csv(text)
    chains, refused = township_chains(session=session, scope=scope, codes=[r.division for r in rows])
    errors += [f"line {r.line}: {refused[r.division]}" for r in rows if r.division in refused]
    if errors:
        errors.sort(key=lambda e: int(e.split(":", 1)[0].removeprefix("line ")))
        return RollupResult({}, errors, [])
    rules = regime.default_regime().rules
    warnings = [
        f"line {r.line}: {r.division}: rule {f.rule}: {f.message}"
        for r in rows
        for f in validation.check_figures(r.figures, rules)
    ]
    totals = rollup.rollup({r.division: r.figures for r in rows}, chains, rollup.CSV_FIELDS)
    return RollupResult(totals, [], warnings)
