"""The enterprise register: import all or nothing (CSV and xlsx), errors naming row and column, idempotent
re-import, the national uniqueness of the credit code without revealing where."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.orm import Session
from tests.api.cases_hazards import new_credit_code

from yingji.auth.scope import Scope, system_scope
from yingji.errors import Conflict
from yingji.hazards.enterprises import service
from yingji.hazards.enterprises.models import Enterprise
from yingji.hazards.enterprises.schemas import EnterpriseIn
from yingji.hazards.errors import ImportRejected
from yingji.hazards.tabular import read_table

COUNTY = Scope(actor="dingri", division_code="540223000000", prefix="540223",
               permissions=frozenset({"hazards:read", "hazards:write"}))  # fmt: skip


def write_csv(path: Path, rows: list[str]) -> Path:
    path.write_text("name,credit_code,division,supervision_category,headcount\n" + "\n".join(rows) + "\n", "utf-8")
    return path


def count(session: Session) -> int:
    return len(session.query(Enterprise).all())


def test_a_bad_check_digit_rejects_the_whole_file_naming_row_and_column(session: Session, tmp_path: Path) -> None:
    good, bad = new_credit_code(), new_credit_code()
    bad = bad[:17] + ("0" if bad[17] != "0" else "1")
    table = read_table(write_csv(tmp_path / "e.csv", [f"甲,{good},540223,工贸,10", f"乙,{bad},540223,工贸,5"]))
    with pytest.raises(ImportRejected, match=r"row 3, column credit_code: .*wrong check digit"):
        service.import_table(session=session, scope=system_scope(), table=table)
    assert count(session) == 0


def test_errors_name_each_row_and_column(session: Session, tmp_path: Path) -> None:
    code = new_credit_code()
    rows = [f"甲,{code},5402,工贸,10", f"乙,{new_credit_code()},540223,化工,x", f"丙,{code},540223,工贸,1"]
    with pytest.raises(ImportRejected) as caught:
        service.import_table(
            session=session, scope=system_scope(), table=read_table(write_csv(tmp_path / "e.csv", rows))
        )
    detail = caught.value.detail
    assert "row 2, column division" in detail and "row 3, column supervision_category" in detail
    assert "row 3, column headcount" in detail and "row 4, column credit_code" in detail


def test_missing_required_column_is_refused(session: Session, tmp_path: Path) -> None:
    path = tmp_path / "e.csv"
    path.write_text("name,division\n甲,540223\n", "utf-8")
    with pytest.raises(ImportRejected, match="row 1: missing column"):
        service.import_table(session=session, scope=system_scope(), table=read_table(path))


def test_xlsx_import_then_reimport_changes_nothing(session: Session, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "credit_code", "division", "headcount", "risk_color"])
    codes = [new_credit_code() for _ in range(3)]
    for i, code in enumerate(codes):
        sheet.append([f"企业{i}", code, 540223000000, 10 + i, "blue"])
    path = tmp_path / "e.xlsx"
    book.save(path)
    first = service.import_table(session=session, scope=system_scope(), table=read_table(path))
    again = service.import_table(session=session, scope=system_scope(), table=read_table(path))
    assert (first.created, first.updated, again.created, again.updated) == (3, 0, 0, 3)
    rows, total = service.list_enterprises(session=session, scope=system_scope(), limit=None)
    assert total == 3 and {r.credit_code for r in rows} == set(codes) and rows[0].headcount == 10


def test_a_code_held_in_another_jurisdiction_is_refused_without_saying_where(session: Session) -> None:
    code = new_credit_code()
    service.create(session=session, scope=system_scope(),
                   enterprise_in=EnterpriseIn(name="拉孜企业", credit_code=code, division_code="540225"))  # fmt: skip
    with pytest.raises(Conflict) as caught:
        service.create(session=session, scope=COUNTY,
                       enterprise_in=EnterpriseIn(name="x", credit_code=code, division_code="540223"))  # fmt: skip
    assert "540225" not in caught.value.detail and "拉孜" not in caught.value.detail
    assert service.list_enterprises(session=session, scope=COUNTY)[1] == 0
