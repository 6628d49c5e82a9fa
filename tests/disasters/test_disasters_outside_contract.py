"""Issue #17 "checked from outside": ``yingji disaster rollup --reports FILE.csv --json`` as real processes
over a database loaded by ``demo load``, with expected sums worked out from ``division`` commands' output."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

YINGJI = str(Path(sys.executable).parent / "yingji")
HEADER = "division,affected,deaths,missing,relocated,houses_collapsed_households,direct_loss_cny"
FIELDS = HEADER.split(",")[1:]


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([YINGJI, *args], env=env, capture_output=True, text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    db = tmp_path_factory.mktemp("disaster-outside") / "yingji.db"
    environ = {k: v for k, v in os.environ.items() if not k.startswith("YINGJI_")}
    environ["YINGJI_DATABASE_URL"] = f"sqlite:///{db}"
    assert run(environ, "db", "upgrade").returncode == 0
    loaded = run(environ, "demo", "load")
    assert loaded.returncode == 0, loaded.stderr
    return environ


def townships(env: dict[str, str], county: str) -> list[str]:
    rows = json.loads(run(env, "division", "list", "--parent", county, "--json").stdout)
    return [r["code"] for r in rows if r["level"] == "township"]


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "reports.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def test_rollup_gives_each_township_and_every_ancestor_as_the_sum_below(env: dict[str, str], tmp_path: Path) -> None:
    dingri = townships(env, "540223000000")[:3]
    other = townships(env, "540222000000")[:1]
    assert len(dingri) == 3 and other
    given = {code: [10 * (i + 1), i, 1, 5 * i, i, 123456789 + i] for i, code in enumerate(dingri + other)}
    path = write(tmp_path, [",".join([code, *map(str, v)]) for code, v in given.items()])
    result = run(env, "disaster", "rollup", "--reports", str(path), "--json")
    assert result.returncode == 0, result.stderr
    totals = json.loads(result.stdout)["totals"]  # stdout is only the JSON
    ancestors = {code: json.loads(run(env, "division", "show", code, "--json").stdout)["ancestors"] for code in given}
    # county, prefecture and province: the national root is no reporting level
    expected_keys = set(given) | {a for chain in ancestors.values() for a in chain if a != "000000000000"}
    assert {"540223000000", "540222000000", "540200000000", "540000000000"} <= expected_keys
    assert set(totals) == expected_keys
    for code, figures in totals.items():
        below = [t for t in given if t == code or code in ancestors[t]]
        assert figures == {f: sum(given[t][i] for t in below) for i, f in enumerate(FIELDS)}, code
        assert all(type(v) is int for v in figures.values())


def test_cross_field_rules_warn_on_stderr_and_still_give_totals(env: dict[str, str], tmp_path: Path) -> None:
    code = townships(env, "540223000000")[0]
    path = write(tmp_path, [f"{code},4,3,2,9,0,0"])  # deaths + missing > affected; relocated > affected
    result = run(env, "disaster", "rollup", "--reports", str(path), "--json")
    assert result.returncode == 0
    assert json.loads(result.stdout)["totals"][code]["deaths"] == 3
    assert "deaths_missing_le_affected" in result.stderr and "relocated_le_affected" in result.stderr
    assert "line 2" in result.stderr


@pytest.mark.parametrize(
    "row,words",
    [
        ("{t},1,0,0,0,0,0\n{t},1,0,0,0,0,0", "line 3"),  # repeated township
        ("540223000000,1,0,0,0,0,0", "line 2"),  # a county, not a township
        ("540225999000,1,0,0,0,0,0", "line 2"),  # not a loaded division
        ("{t},1,-1,0,0,0,0", "line 2"),  # negative
        ("{t},1,0,0,0,0,2.5", "line 2"),  # not an integer
        ("{t},1,0,0,0,,0", "line 2"),  # empty is not an integer
    ],
)
def test_bad_rows_exit_2_naming_the_line_with_no_totals(
    env: dict[str, str], tmp_path: Path, row: str, words: str
) -> None:
    code = townships(env, "540223000000")[0]
    path = write(tmp_path, row.format(t=code).split("\n"))
    result = run(env, "disaster", "rollup", "--reports", str(path), "--json")
    assert result.returncode == 2
    assert result.stdout == ""
    assert words in result.stderr and "Traceback" not in result.stderr
