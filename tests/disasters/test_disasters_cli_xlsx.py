"""The reporting cycle from the command line, and the regime's xlsx tables: export in 万元, import of township
rows all or nothing with every problem named by sheet, row and column (both backends)."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from yingji.disasters import tables
from yingji.disasters.regime import default_regime

T1, T2 = "540223001000", "540223002000"
runner = CliRunner()


def cli(env: dict[str, str], *args: str) -> Any:
    from yingji.cli import app

    return runner.invoke(app, ["disaster", *args], env=env)


def workbook(rows: list[list[Any]], codes: list[str] | None = None) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = tables.TOWNSHIP_SHEET
    sheet.append(["title"])
    sheet.append(["行政区划代码", "名称"])
    sheet.append(["division", "name", *(codes or ["affected", "deaths", "direct_loss_cny"])])
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_cycle_export_and_import_from_the_command_line(db_url: str, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    env = {"YINGJI_DATABASE_URL": db_url}
    made = cli(env, "event-create", "--name", "定日洪涝", "--kind", "flood", "--division", "540223000000",
               "--started-at", "2026-07-01T10:00:00+08:00")  # fmt: skip
    assert made.exit_code == 0, made.output
    event = json.loads(made.output)["id"]
    sent = cli(env, "report", "--event", str(event), "--township", T1, "--figure", "affected=100",
               "--figure", "deaths=3", "--figure", "direct_loss_cny=1234500")  # fmt: skip
    assert sent.exit_code == 0, sent.output
    report = json.loads(sent.output)
    assert report["status"] == "submitted" and report["figures"]["deaths"] == 3
    assert cli(env, "missing", "--event", str(event)).output.split().count(T1) == 0
    assert T2 in cli(env, "missing", "--event", str(event)).output.split()
    accepted = cli(env, "review", str(report["id"]))
    assert accepted.exit_code == 0 and json.loads(accepted.output)["status"] == "county_accepted"
    totals = json.loads(cli(env, "totals", "--event", str(event)).output)["totals"]
    assert totals["540223000000"]["deaths"] == 3 and "000000000000" not in totals
    # export in the regime's layout: 万元 with four decimals, townships and summaries on their sheets
    out = tmp_path / "event.xlsx"
    assert cli(env, "export", "--event", str(event), "--out", str(out)).exit_code == 0
    book = load_workbook(out)
    codes = [c.value for c in book[tables.TOWNSHIP_SHEET][3]]
    loss_col = codes.index("direct_loss_cny")
    row = [c.value for c in book[tables.TOWNSHIP_SHEET][4]]
    assert row[0] == T1 and row[loss_col] == pytest.approx(123.45) and row[codes.index("deaths")] == 3
    assert "直接经济损失（万元）" in [c.value for c in book[tables.TOWNSHIP_SHEET][2]]
    summary = {r[0].value: r for r in book[tables.SUMMARY_SHEET].iter_rows(min_row=4)}
    assert set(summary) == {"540223000000", "540200000000", "540000000000"}
    # import: one bad cell anywhere refuses the whole file, naming sheet, row and column
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([[T1, None, 120, 3, 130], [T2, None, 10, -1, 0.00005]]))
    refused = cli(env, "import", "--event", str(event), "--file", str(bad), "--explanation", "复核")
    assert refused.exit_code == 2
    assert "sheet 乡镇, row 5, column D (deaths): must not be negative" in refused.output
    assert "sheet 乡镇, row 5, column E (direct_loss_cny): 0.00005 万元 is not a whole number of yuan" in refused.output
    listed = json.loads(cli(env, "reports", "--event", str(event)).output)
    assert len(listed) == 1  # nothing imported
    # a service refusal (a township outside the event) also names its row and keeps nothing
    outside = tmp_path / "outside.xlsx"
    outside.write_bytes(workbook([[T2, None, 5, 0, 1], ["540225001000", None, 5, 0, 1]]))
    refused = cli(env, "import", "--event", str(event), "--file", str(outside))
    assert refused.exit_code == 2 and "row 5, column A (540225001000)" in refused.output
    assert len(json.loads(cli(env, "reports", "--event", str(event)).output)) == 1
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook([[T1, None, 120, 3, 130], [T2, None, 10, 0, 0.5]]))
    imported = cli(env, "import", "--event", str(event), "--file", str(good))
    assert imported.exit_code == 0, imported.output
    listed = json.loads(cli(env, "reports", "--event", str(event)).output)
    assert [(r["township_code"], r["figures"].get("direct_loss_cny")) for r in listed[1:]] == [
        (T1, 1_300_000),
        (T2, 5000),
    ]
    assert listed[1]["corrects_id"] == report["id"] and listed[1]["report_type"] == "follow_up"


def test_an_export_imports_back_exactly() -> None:
    regime = default_regime()
    totals = {T1: {"affected": 7, "direct_loss_cny": 123_456_789, "houses_general_rooms": 4}, "540223000000": {}}
    data = tables.export_workbook(
        regime, "x", totals, {T1: ("曲当乡", "township"), "540223000000": ("定日县", "county")}
    )
    rows, errors = tables.read_township_rows(data, regime, "verified")  # 核报 carries every indicator
    assert errors == [] and len(rows) == 1 and rows[0].division == T1
    assert rows[0].figures["direct_loss_cny"] == 123_456_789 and rows[0].figures["houses_general_rooms"] == 4
    # an indicator the report type does not carry is a column error (sector losses are 核报 only)
    rows, errors = tables.read_township_rows(data, regime, "initial")
    assert rows == [] and any("column" in e and "not carried by a initial report" in e for e in errors)


@pytest.mark.parametrize(
    ("cells", "message"),
    [
        ([T1, None, 1.5, 0, 0], "row 4, column C (affected): must be a whole number"),
        ([T1, None, None, 0, 0], "row 4, column C (affected): is empty"),
        ([T1, None, "x", 0, 0], "row 4, column C (affected): must be a number"),
        (["54022300100", None, 1, 0, 0], "row 4, column A: '54022300100' is not a 12-digit division code"),
    ],
)
def test_each_bad_cell_is_named(cells: list[Any], message: str) -> None:
    _, errors = tables.read_township_rows(workbook([cells]), default_regime(), "follow_up")
    assert any(message in e for e in errors), errors


def test_repeated_rows_unknown_columns_and_unreadable_files() -> None:
    regime = default_regime()
    _, errors = tables.read_township_rows(workbook([[T1, None, 1, 0, 0], [T1, None, 1, 0, 0]]), regime, "follow_up")
    assert errors == [f"sheet 乡镇, row 5, column A: {T1} repeats row 4"]
    _, errors = tables.read_township_rows(workbook([], ["affected", "no_such"]), regime, "follow_up")
    assert errors == ["sheet 乡镇, row 3, column D: unknown indicator 'no_such'"]
    with pytest.raises(tables.TableError, match="not a readable xlsx"):
        tables.read_township_rows(b"not a workbook", regime, "follow_up")


def test_the_day_stabilised_of_the_event_and_of_a_county_from_the_command_line(db_url: str) -> None:
    env = {"YINGJI_DATABASE_URL": db_url}
    made = cli(env, "event-create", "--name", "日喀则洪涝", "--kind", "flood", "--division", "540200000000",
               "--started-at", "2026-07-01T10:00:00+08:00")  # fmt: skip
    assert made.exit_code == 0, made.output
    event = json.loads(made.output)["id"]
    whole = cli(env, "stabilised", "--event", str(event), "--on", "2026-07-01")
    assert whole.exit_code == 0, whole.output
    assert json.loads(whole.output)["stabilised_on"] == "2026-07-01"
    county = cli(env, "stabilised", "--event", str(event), "--county", "540225", "--on", "2026-07-02")
    assert county.exit_code == 0, county.output
    out = json.loads(county.output)
    assert out["stabilised_on"] == "2026-07-01"  # the event-wide day stays
    assert out["stabilised_counties"] == [{"county_code": "540225000000", "on": "2026-07-02"}]
    bad = cli(env, "stabilised", "--event", str(event), "--county", "5402", "--on", "2026-07-02")
    assert bad.exit_code == 2 and "--county" in bad.output
    outside = cli(env, "stabilised", "--event", str(event), "--county", "540100", "--on", "2026-07-02")
    # not a county of the event's area (`yingji` turns the domain error into exit 2 with one line)
    assert outside.exit_code != 0 and str(outside.exception) == "county not found"
