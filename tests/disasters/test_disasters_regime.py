"""The 2020 regime as data: it loads, holds together, and names its version, deadlines and sources."""

from __future__ import annotations

import copy
from importlib import resources

import pytest
import yaml

from yingji.disasters.regime import RegimeDataError, default_regime, parse_regime


def _docs() -> tuple[dict, dict]:  # type: ignore[type-arg]
    folder = resources.files("yingji.standards").joinpath("disasters")
    return (
        yaml.safe_load(folder.joinpath("regime-2020.yaml").read_text(encoding="utf-8")),
        yaml.safe_load(folder.joinpath("validation-rules-2020.yaml").read_text(encoding="utf-8")),
    )


def test_the_encoded_version_is_2020_and_the_2023_draft_is_recorded() -> None:
    regime = default_regime()
    assert "应急〔2020〕19号" in regime.document
    assert "2023" in regime.revision_note and "not encoded" in regime.revision_note
    assert (regime.statistical_unit, regime.reporting_unit) == ("township", "county")


def test_the_contract_fields_are_indicators_carried_by_every_report_type() -> None:
    regime = default_regime()
    for code in ("affected", "deaths", "missing", "relocated", "houses_collapsed_households", "direct_loss_cny"):
        assert set(regime.indicator(code).reports) == {"initial", "follow_up", "verified"}


def test_every_indicator_rule_and_deadline_has_a_status_and_rules_a_source() -> None:
    regime = default_regime()
    assert all(i.status in "VPU" and i.definition and i.unit for i in regime.indicators)
    assert all(d.status in "VPU" and d.source for d in regime.deadlines)
    assert all(r.status in "VPU" and r.source for r in regime.rules)


def test_initial_report_goes_county_to_prefecture_within_two_hours_verbatim() -> None:
    (hop,) = [d for d in default_regime().deadlines_for("initial", "flood") if d.from_level == "county"]
    assert (hop.to_level, hop.within_hours, hop.status) == ("prefecture", 2, "V")


def test_drought_follow_up_replaces_the_daily_deadline_for_the_same_hop() -> None:
    (drought,) = default_regime().deadlines_for("follow_up", "drought")
    assert drought.every_days == 10 and drought.daily_local_time is None
    (daily,) = default_regime().deadlines_for("follow_up", "flood")
    assert daily.daily_local_time == "09:00"


def test_a_rule_naming_an_unknown_indicator_is_refused() -> None:
    regime_doc, rules_doc = _docs()
    rules_doc = copy.deepcopy(rules_doc)
    rules_doc["rules"][0]["total"] = "no_such_indicator"
    with pytest.raises(RegimeDataError, match="unknown indicators"):
        parse_regime(regime_doc, rules_doc)


def test_a_status_outside_v_p_u_is_refused() -> None:
    regime_doc, rules_doc = _docs()
    regime_doc = copy.deepcopy(regime_doc)
    regime_doc["indicators"][0]["status"] = "X"
    with pytest.raises(RegimeDataError, match="status"):
        parse_regime(regime_doc, rules_doc)
