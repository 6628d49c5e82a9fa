"""`yingji monitor replay` as the issue checks it from outside."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from yingji.cli import app, main

RULES = """
rules:
  - id: ch4-high
    sensors: "M1-CH4-*"
    kind: limit
    high: 1.0
    deadband: 0.1
    on_delay_s: 0
    off_delay_s: 0
    priority: high
"""

CSV = """sensor_id,ts,value
M1-CH4-01,2026-07-01T08:00:00,0.5
M1-CH4-01,2026-07-01T08:01:00,1.2
M1-CH4-01,2026-07-01T08:01:00,1.2
M1-CH4-01,2026-07-01T08:02:00,0.95
M1-CH4-01,2026-07-01T08:03:00,0.85
M1-CH4-01,2026-07-01T08:02:30,0.85
M1-CH4-02,2026-07-01T08:03:00,not-a-number
M1-CH4-02,2026-07-01T00:04:00Z,3
W1-LEVEL,2026-07-01T08:04:00,300
"""


def invoke(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["monitor", "replay", *args, "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.output)
    return out


def test_replay_csv_prints_alarms_readings_and_dead_letters(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RULES)
    (tmp_path / "r.csv").write_text(CSV)
    out = invoke(str(tmp_path / "r.csv"), "--rules", str(tmp_path / "r.yaml"))
    assert out["alarms"] == [
        {
            "sensor_id": "M1-CH4-01",
            "rule": "ch4-high",
            "priority": "high",
            "raised_at": "2026-07-01T08:01:00+08:00",
            "cleared_at": "2026-07-01T08:03:00+08:00",
        },
        {
            "sensor_id": "M1-CH4-02",
            "rule": "ch4-high",
            "priority": "high",
            "raised_at": "2026-07-01T08:04:00+08:00",
            "cleared_at": None,
        },
    ]
    assert out["readings"] == 6  # the duplicate is not evaluated twice; W1-LEVEL matches no rule
    assert out["dead_letters"] == 2  # the bad value and the late 08:02:30 row


def test_replay_reads_parquet(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RULES)
    table = pa.table(
        {
            "sensor_id": ["M1-CH4-01", "M1-CH4-01"],
            "ts": ["2026-07-01T08:00:00", "2026-07-01T08:01:00"],
            "value": [2.0, 0.1],
        }
    )
    pq.write_table(table, tmp_path / "r.parquet")
    out = invoke(str(tmp_path / "r.parquet"), "--rules", str(tmp_path / "r.yaml"))
    assert out["readings"] == 2 and len(out["alarms"]) == 1  # type: ignore[arg-type]


def test_bad_rules_file_exits_2_with_a_clear_message(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "r.yaml").write_text("rules:\n  - id: x\n    kind: limit\n")
    (tmp_path / "r.csv").write_text(CSV)
    monkeypatch.setattr(
        sys, "argv", ["yingji", "monitor", "replay", str(tmp_path / "r.csv"), "--rules", str(tmp_path / "r.yaml")]
    )
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 2 and "give `high`" in capsys.readouterr().err


def test_fatigue_report_lists_rules_and_bad_actors(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(RULES)
    (tmp_path / "r.csv").write_text(CSV)
    result = CliRunner().invoke(
        app, ["monitor", "fatigue", str(tmp_path / "r.csv"), "--rules", str(tmp_path / "r.yaml")]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["per_rule"] == {"ch4-high": 2} and len(report["bad_actors"]) == 2 and report["floods"] == []
