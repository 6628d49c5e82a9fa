"""Grading overrides kept in the database: a county plan registered once re-grades that county's incidents
(and only those), is scoped like everything else, is checked before it is stored, and can be retired."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.conftest import LiveServer
from tests.incidents.test_incidents_service import DINGRI, LAZI, XIGAZE, new_incident, scope_of
from typer.testing import CliRunner

from yingji.errors import Forbidden, InvalidInput, NotFound
from yingji.incidents.models import GradingOverride
from yingji.incidents.overrides import service as overrides
from yingji.incidents.schemas import FiguresIn, GradingOverrideIn

# Illustrative county plan (made up for the test; status U): a death toll of 5 already starts level II.
PLAN = {
    "applies_to": "natural_disaster_relief",
    "document": "定日县自然灾害救助应急预案（测试用）",
    "status": "U",
    "thresholds": [
        {"tier": 1, "criterion": "deaths_and_missing", "threshold": 10},
        {"tier": 2, "criterion": "deaths_and_missing", "threshold": 5},
        {"tier": 3, "criterion": "deaths_and_missing", "threshold": 3},
        {"tier": 4, "criterion": "deaths_and_missing", "threshold": 1},
    ],
}


def plan_for(code: str, **changes: object) -> GradingOverrideIn:
    return GradingOverrideIn.model_validate({**PLAN, "division_code": code, **changes})


def test_a_stored_county_plan_regrades_that_county_only(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    row = overrides.add(session=session, scope=commander, body=plan_for(DINGRI))
    dingri = new_incident(session, commander, divisions=[DINGRI], figures=FiguresIn(deaths=4, missing=1))
    assert dingri.recommended_level == 2
    assert dingri.rules_version == "relief-2024+540223"
    assert PLAN["document"] in json.dumps(dingri.grading_basis[0], ensure_ascii=False)
    lazi = new_incident(session, commander, divisions=[LAZI], figures=FiguresIn(deaths=4, missing=1))
    assert lazi.recommended_level is None  # national relief-2024: level IV starts at 20 deaths and missing
    assert lazi.rules_version == "relief-2024"
    overrides.retire(session=session, scope=commander, override_id=row.id)
    again = new_incident(session, commander, divisions=[DINGRI], figures=FiguresIn(deaths=4, missing=1))
    assert again.recommended_level is None
    assert session.get(GradingOverride, row.id) is not None  # retired, kept


def test_the_deeper_plan_wins_key_by_key(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    overrides.add(session=session, scope=commander, body=plan_for(XIGAZE))
    county = {**PLAN, "thresholds": [{"tier": 4, "criterion": "deaths_and_missing", "threshold": 2}]}
    overrides.add(session=session, scope=commander, body=plan_for(DINGRI, thresholds=county["thresholds"]))
    one = new_incident(session, commander, divisions=[DINGRI], figures=FiguresIn(deaths=1))
    assert one.recommended_level is None  # the county raised tier 4 from the prefecture's 1 to 2
    assert one.rules_version == "relief-2024+5402+540223"
    lazi = new_incident(session, commander, divisions=[LAZI], figures=FiguresIn(deaths=1))
    assert lazi.recommended_level == 4  # only the prefecture's plan applies in Lazi


def test_a_broken_ladder_or_unknown_rule_set_is_refused_and_nothing_is_stored(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    inverted = [
        {"tier": 1, "criterion": "deaths_and_missing", "threshold": 3},
        {"tier": 2, "criterion": "deaths_and_missing", "threshold": 5},
    ]
    with pytest.raises(InvalidInput):
        overrides.add(session=session, scope=commander, body=plan_for(DINGRI, thresholds=inverted))
    with pytest.raises(InvalidInput, match="names no rule set"):
        overrides.add(session=session, scope=commander, body=plan_for(DINGRI, applies_to="no-such-rules"))
    assert session.scalar(select(func.count()).select_from(GradingOverride)) == 0


def test_overrides_follow_the_jurisdiction_rule(session: Session) -> None:
    commander = scope_of(session, "xigaze_commander")
    with pytest.raises(NotFound):  # another prefecture
        overrides.add(session=session, scope=commander, body=plan_for("540100000000"))
    with pytest.raises(Forbidden):  # an ancestor: readable, not writable
        overrides.add(session=session, scope=commander, body=plan_for("540000000000"))
    with pytest.raises(Forbidden):  # a duty officer may not change the grading rules
        overrides.add(session=session, scope=scope_of(session, "dingri_duty"), body=plan_for(DINGRI))
    prefecture = overrides.add(session=session, scope=commander, body=plan_for(XIGAZE))
    county = overrides.add(session=session, scope=commander, body=plan_for(DINGRI))
    seen, total = overrides.list_overrides(session=session, scope=scope_of(session, "dingri_duty"), limit=None)
    assert {r.id for r in seen} == {prefecture.id, county.id} and total == 2  # own and the ancestor's
    seen, _ = overrides.list_overrides(session=session, scope=scope_of(session, "lazi_duty"), limit=None)
    assert {r.id for r in seen} == {prefecture.id}
    with pytest.raises(NotFound):
        overrides.get(session=session, scope=scope_of(session, "lazi_duty"), override_id=county.id)


def test_overrides_over_http(live: LiveServer) -> None:
    client = live.client("xigaze_commander")
    created = client.post("/api/v1/grading-overrides", json={**PLAN, "division_code": DINGRI})
    assert created.status_code == 201, created.text
    entry = created.json()
    bad = client.post(
        "/api/v1/grading-overrides", json={**PLAN, "division_code": DINGRI, "applies_to": "no-such-rules"}
    )
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    retired = client.post(f"/api/v1/grading-overrides/{entry['id']}/retire")
    assert retired.status_code == 200 and retired.json()["active"] is False
    assert live.client("lazi_duty").get(f"/api/v1/grading-overrides/{entry['id']}").status_code == 404


def test_overrides_from_the_command_line(db_url: str, tmp_path: Path) -> None:
    from yingji.cli import app

    plan = tmp_path / "plan.yaml"
    plan.write_text(json.dumps({"overrides": [PLAN]}, ensure_ascii=False), encoding="utf-8")
    env = {"YINGJI_DATABASE_URL": db_url}
    runner = CliRunner()
    added = runner.invoke(app, ["incident", "overrides", "add", str(plan), "--division", DINGRI, "--json"], env=env)
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, ["incident", "overrides", "list", "--json"], env=env)
    assert [o["division_code"] for o in json.loads(listed.output)["overrides"]] == [DINGRI]
    broken = tmp_path / "broken.yaml"
    broken.write_text(json.dumps({"overrides": [{**PLAN, "status": "X"}]}), encoding="utf-8")
    refused = runner.invoke(app, ["incident", "overrides", "add", str(broken), "--division", DINGRI], env=env)
    assert isinstance(refused.exception, InvalidInput) and "override 0: status" in str(refused.exception)
    assert (
        len(json.loads(runner.invoke(app, ["incident", "overrides", "list", "--json"], env=env).output)["overrides"])
        == 1
    )
