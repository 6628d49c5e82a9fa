"""The regime's tables as xlsx (pure): export of an event's figures and all-or-nothing import of township rows.

Layout (our reading of the regime's 表式, status P — the 2020 表式 itself was not retrieved): one workbook,
two sheets. ``乡镇`` holds one row per township, ``汇总`` one row per county, prefecture and province. Each
sheet has a title in row 1, the Chinese column names with their units in row 2 (``受灾人口（人）``,
``直接经济损失（万元）``), the indicator codes in row 3 (what an import reads, so columns may be reordered or
left out), and data from row 4: column A the 12-digit division code, column B its name, then the figures.
Money is whole yuan inside the platform and 万元 in the tables, written with four decimals so that a
round trip is exact; an imported 万元 value must be a whole number of yuan.

Import reads only the ``乡镇`` sheet (a filled export imports back). Every problem is collected with its
sheet, row and column (letter and indicator code); one problem means nothing is imported.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

from yingji.disasters.regime import Indicator, Regime
from yingji.disasters.validation import division_problem
from yingji.numbers import nonnegative_decimal

TOWNSHIP_SHEET = "乡镇"
SUMMARY_SHEET = "汇总"
CODE_ROW, FIRST_DATA_ROW = 3, 4
UNIT_ZH = {"person": "人", "household": "户", "room": "间", "hectare": "公顷", "CNY": "万元"}
LEVEL_ZH = {"province": "省", "prefecture": "市", "county": "县", "township": "乡镇"}
MAX_ROWS = 20_000


class TableError(ValueError):
    """A workbook that cannot be read at all (not xlsx, no township sheet, bad code row)."""


@dataclass(frozen=True)
class TableRow:
    sheet: str
    row: int
    division: str
    figures: dict[str, int]


def column_letter(index: int) -> str:
    """1 → A, 27 → AA."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def header_zh(indicator: Indicator) -> str:
    return f"{indicator.zh}（{UNIT_ZH.get(indicator.unit, indicator.unit)}）"


def to_table_value(indicator: Indicator, value: int) -> int | float:
    """Yuan → 万元 (four decimals, exact); other units as they are."""
    return round(value / 10_000, 4) if indicator.unit == "CNY" else value


def export_workbook(
    regime: Regime,
    title: str,
    totals: Mapping[str, Mapping[str, int]],
    divisions: Mapping[str, tuple[str, str]],
) -> bytes:
    """The workbook of an event's totals. ``divisions`` maps a code to (name, level)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    townships = book.active
    assert townships is not None
    townships.title = TOWNSHIP_SHEET
    summary = book.create_sheet(SUMMARY_SHEET)
    indicators = regime.indicators
    for sheet, caption in ((townships, "乡镇（街道）灾情"), (summary, "各级汇总")):
        sheet.append([f"{title} — {caption} · {regime.document}"])
        sheet["A1"].font = Font(bold=True)
        sheet.append(["行政区划代码", "名称", *[header_zh(i) for i in indicators]])
        sheet.append(["division", "name", *[i.code for i in indicators]])
        sheet.freeze_panes = "C4"
    for code, figures in totals.items():
        name, level = divisions.get(code, ("", ""))
        target = townships if level == "township" else summary
        label = name if level == "township" else f"{name}（{LEVEL_ZH.get(level, level)}）"
        target.append([code, label, *[to_table_value(i, int(figures.get(i.code, 0))) for i in indicators]])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _count(indicator: Indicator, raw: Any) -> int:
    """A cell as a count in platform units, or ValueError with a sentence."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise ValueError("is empty (write 0 for none)")
    if isinstance(raw, bool):
        raise ValueError(f"must be a number (got {raw!r})")
    number = nonnegative_decimal(raw)
    if indicator.unit == "CNY":
        yuan = number * 10_000
        if yuan != yuan.to_integral_value():
            raise ValueError(f"{number:f} 万元 is not a whole number of yuan")
        return int(yuan)
    if number != number.to_integral_value():
        raise ValueError(f"must be a whole number (got {raw})")
    return int(number)


def read_township_rows(data: bytes | IO[bytes], regime: Regime, report_type: str) -> tuple[list[TableRow], list[str]]:
    """The township rows of a workbook and every problem found (``sheet 乡镇, row 5, column D (deaths): …``).
    A figure must be an indicator the report type carries; a division code appears once."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise TableError(f"not a readable xlsx workbook ({type(exc).__name__})") from None
    try:
        if TOWNSHIP_SHEET not in book.sheetnames:
            raise TableError(f"the workbook has no sheet {TOWNSHIP_SHEET!r} (sheets: {', '.join(book.sheetnames)})")
        rows = [list(r) for r in book[TOWNSHIP_SHEET].iter_rows(values_only=True)]
    finally:
        book.close()
    return parse_rows(rows, regime, report_type)


def parse_rows(rows: Sequence[Sequence[Any]], regime: Regime, report_type: str) -> tuple[list[TableRow], list[str]]:
    sheet = TOWNSHIP_SHEET
    if len(rows) < CODE_ROW:
        raise TableError(f"sheet {sheet}: row {CODE_ROW} must hold the indicator codes (division, name, …)")
    if len(rows) - CODE_ROW > MAX_ROWS:
        raise TableError(f"sheet {sheet}: more than {MAX_ROWS} rows")
    codes = ["" if c is None else str(c).strip() for c in rows[CODE_ROW - 1]]
    errors: list[str] = []
    if not codes or codes[0] != "division":
        raise TableError(f"sheet {sheet}, row {CODE_ROW}, column A: must be 'division' (the code row)")
    columns: dict[int, Indicator] = {}
    seen_codes: dict[str, int] = {}
    for index, code in enumerate(codes[1:], start=1):
        where = f"sheet {sheet}, row {CODE_ROW}, column {column_letter(index + 1)}"
        if not code or code == "name":
            continue
        try:
            indicator = regime.indicator(code)
        except KeyError:
            errors.append(f"{where}: unknown indicator {code!r}")
            continue
        if code in seen_codes:
            errors.append(f"{where}: indicator {code} repeats column {column_letter(seen_codes[code] + 1)}")
            continue
        seen_codes[code] = index
        if report_type not in indicator.reports:
            errors.append(f"{where}: indicator {code} is not carried by a {report_type} report")
            continue
        columns[index] = indicator
    if errors:
        return [], errors
    out: list[TableRow] = []
    first_line: dict[str, int] = {}
    for number, values in enumerate(rows[CODE_ROW:], start=FIRST_DATA_ROW):
        cells = list(values)
        if not any(v is not None and str(v).strip() for v in cells):
            continue
        division = "" if not cells or cells[0] is None else str(cells[0]).strip()
        row_errors: list[str] = []
        if problem := division_problem(division, first_line, number, "row"):
            row_errors.append(f"sheet {sheet}, row {number}, column A: {problem}")
        figures: dict[str, int] = {}
        for index, indicator in columns.items():
            raw = cells[index] if index < len(cells) else None
            try:
                figures[indicator.code] = _count(indicator, raw)
            except ValueError as exc:
                where = f"sheet {sheet}, row {number}, column {column_letter(index + 1)} ({indicator.code})"
                row_errors.append(f"{where}: {exc}")
        errors.extend(row_errors)
        if not row_errors:
            out.append(TableRow(sheet, number, division, figures))
    if not out and not errors:
        errors.append(f"sheet {sheet}: no township rows from row {FIRST_DATA_ROW}")
    return out, errors
