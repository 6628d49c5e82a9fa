"""The sites-and-sensors registry: validation, unknown sensors, instrument range."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yingji.cli import app
from yingji.errors import InvalidInput
from yingji.monitoring.registry import load_registry

REGISTRY = """
sites:
  - id: M1
    name: 某煤矿
    kind: mine
    division: "140402"
    lon: 113.1
    lat: 36.2
    sensors:
      - {id: M1-CH4-01, quantity: CH4, unit: "%", range: [0, 4]}
      - {id: M1-CO-01, quantity: CO, unit: ppm}
"""


def test_registry_knows_its_sensors_and_their_sites(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(REGISTRY)
    registry = load_registry(path)
    assert "M1-CH4-01" in registry and "M9" not in registry and registry.site_of("M1-CO-01") == "M1"
    assert registry.out_of_range("M1-CH4-01", 4.5) and not registry.out_of_range("M1-CO-01", 1e6)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("sites: [{id: S, sensors: [{id: A, quantity: q, unit: u}, {id: A, quantity: q, unit: u}]}]", "twice"),
        ("sites: [{id: S, sensors: [{id: A, quantity: q, unit: u, range: [5, 1]}]}]", "low < high"),
        ("sites: [{id: S, kind: volcano}]", "kind"),
        ("sites: [{id: S, division: '12'}]", "division"),
    ],
)
def test_bad_registry_names_the_problem(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(text)
    with pytest.raises(InvalidInput, match=words):
        load_registry(path)


def test_replay_with_registry_dead_letters_unknown_sensors_and_out_of_range_values(tmp_path: Path) -> None:
    (tmp_path / "registry.yaml").write_text(REGISTRY)
    (tmp_path / "rules.yaml").write_text("rules:\n  - {id: ch4, kind: limit, high: 1.0, sensors: 'M1-CH4-*'}\n")
    (tmp_path / "r.csv").write_text(
        "sensor_id,ts,value\n"
        "M1-CH4-01,2026-07-01T08:00:00,1.5\n"
        "M1-CH4-01,2026-07-01T08:01:00,9.0\n"
        "M9-CH4-01,2026-07-01T08:01:00,2.0\n"
        "M1-CO-01,2026-07-01T08:01:00,30\n"
    )
    result = CliRunner().invoke(
        app,
        [
            "monitor",
            "replay",
            str(tmp_path / "r.csv"),
            "--rules",
            str(tmp_path / "rules.yaml"),
            "--registry",
            str(tmp_path / "registry.yaml"),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["readings"] == 2 and out["dead_letters"] == 2
    assert out["dead_letter_reasons"] == {"unknown_sensor": 1, "out_of_range": 1}
    assert [a["raised_at"] for a in out["alarms"]] == ["2026-07-01T08:00:00+08:00"]
