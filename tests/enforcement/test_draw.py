"""The random draw (双随机): constraints, reproducibility, refusals, verify — pure and through the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from yingji.cli import app
from yingji.enforcement import draw

ENTERPRISES = "id,name\nE1,甲\nE2,乙\nE3,丙\nE4,丁\nE5,戊\n"
INSPECTORS = "id,ties\nI1,E1;E2\nI2,\nI3,E3\nI4,E5\n"


@pytest.fixture()
def files(tmp_path: Path) -> tuple[Path, Path]:
    e, i = tmp_path / "E.csv", tmp_path / "I.csv"
    e.write_text(ENTERPRISES, encoding="utf-8")
    i.write_text(INSPECTORS, encoding="utf-8")
    return e, i


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["enforcement", *args])
    return result.exit_code, result.output


def _args(files: tuple[Path, Path], count: int, seed: str) -> list[str]:
    return ["--enterprises", str(files[0]), "--inspectors", str(files[1]), "--count", str(count), "--seed", seed]


def test_draw_prints_distinct_enterprises_and_untied_distinct_pairs(files: tuple[Path, Path]) -> None:
    code, out = _run("draw", *_args(files, 4, "s1"), "--json")
    assert code == 0
    result = json.loads(out)
    assert set(result) >= {"pairs", "digest"}
    enterprises = [p["enterprise"] for p in result["pairs"]]
    assert len(enterprises) == len(set(enterprises)) == 4
    ties = {"I1": {"E1", "E2"}, "I3": {"E3"}, "I4": {"E5"}}
    for pair in result["pairs"]:
        a, b = pair["inspectors"]
        assert a != b
        assert all(pair["enterprise"] not in ties.get(i, set()) for i in (a, b))


def test_same_files_and_seed_give_the_same_output_in_a_fresh_process(files: tuple[Path, Path]) -> None:
    def fresh() -> str:
        command = [sys.executable, "-m", "yingji", "enforcement", "draw", *_args(files, 3, "seed"), "--json"]
        return subprocess.run(command, check=True, capture_output=True, text=True).stdout

    first = fresh()
    assert first == fresh()
    assert json.loads(first) == json.loads(_run("draw", *_args(files, 3, "seed"), "--json")[1])


def test_another_seed_gives_another_draw() -> None:
    inputs = draw.read_inputs("id\n" + "".join(f"E{n}\n" for n in range(50)), "id,ties\nA,\nB,\nC,\nD,\n")
    results = {draw.draw(inputs, count=10, seed=str(s)).pairs for s in range(5)}
    assert len(results) == 5


def test_row_order_of_the_files_does_not_change_the_draw() -> None:
    a = draw.read_inputs(ENTERPRISES, INSPECTORS)
    shuffled_e = "id,name\n" + "".join(reversed(ENTERPRISES.splitlines(keepends=True)[1:]))
    shuffled_i = "id,ties\nI4,E5\nI3,E3\nI2,\nI1,E2;E1\n"
    b = draw.read_inputs(shuffled_e, shuffled_i)
    assert draw.draw(a, count=3, seed="x").as_json() == draw.draw(b, count=3, seed="x").as_json()


def test_count_larger_than_the_enterprises_exits_2(files: tuple[Path, Path]) -> None:
    code, out = _run("draw", *_args(files, 6, "s"), "--json")
    assert code == 2
    assert "larger than the 5 enterprises" in out


def test_a_pair_that_cannot_be_staffed_exits_2(tmp_path: Path) -> None:
    e, i = tmp_path / "E.csv", tmp_path / "I.csv"
    e.write_text("id\nE1\n", encoding="utf-8")
    i.write_text("id,ties\nI1,\nI2,E1\nI3,E1\n", encoding="utf-8")
    code, out = _run("draw", *_args((e, i), 1, "s"), "--json")
    assert code == 2
    assert "cannot be staffed" in out


def test_missing_column_and_duplicate_ids_exit_2(tmp_path: Path) -> None:
    e, i = tmp_path / "E.csv", tmp_path / "I.csv"
    e.write_text("code\nE1\n", encoding="utf-8")
    i.write_text("id,ties\nI1,\nI2,\n", encoding="utf-8")
    assert _run("draw", *_args((e, i), 1, "s"))[0] == 2
    e.write_text("id\nE1\nE1\n", encoding="utf-8")
    code, out = _run("draw", *_args((e, i), 1, "s"))
    assert code == 2 and "more than once" in out


def test_verify_accepts_the_stored_draw_and_refuses_an_altered_one(files: tuple[Path, Path], tmp_path: Path) -> None:
    code, out = _run("draw", *_args(files, 3, "s9"), "--json")
    stored = tmp_path / "draw.json"
    stored.write_text(out, encoding="utf-8")
    inputs = ["--enterprises", str(files[0]), "--inspectors", str(files[1])]
    assert _run("verify", str(stored), *inputs)[0] == 0
    altered = json.loads(out)
    altered["pairs"][0]["inspectors"].reverse()
    stored.write_text(json.dumps(altered), encoding="utf-8")
    code, message = _run("verify", str(stored), *inputs)
    assert code == 2 and "different result" in message
    files[0].write_text(ENTERPRISES + "E6,己\n", encoding="utf-8")
    stored.write_text(out, encoding="utf-8")
    code, message = _run("verify", str(stored), *inputs)
    assert code == 2 and "input lists differ" in message


@st.composite
def _cases(draw_: st.DrawFn) -> tuple[draw.Inputs, int, str]:
    n_e = draw_(st.integers(1, 30))
    n_i = draw_(st.integers(2, 12))
    enterprises = [f"E{k}" for k in range(n_e)]
    rows = []
    for k in range(n_i):
        ties = draw_(st.lists(st.sampled_from(enterprises), max_size=n_e))
        rows.append(f"I{k},{';'.join(ties)}\n")
    inputs = draw.read_inputs("id\n" + "\n".join(enterprises) + "\n", "id,ties\n" + "".join(rows))
    return inputs, draw_(st.integers(1, n_e)), draw_(st.text(max_size=12))


@settings(max_examples=200, deadline=None)
@given(_cases())
def test_every_draw_meets_the_constraints_or_is_refused_for_a_reason(case: tuple[draw.Inputs, int, str]) -> None:
    inputs, count, seed = case
    try:
        result = draw.draw(inputs, count=count, seed=seed)
    except draw.DrawError as exc:
        assert "cannot be staffed" in str(exc)
        assert any(len(inputs.inspectors) - len(t) < 2 for t in inputs.ties.values())
        return
    assert len({e for e, _ in result.pairs}) == count
    for enterprise, (a, b) in result.pairs:
        assert a != b
        assert a not in inputs.ties.get(enterprise, frozenset())
        assert b not in inputs.ties.get(enterprise, frozenset())
    assert draw.verify(result.as_json(), inputs).digest == result.digest
