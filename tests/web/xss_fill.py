"""Script-bearing values in every text column of every table, for the XSS test (test_xss_browser.py).

The columns come from the SQLAlchemy models' metadata (``yingji.models_registry``), so a table or column
added later is filled by default. A column is left out only when a rule below names it with the reason —
keys, division codes, secrets, and values the code maps through a fixed table — or when the database
itself refuses the change (a CHECK constraint, or the audit log's append-only trigger: then no request can
store a script there either).

Every payload carries the number of its column, so a hit names the column that leaked. If executed, a
payload sets ``top.xss`` or loads ``/xss-canary/<n>/…``; the test watches both, and the browser's
``securitypolicyviolation`` events (the CSP blocks what the escaping missed, and says so)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from yingji.db import Base
from yingji.models_registry import import_all_models

CANARY = "/xss-canary/"

# Generic rules: (test on the column, reason). A new column is filled unless one of these names it.
RULES: list[tuple[Callable[[sa.Column[object]], bool], str]] = [
    (lambda c: c.primary_key or bool(c.foreign_keys), "a key: it joins rows, and only checked codes or ids fit"),
    (
        lambda c: c.name == "division_code" or c.name.endswith("_division_code"),
        "a 12-digit division code checked at the edge; jurisdiction scoping reads it",
    ),
    (lambda c: c.name in {"password_hash", "digest"}, "a secret's hash: never shown"),
    (
        lambda c: c.name in ENUM_NAMES,
        "an enumeration checked at the edge (pydantic Literal/Enum): code maps it, pages show its label",
    ),
]
ENUM_NAMES = {
    "status", "state", "kind", "level", "grade", "priority", "channel", "incident_type", "item", "action",
    "method", "solver_status", "readiness", "specialty", "road_class", "quantity", "role",
}  # fmt: skip

# Columns the code maps through a fixed table (an enumeration checked at the edge: the pages show its
# label, never the raw value), or that must stay valid for the test to sign in and see the rows.
SKIP: dict[str, str] = {
    "users.username": "the national admin signs in with it; usernames are checked against ^[a-z0-9_.-]+$",
    "incidents.leading_government": "an enumeration (the level of government leading the response)",
    "incidents.rules_version": "names the grading rules version: the rules are looked up by it",
    "grading_overrides.applies_to": "an incident type (enumeration) the override applies to",
    "monitored_sites.rules_yaml": "rule definitions parsed by the rule engine (validated YAML at the edge)",
    "monitoring_dead_letters.reason": "an enumeration of rejection reasons",
    "public_warnings.source": "an enumeration (issued here or received)",
    "public_warnings.type": "a warning type from the catalogue (enumeration): its name is looked up",
    "relief_plans.source": "an enumeration (explicit demands or derived from an incident)",
    "response_plans.plan_id": "a plan key of the shipped catalogue: the plan is looked up by it",
    "incident_response_actions.plan_id": "a plan key of the shipped catalogue",
    "incident_tasks.plan_id": "a plan key of the shipped catalogue",
    "incident_tasks.plan_task_key": "a task key of the shipped plan catalogue",
    "incident_reports_made.key": "a report kind key of the reporting clock (enumeration)",
    "incident_timeline.kind": "an enumeration of timeline entries (labels from the catalogue)",
}


@dataclass
class Filled:
    columns: dict[int, str] = field(default_factory=dict)  # payload number -> "table.column"
    skipped: dict[str, str] = field(default_factory=dict)  # "table.column" -> reason
    empty_tables: list[str] = field(default_factory=list)


def _pieces(n: int) -> list[str]:
    """The payload's parts, most telling first: HTML element with a canary load and a handler, attribute
    breakouts (double and single quotes), a </script> breakout, template-literal and JS-string breaks."""
    return [
        f"<img src={CANARY}{n}/a onerror=top.xss={n}>",
        f'"><svg onload=top.xss={n}>',
        f"</script><script>top.xss={n}</script>",
        f"'><img src={CANARY}{n}/b onerror=top.xss={n}>",
        f"${{top.xss={n}}}",
        f"';top.xss={n};'",
        f"<img src={CANARY}{n}/c>",
    ]


def payload(n: int, limit: int | None, reserve: int = 10) -> str | None:
    """A script-bearing value for column ``n`` that fits ``limit`` characters with ``reserve`` left for the
    row's key (appended), or None when no telling payload fits."""
    room = (limit - reserve) if limit else 10_000
    url = f"javascript:top.xss={n}//"  # a value used as a link target
    chosen: list[str] = []
    for piece in _pieces(n):
        if len(url) + sum(map(len, chosen)) + len(piece) <= room or (not chosen and len(piece) <= room):
            chosen.append(piece)
    if not chosen:
        return None
    text = "".join(chosen)
    return url + text if len(url) + len(text) <= room else text


def text_columns() -> list[tuple[sa.Table, sa.Column[object]]]:
    import_all_models()
    return [
        (table, column)
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if isinstance(column.type, sa.String)  # Text, Unicode and UnicodeText are Strings too
    ]


def skip_reason(table: sa.Table, column: sa.Column[object]) -> str | None:
    name = f"{table.name}.{column.name}"
    if name in SKIP:
        return SKIP[name]
    return next((reason for test, reason in RULES if test(column)), None)


def fill(engine: Engine) -> Filled:
    """Overwrite every fillable text column of every row with its payload (plus the row's id, so unique
    columns stay unique)."""
    out = Filled()
    number = 0
    with engine.begin() as conn:
        for table, column in text_columns():
            name = f"{table.name}.{column.name}"
            reason = skip_reason(table, column)
            key = next(iter(table.primary_key.columns))
            if reason is None:
                number += 1
                reserve = getattr(key.type, "length", None) or 10  # a code key (12 digits) or an integer id
                value = payload(number, getattr(column.type, "length", None), reserve)
                if value is None:
                    reason = f"too short ({column.type}) for any script-bearing value"
            if reason is not None:
                out.skipped[name] = reason
                continue
            assert value is not None
            try:
                with conn.begin_nested():
                    conn.execute(
                        sa.update(table).values({column.name: sa.literal(value, sa.String) + sa.cast(key, sa.String)})
                    )
            except DBAPIError as exc:
                why = str(exc.orig).splitlines()[0][:120]
                out.skipped[name] = f"the database refuses the change (a CHECK, an append-only trigger): {why}"
                continue
            out.columns[number] = name
        for table in Base.metadata.sorted_tables:
            if conn.execute(sa.select(sa.func.count()).select_from(table)).scalar() == 0:
                out.empty_tables.append(table.name)
    return out
