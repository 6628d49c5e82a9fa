"""Roll township figures up the division tree (pure), and read the roll-up CSV.

The CSV (docs/disasters.md, the command's contract) has the header
``division,affected,deaths,missing,relocated,houses_collapsed_households,direct_loss_cny`` and one row per
township; counts are non-negative integers, ``direct_loss_cny`` whole yuan. Reading collects every problem
with its line number so one run names them all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from yingji.disasters.validation import CountError, division_problem, parse_count

CSV_FIELDS: tuple[str, ...] = (
    "affected",
    "deaths",
    "missing",
    "relocated",
    "houses_collapsed_households",
    "direct_loss_cny",
)
CSV_HEADER: tuple[str, ...] = ("division", *CSV_FIELDS)


@dataclass(frozen=True)
class ReportRow:
    line: int
    division: str
    figures: dict[str, int]


def parse_reports_csv(text: str) -> tuple[list[ReportRow], list[str]]:
    """Rows and errors (``line N: …``). Division codes are checked for shape (12 digits) and repetition
    here; whether each is a township of the loaded divisions is the caller's check."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = next(reader, None)
    if header is None:
        return [], ["line 1: empty file: expected the header " + ",".join(CSV_HEADER)]
    names = [h.strip() for h in header]
    missing = [h for h in CSV_HEADER if h not in names]
    unknown = [h for h in names if h not in CSV_HEADER]
    if missing or unknown or len(set(names)) != len(names):
        detail = "; ".join(
            part
            for part in (
                f"missing columns {', '.join(missing)}" if missing else "",
                f"unknown columns {', '.join(unknown)}" if unknown else "",
                "repeated columns" if len(set(names)) != len(names) else "",
            )
            if part
        )
        return [], [f"line 1: bad header ({detail}): expected " + ",".join(CSV_HEADER)]
    rows: list[ReportRow] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for values in reader:
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(names):
            errors.append(f"line {line}: expected {len(names)} fields, got {len(values)}")
            continue
        record = dict(zip(names, values, strict=True))
        code = record["division"].strip()
        row_errors: list[str] = []
        if problem := division_problem(code, seen, line, "line"):
            row_errors.append(f"division {problem}")
        figures: dict[str, int] = {}
        for name in CSV_FIELDS:
            try:
                figures[name] = parse_count(record[name], name)
            except CountError as exc:
                row_errors.append(str(exc))
        errors.extend(f"line {line}: {e}" for e in row_errors)
        if not row_errors:
            rows.append(ReportRow(line, code, figures))
    return rows, errors


def rollup(
    figures: Mapping[str, Mapping[str, int]], chains: Mapping[str, Sequence[str]], fields: Sequence[str]
) -> dict[str, dict[str, int]]:
    """Totals for every township given and every ancestor in its chain: each the sum of the townships
    under it. ``chains`` maps a township to its ancestors' codes. Keys come out sorted."""
    totals: dict[str, dict[str, int]] = {}
    for township, values in figures.items():
        for code in (township, *chains[township]):
            entry = totals.setdefault(code, dict.fromkeys(fields, 0))
            for name in fields:
                entry[name] += int(values.get(name, 0))
    return {code: totals[code] for code in sorted(totals)}
