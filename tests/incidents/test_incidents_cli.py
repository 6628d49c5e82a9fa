"""``yingji incident grade`` as checked from outside: one JSON object; bad input exits 2 naming the option."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml

from yingji import cli


def _run(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["yingji", "incident", "grade", *args])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    out, err = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 0), out, err


def test_grade_prints_one_json_object(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = _run(["--type", "coal_mine", "--deaths", "3", "--json"], monkeypatch, capsys)
    data = json.loads(out)
    assert code == 0
    assert (data["grade"], data["response_level"]) == ("relatively_serious", 3)
    assert data["basis"][0]["source"]["document"].startswith("生产安全事故报告和调查处理条例")


def test_grade_earthquake_initial(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--type", "earthquake", "--magnitude", "6.2", "--population-density", "dense", "--json"]
    _, out, _ = _run(args, monkeypatch, capsys)
    assert json.loads(out)["grade"] == "particularly_serious"


def test_grade_relief_uses_collapsed_rooms(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = _run(["--type", "flood", "--collapsed-rooms", "10000", "--json"], monkeypatch, capsys)
    data = json.loads(out)
    assert (data["grade"], data["response_level"]) == (None, 4)


def test_grade_with_older_rules_version(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--type", "flood", "--deaths", "20", "--missing", "0", "--rules-version", "relief-2016", "--json"]
    _, out, _ = _run(args, monkeypatch, capsys)
    assert json.loads(out)["rules_version"] == "relief-2016"


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["--type", "volcano"], "--type"),
        (["--type", "flood", "--rules-version", "1999"], "--rules-version"),
        (["--type", "flood", "--deaths", "-1"], "--deaths"),
        (["--type", "fire", "--direct-loss-cny", "-5"], "--direct-loss-cny"),
        (["--type", "earthquake", "--population-density", "crowded"], "--population-density"),
        (["--type", "earthquake", "--magnitude", "6"], "--population-density"),
    ],
)
def test_bad_input_exits_2_naming_the_option(
    args: list[str], option: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = _run([*args, "--json"], monkeypatch, capsys)
    assert code == 2
    assert out == ""
    assert err.startswith("error: ") and option in err


def test_grade_with_overrides_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    plan = {
        "overrides": [
            {
                "division_prefix": "9901",
                "applies_to": "natural_disaster_relief",
                "thresholds": [{"tier": 4, "criterion": "deaths_and_missing", "threshold": 1}],
            }
        ]
    }
    path = tmp_path / "o.yaml"
    path.write_text(yaml.safe_dump(plan), encoding="utf-8")
    args = ["--type", "flood", "--deaths", "2", "--division", "990101", "--overrides", str(path), "--json"]
    _, out, _ = _run(args, monkeypatch, capsys)
    assert json.loads(out)["response_level"] == 4


def test_rules_lists_versions_and_defaults(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "argv", ["yingji", "incident", "rules", "--json"])
    with pytest.raises(SystemExit):
        cli.main()
    listing = json.loads(capsys.readouterr().out)["rule_sets"]
    defaults = {item["family"]: item["id"] for item in listing if item["default"]}
    assert defaults == {
        "production_safety": "accident-2007",
        "earthquake": "earthquake-2012",
        "natural_disaster_relief": "relief-2024",
    }


def test_deadlines_lists_overdue_reports(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["yingji", "incident", "deadlines", "--type", "coal_mine", "--occurred-at", "2026-07-01T09:00+08:00"]
    argv += ["--now", "2026-07-01T10:30+08:00", "--made", "unit_report=2026-07-01T09:40+08:00", "--json"]
    monkeypatch.setattr(sys, "argv", argv)
    with pytest.raises(SystemExit):
        cli.main()
    reports = {r["key"]: r["status"] for r in json.loads(capsys.readouterr().out)["reports"]}
    assert reports["unit_report"] == "done"
    assert reports["upward.county"] == "pending"


def test_deadlines_refuse_times_without_offset(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["yingji", "incident", "deadlines", "--type", "flood", "--occurred-at", "2026-07-01T09:00"]
    monkeypatch.setattr(sys, "argv", [*argv, "--now", "2026-07-01T10:30+08:00"])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    assert stopped.value.code == 2
    assert "--occurred-at" in capsys.readouterr().err
