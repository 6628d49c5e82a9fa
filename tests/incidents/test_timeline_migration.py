"""Migration dash_0002 on both backends: timeline rows written as English text before the writers stored
their parameters are given them in ``data`` (text, kind, time and actor untouched), new rows carry them from
the writers, and the table is append-only again afterwards."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from tests.incidents.test_incidents_statistics import reported, scope_of

from yingji.db import make_engine, session_factory, transaction
from yingji.dbcli import alembic_config
from yingji.incidents.timeline_params import parameters

OLD_ROWS = [
    ("task", "task 疏散群众: open → acknowledged", {"task_id": 7}),
    ("task.feedback", "feedback on 疏散群众: 已疏散 120 人", None),
    ("sitrep", "situation report no. 2 published", {"report_id": 3}),
    (
        "duty",
        "from the duty desk: phone information received 2026-12-06T15:43:19.439601+00:00: 岗嘎镇民房起火",
        {"duty_item_id": 4},
    ),
    ("figures", "figures changed (续报 · 县消防救援大队): deaths 1→12", {"deaths": {"old": 1, "new": 12}}),
    ("status", "status reported → verified", {"from": "reported", "to": "verified"}),  # nothing to add
]


def test_old_rows_gain_their_parameters_and_the_timeline_stays_append_only(db_url: str) -> None:
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as session:
        incident = reported(session, scope_of(session, "dingri_duty"), dt.datetime(2026, 7, 1, tzinfo=dt.UTC))
        incident_id = incident.id
    command.downgrade(alembic_config(db_url), "dash_0001")
    with engine.begin() as conn:
        for kind, body, data in OLD_ROWS:
            conn.execute(
                text(
                    "INSERT INTO incident_timeline (incident_id, at, kind, text, data, actor) "
                    "VALUES (:i, :at, :k, :t, :d, 'dingri_duty')"
                ),
                {
                    "i": incident_id,
                    "at": "2026-07-01 00:00:00",
                    "k": kind,
                    "t": body,
                    "d": None if data is None else json.dumps(data),
                },
            )
    command.upgrade(alembic_config(db_url), "head")
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT kind, text, data FROM incident_timeline WHERE incident_id = :i ORDER BY id"),
            {"i": incident_id},
        ).all()
    stored = {(kind, body): (json.loads(data) if isinstance(data, str) else data) for kind, body, data in rows}
    for kind, body, data in OLD_ROWS:
        assert stored[(kind, body)] == parameters(kind, body, data)  # text kept, parameters added
    assert stored[OLD_ROWS[0][:2]] == {"task_id": 7, "title": "疏散群众", "from": "open", "to": "acknowledged"}
    assert stored[OLD_ROWS[3][:2]]["received_at"] == "2026-12-06T15:43:19.439601+00:00"
    assert stored[OLD_ROWS[5][:2]] == OLD_ROWS[5][2]
    created = next(v for (kind, _), v in stored.items() if kind == "created")
    assert created["title"] == incident.title and created["exercise"] is False  # written by the writer itself
    with pytest.raises(DBAPIError), engine.begin() as conn:
        conn.execute(text("UPDATE incident_timeline SET text = 'x' WHERE incident_id = :i"), {"i": incident_id})
    engine.dispose()
