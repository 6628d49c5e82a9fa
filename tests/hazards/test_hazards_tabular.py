"""Reading a register, pure: xlsx rows keep their numbers in the file (blank rows skipped, not renumbered),
numbers read as the sheet shows them, and a damaged workbook is a clear error."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from openpyxl import Workbook

from yingji.hazards.tabular import TableError, read_table


def test_xlsx_rows_keep_their_numbers_and_values(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append([" Name ", "CREDIT_CODE", "division", "headcount", "since"])
    sheet.append(["甲", "91110101000000001X", 110101, 50, dt.date(2020, 5, 1)])
    sheet.append([None, None, None, None, None])  # blank row 3: skipped
    sheet.append(["乙", "", "110102", 12.5, None])
    path = tmp_path / "r.xlsx"
    book.save(path)
    seen: list[int] = []
    table = read_table(path, progress=seen.append)
    assert table.header == ("name", "credit_code", "division", "headcount", "since")
    assert [n for n, _ in table.rows] == [2, 4]
    first, second = (row for _, row in table.rows)
    assert first["division"] == "110101" and first["headcount"] == "50" and first["since"].startswith("2020-05-01")
    assert second == {"name": "乙", "credit_code": "", "division": "110102", "headcount": "12.5", "since": ""}


def test_a_header_not_in_row_1_is_refused(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A2"] = "name"
    path = tmp_path / "late.xlsx"
    book.save(path)
    with pytest.raises(TableError, match="row 1 must be the header"):
        read_table(path)


def test_a_damaged_workbook_is_a_table_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(TableError, match="not a readable xlsx workbook"):
        read_table(path)
