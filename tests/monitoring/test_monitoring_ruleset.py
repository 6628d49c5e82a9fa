"""Rules YAML: the issue's form, extensions, templates, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from yingji.errors import InvalidInput
from yingji.monitoring.rules.ruleset import LimitRule, RollupRule, load_ruleset, load_templates, parse_ruleset

ISSUE_FORM = """
rules:
  - id: ch4-high            # unique
    sensors: "M1-CH4-*"     # glob over sensor_id
    kind: limit
    high: 1.0
    deadband: 0.1
    on_delay_s: 0
    off_delay_s: 0
    priority: high
"""


def test_issue_form_loads(tmp_path: Path) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(ISSUE_FORM)
    rule = load_ruleset(path).rules[0]
    assert isinstance(rule, LimitRule) and rule.high == 1.0 and rule.effective_priority == "high"


@pytest.mark.parametrize(
    ("rules", "words"),
    [
        ([{"id": "a", "kind": "limit"}], "give `high`, `low`"),
        ([{"id": "a", "kind": "limit", "high": 1, "low": 2}], "must be below"),
        ([{"id": "a", "kind": "limit", "high": 1}, {"id": "a", "kind": "limit", "high": 2}], "twice"),
        ([{"id": "a", "kind": "warp", "high": 1}], "a:"),
        ([{"id": "a", "kind": "limit", "high": 1, "deadband": -1}], "deadband"),
        ([{"id": "a", "kind": "window", "agg": "max", "window_s": 0.0004, "high": 1}], "window_s"),
        ([{"id": "a", "kind": "limit", "high": 1, "hihg": 2}], "hihg"),
        ([{"id": "c", "kind": "compound", "site": "S", "conditions": [{"rule": "nope"}]}], "nope"),
        ([{"use": "no-such-template"}], "unknown template"),
    ],
)
def test_invalid_rules_name_the_problem(rules: list[dict[str, object]], words: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_ruleset({"rules": rules})
    assert words in caught.value.detail


def test_non_yaml_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("rules: [\n")
    with pytest.raises(InvalidInput, match="not valid YAML"):
        load_ruleset(path)


def test_every_template_validates_and_cites_a_source() -> None:
    for template_id, template in load_templates().items():
        assert template["source"] and template["status"] in {"V", "P", "U"}, template_id
        parse_ruleset({"rules": [{"use": template_id, "sensors": "X-*", "prefix": "x-"}]})


def test_template_use_replaces_sensors_prefix_and_site() -> None:
    ruleset = parse_ruleset(
        {
            "rules": [
                {"use": "coal-methane-coal-face", "sensors": "M2-T1-*", "prefix": "m2-"},
                {"use": "tailings-dam-rollup", "sensors": "TD9-*", "prefix": "td9-", "site": "TD9"},
            ]
        }
    )
    ids = {r.id: r for r in ruleset.rules}
    assert ids["m2-ch4-power-cut"].sensors == "M2-T1-*"  # type: ignore[union-attr]
    rollup = ids["td9-site-level"]
    assert isinstance(rollup, RollupRule) and rollup.site == "TD9" and rollup.sensors == "TD9-*"


def test_coal_face_power_cut_restores_below_one_percent() -> None:
    ruleset = parse_ruleset({"rules": [{"use": "coal-methane-coal-face", "sensors": "*"}]})
    cut = next(r for r in ruleset.rules if r.id == "ch4-power-cut")
    assert isinstance(cut, LimitRule) and cut.high == 1.5 and cut.high - cut.deadband == 1.0


def test_rules_yaml_nested_thousands_deep_is_refused_naming_the_field() -> None:
    from yingji.monitoring.sites.service import parse_rules_yaml

    with pytest.raises(InvalidInput, match="rules_yaml: YAML nested too deeply") as caught:
        parse_rules_yaml("rules: " + "[" * 20_000 + "]" * 20_000)
    assert caught.value.extra["field"] == "rules_yaml"
