"""Validation of disaster figures (pure): counts at the edge, then the regime's rules as data.

A refusal (``CountError``) is for a figure that is not a count at all: negative, fractional, not a number.
The rules of ``standards/disasters/validation-rules-*.yaml`` give *findings*: each names its rule and the
figures it compared, so a reviewer (or the CLI's stderr) can show exactly what disagrees.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from yingji.disasters.regime import Rule

_DIGITS = re.compile(r"[0-9]+")


class CountError(ValueError):
    """A value that is not a non-negative integer count."""


def parse_count(raw: object, name: str) -> int:
    """A non-negative integer from text or a number; anything else raises ``CountError`` naming it."""
    if isinstance(raw, bool):
        raise CountError(f"{name} must be a non-negative integer (got {raw!r})")
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not raw.is_integer():
            raise CountError(f"{name} must be a whole number (got {raw!r})")
        value = int(raw)
    else:
        text = str(raw).strip()
        if text.startswith("-") and _DIGITS.fullmatch(text[1:].replace(".", "", 1) or "x"):
            raise CountError(f"{name} must not be negative (got {text!r})")
        if not _DIGITS.fullmatch(text):
            raise CountError(f"{name} must be a non-negative integer (got {text!r})")
        value = int(text)
    if value < 0:
        raise CountError(f"{name} must not be negative (got {value})")
    return value


def division_problem(code: str, first_at: dict[str, int], at: int, unit: str) -> str | None:
    """Why a row's division code cannot be taken (not 12 digits, or given already at an earlier ``unit``:
    line, row), or None: taken, and remembered in ``first_at`` as given at ``at``."""
    if len(code) != 12 or not code.isdigit():
        return f"{code!r} is not a 12-digit division code"
    if code in first_at:
        return f"{code} repeats {unit} {first_at[code]}"
    first_at[code] = at
    return None


@dataclass(frozen=True)
class Finding:
    """One failed rule: its code, a sentence, and the figures it compared."""

    rule: str
    message: str
    figures: dict[str, int] = field(default_factory=dict)


def check_figures(figures: Mapping[str, int], rules: Iterable[Rule]) -> list[Finding]:
    """The ``sum_le`` rules on one set of figures. A rule whose total is not given, or none of whose parts
    is given, is skipped (an absent part counts 0)."""
    findings: list[Finding] = []
    for rule in rules:
        if rule.kind != "sum_le" or rule.total is None or rule.total not in figures:
            continue
        given = [p for p in rule.parts if p in figures]
        if not given:
            continue
        parts_sum = sum(figures[p] for p in given)
        total = figures[rule.total]
        if parts_sum > total:
            shown = {p: figures[p] for p in given} | {rule.total: total}
            lhs = " + ".join(f"{p} {figures[p]}" for p in given)
            findings.append(
                Finding(
                    rule.code,
                    f"{lhs} = {parts_sum} > {rule.total} {total}"
                    if len(given) > 1
                    else f"{lhs} > {rule.total} {total}",
                    shown,
                )
            )
    return findings


def relative_change(old: int, new: int) -> float:
    """|new − old| / old, with old taken as at least 1 (so a rise from zero counts as a change of ``new``)."""
    return abs(new - old) / max(old, 1)


def check_jump(
    previous: Mapping[str, int], current: Mapping[str, int], rules: Iterable[Rule], *, explanation: str | None
) -> list[Finding]:
    """The ``jump`` rules between consecutive reports: a change beyond the ratio (strictly greater) needs a
    written explanation; with one given, nothing is found."""
    if explanation is not None and explanation.strip():
        return []
    findings: list[Finding] = []
    for rule in rules:
        if rule.kind != "jump" or rule.ratio is None:
            continue
        for name in rule.indicators:
            if name not in previous or name not in current:
                continue
            old, new = previous[name], current[name]
            change = relative_change(old, new)
            if change > rule.ratio:
                findings.append(
                    Finding(
                        rule.code,
                        f"{name} changed from {old} to {new} ({change:.0%} > {rule.ratio:.0%}): explanation needed",
                        {f"{name}_previous": old, name: new},
                    )
                )
    return findings


def check_children_sum(
    parent_figures: Mapping[str, int], children_sum: Mapping[str, int], rules: Iterable[Rule]
) -> list[Finding]:
    """The ``children_sum_eq`` rules: each figure the parent gives must equal its townships' sum."""
    findings: list[Finding] = []
    for rule in rules:
        if rule.kind != "children_sum_eq":
            continue
        for name, own in parent_figures.items():
            summed = children_sum.get(name, 0)
            if own != summed:
                findings.append(
                    Finding(
                        rule.code,
                        f"{name}: own figure {own} ≠ townships' sum {summed}",
                        {name: own, f"{name}_sum": summed},
                    )
                )
    return findings
