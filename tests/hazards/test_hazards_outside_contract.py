"""The work-safety "checked from outside" contract, run as an outsider does: real processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

YINGJI = str(Path(sys.executable).parent / "yingji")


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([YINGJI, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def bare_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """An environment whose database URL points at nothing that exists: identify must not touch it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env["YINGJI_DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('none')}/missing/nothing.db"
    return env


def test_identify_prints_only_the_json_document(bare_env: dict[str, str], tmp_path: Path) -> None:
    inventory = tmp_path / "unit.csv"
    inventory.write_text("substance,quantity_t\n液氯,60\n", encoding="utf-8")
    result = run(bare_env, "hazards", "identify", "--inventory", str(inventory), "--exposed-people", "60", "--json")
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc == {
        "major": True,
        "s": 12,
        "r": 72,
        "grade": 2,
        "lines": [{"substance": "氯", "cas": "7782-50-5", "quantity_t": 60, "critical_t": 5, "beta": 4}],
    }


def test_identify_not_major_has_null_r_and_grade(bare_env: dict[str, str], tmp_path: Path) -> None:
    inventory = tmp_path / "unit.csv"
    inventory.write_text("substance,quantity_t\n7664-41-7,2.5\n", encoding="utf-8")
    doc = json.loads(
        run(bare_env, "hazards", "identify", "--inventory", str(inventory), "--exposed-people", "0", "--json").stdout
    )
    assert doc["major"] is False and doc["s"] == 0.25 and doc["r"] is None and doc["grade"] is None


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ("substance,quantity_t\n氨,1\n不存在的物质,2\n", "line 3"),
        ("substance,quantity_t\n氨,-1\n", "line 2"),
        ("substance,quantity_t\n氨,lots\n", "line 2"),
        ("氨,1\n", "line 1"),
    ],
)
def test_identify_bad_input_exits_2_naming_the_line(
    bare_env: dict[str, str], tmp_path: Path, content: str, line: str
) -> None:
    inventory = tmp_path / "unit.csv"
    inventory.write_text(content, encoding="utf-8")
    result = run(bare_env, "hazards", "identify", "--inventory", str(inventory), "--exposed-people", "5", "--json")
    assert result.returncode == 2 and result.stdout == "" and line in result.stderr


@pytest.fixture(scope="module")
def db_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    env["YINGJI_DATABASE_URL"] = f"sqlite:///{tmp_path_factory.mktemp('ent')}/yingji.db"
    assert run(env, "db", "upgrade").returncode == 0
    return env


def test_enterprise_import_all_or_nothing_then_list_json(db_env: dict[str, str], tmp_path: Path) -> None:
    from openpyxl import Workbook

    bad = tmp_path / "bad.csv"
    bad.write_text("name,credit_code,division\n甲,91350100M000100Y43,110101\n乙,91110000600037341X,110102\n", "utf-8")
    refused = run(db_env, "enterprise", "import", str(bad))
    assert refused.returncode == 2 and "row 3" in refused.stderr
    assert json.loads(run(db_env, "enterprise", "list", "--json").stdout) == []
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["name", "credit_code", "division", "headcount"])
    sheet.append(["甲", "91350100M000100Y43", "110101", 30])
    sheet.append(["乙", "91110000600037341L", "110102000000", None])
    book.save(tmp_path / "good.xlsx")
    stored = run(db_env, "enterprise", "import", str(tmp_path / "good.xlsx"))
    assert stored.returncode == 0, stored.stderr
    rows = json.loads(run(db_env, "enterprise", "list", "--json").stdout)
    assert [(r["name"], r["credit_code"], r["division_code"]) for r in rows] == [
        ("甲", "91350100M000100Y43", "110101000000"),
        ("乙", "91110000600037341L", "110102000000"),
    ]
