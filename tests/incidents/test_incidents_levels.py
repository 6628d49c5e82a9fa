"""The grade vocabulary in code matches the levels data file (突发事件应对法 Arts. 3 and 42)."""

from __future__ import annotations

from importlib import resources

import yaml

from yingji.incidents.grading import GRADE_OF_TIER, GRADE_ZH


def _levels() -> list[dict[str, object]]:
    text = resources.files("yingji.standards").joinpath("incident_levels.yaml").read_text("utf-8")
    levels: list[dict[str, object]] = yaml.safe_load(text)["levels"]
    return levels


def test_grade_names_match_the_levels_file() -> None:
    assert {int(str(lv["tier"])): lv["grade"] for lv in _levels()} == GRADE_OF_TIER


def test_chinese_grade_names_match_the_levels_file() -> None:
    assert {lv["grade"]: lv["grade_zh"] for lv in _levels()} == GRADE_ZH


def test_warning_colours_run_red_to_blue() -> None:
    assert [lv["warning_colour"] for lv in _levels()] == ["red", "orange", "yellow", "blue"]
