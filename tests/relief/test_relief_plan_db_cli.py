"""``yingji relief plan-db``: a plan for a stored assessment (and its incident) from the database's depots,
committed into transfer orders and tasks."""

from __future__ import annotations

import json

from sqlalchemy.engine import Engine
from typer.testing import CliRunner

from yingji.auth.scope import system_scope
from yingji.db import session_factory, transaction
from yingji.errors import InvalidInput


def test_plan_db_for_an_assessment_with_commit(db_url: str, engine: Engine) -> None:
    from yingji.cli import app
    from yingji.resources.demo import load_demo_resources

    with transaction(session_factory(engine)) as session:
        load_demo_resources(session=session, scope=system_scope("test"))
    env = {"YINGJI_DATABASE_URL": db_url, "YINGJI_POPULATION_RASTER": "", "YINGJI_REDIS_URL": ""}
    quake = CliRunner().invoke(
        app,
        [
            "quake",
            "assess",
            "--lon",
            "87.45",
            "--lat",
            "28.5",
            "--depth",
            "10",
            "--magnitude",
            "6.8",
            "--magnitude-type",
            "Ms",
            "--step",
            "0.05",
            "--origin-time",
            "2025-01-07T01:05:16Z",
            "--json",
        ],
        env=env,
    )
    assert quake.exit_code == 0, quake.output
    assessment = json.loads(quake.output)["assessment_id"]
    result = CliRunner().invoke(app, ["relief", "plan-db", "--assessment", str(assessment), "--commit"], env=env)
    assert result.exit_code == 0, result.output
    plan = json.loads(result.output)
    assert plan["status"] == "committed" and plan["places"] and plan["shipments"]
    assert plan["incident_id"] is not None and len(plan["commit_result"]["tasks"]) >= 1


def test_plan_db_needs_exactly_one_source(db_url: str) -> None:
    from yingji.cli import app

    env = {"YINGJI_DATABASE_URL": db_url, "YINGJI_REDIS_URL": ""}
    result = CliRunner().invoke(app, ["relief", "plan-db"], env=env)
    assert isinstance(result.exception, InvalidInput) and "--incident" in result.exception.detail
