"""The database commands from outside: ``yingji monitor import/sites/set-rules/ingest/alarms/tick`` and
``yingji warning import/list/tick`` against a fresh SQLite database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from yingji import cli
from yingji.monitoring.clock import parse_timestamp
from yingji.warnings import cap

REGISTRY = """sites:
  - {id: CLI-1, name: 命令行测试点, kind: mine, division: "540223", lon: 87.1, lat: 28.6,
     sensors: [{id: CLI-1-CH4, quantity: CH4, unit: "%", range: [0, 4]}]}
"""
RULES = "rules:\n  - {use: coal-methane-coal-face, sensors: 'CLI-1-*', prefix: 'cli-'}\n"


@pytest.fixture
def database(tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    from tests.conftest import _fresh_database

    url = next(_fresh_database("sqlite", request, tmp_path))
    monkeypatch.setenv("YINGJI_DATABASE_URL", url)
    monkeypatch.setenv("YINGJI_REDIS_URL", "")
    return tmp_path


def run(args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    monkeypatch.setattr(sys, "argv", ["yingji", *args])
    with pytest.raises(SystemExit) as stopped:
        cli.main()
    out, err = capsys.readouterr()
    code = stopped.value.code
    return (code if isinstance(code, int) else 0), out + err


def test_registry_readings_alarms_and_tick(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (database / "registry.yaml").write_text(REGISTRY, encoding="utf-8")
    (database / "rules.yaml").write_text(RULES, encoding="utf-8")
    code, out = run(
        ["monitor", "import", str(database / "registry.yaml"), "--rules", str(database / "rules.yaml")],
        monkeypatch,
        capsys,
    )
    assert code == 0 and json.loads(out) == {"sites": 1, "sensors": 1}
    code, out = run(["monitor", "sites"], monkeypatch, capsys)
    assert [s["code"] for s in json.loads(out)] == ["CLI-1"]
    readings = [{"sensor_id": "CLI-1-CH4", "ts": "2026-07-01T08:00:00", "value": 1.2}, "garbage"]
    (database / "readings.json").write_text(json.dumps(readings), encoding="utf-8")
    code, out = run(["monitor", "ingest", str(database / "readings.json")], monkeypatch, capsys)
    result = json.loads(out)
    assert code == 0 and result["alarms_raised"] == 1 and result["dead_letters"] == 1
    code, out = run(["monitor", "alarms", "--state", "unacknowledged"], monkeypatch, capsys)
    assert json.loads(out)["total"] == 1
    code, out = run(
        ["monitor", "tick", "--now", "2026-07-01T08:31:00", "--escalate-after-s", "1800"], monkeypatch, capsys
    )
    assert code == 0 and json.loads(out).get("reannunciate", 0) >= 1
    (database / "bad.yaml").write_text("rules: [{id: x, kind: limit}]", encoding="utf-8")
    code, out = run(["monitor", "set-rules", "CLI-1", str(database / "bad.yaml")], monkeypatch, capsys)
    assert code == 2 and "rules_yaml" in out


def test_warning_import_list_and_tick(
    database: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    sender = cap.sender_code("540100", "001")
    sent = parse_timestamp("2026-07-01T08:00:00")
    xml = cap.build(
        cap.WarningMessage(
            sender=sender,
            identifier=cap.make_identifier(sender, sent),
            sent=sent,
            colour="orange",
            type="rainstorm",
            headline="外部暴雨橙色预警",
            area=cap.Area("日喀则", divisions=("540200000000",)),
        )
    )
    (database / "alert.xml").write_bytes(xml)
    code, out = run(["warning", "import", str(database / "alert.xml")], monkeypatch, capsys)
    assert code == 0 and json.loads(out)["imported"] == 1
    code, out = run(["warning", "list"], monkeypatch, capsys)
    assert json.loads(out)["items"][0]["headline"] == "外部暴雨橙色预警"
    code, out = run(["warning", "tick", "--now", "2026-07-01T09:00:00"], monkeypatch, capsys)
    assert code == 0 and json.loads(out) == {"escalated": 0, "called": 0, "sent": 0}
