"""Monitoring in the database on both backends: registry, demo data, HTTP-style ingestion into alarms
(idempotent), dead letters, the alarm lifecycle, the scheduler, promotion to an incident, the worker sink,
and the fatigue report."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from tests.positions import position_in

from yingji.auth import service as auth_service
from yingji.auth.scope import Scope, system_scope
from yingji.errors import Conflict, InvalidInput, NotFound
from yingji.incidents.models import TimelineEntry
from yingji.monitoring import lifecycle, service
from yingji.monitoring.clock import parse_timestamp
from yingji.monitoring.demo import load_demo_monitoring
from yingji.monitoring.models import Alarm, DeadLetterRow, SensorReading
from yingji.monitoring.rules import AlarmEvent
from yingji.monitoring.schemas import PromoteIn, SiteIn

DINGRI, LAZI = "540223000000", "540225000000"
RULES = "rules:\n  - {id: ch4-high, sensors: '*T-CH4-*', kind: limit, high: 1.0, deadband: 0.1, priority: low}\n"


def scope_of(session: Session, username: str) -> Scope:
    user = auth_service.get_by_username(session=session, username=username)
    assert user is not None
    return auth_service.scope_for(session=session, user=user)


def new_site(session: Session, scope: Scope, code: str = "T1", division: str = DINGRI) -> service.MonitoredSite:
    body = SiteIn(
        code=code,
        name="测试矿",
        kind="mine",
        division_code=division,  # type: ignore[arg-type]
        lon=position_in(division)[0],
        lat=position_in(division)[1],
        sensors=[
            {
                "code": f"{division[:6]}-{code.replace('T1', 'T')}-CH4-01",  # in the division's namespace
                "quantity": "CH4",
                "unit": "%",  # type: ignore[list-item]
                "range_low": 0,
                "range_high": 4,
            }
        ],
        rules_yaml=RULES,
    )
    return service.create_site(session=session, scope=scope, site_in=body)


SENSOR = "540223-T-CH4-01"  # new_site's sensor in 定日


def readings(*rows: tuple[str, float], sensor: str = SENSOR) -> bytes:
    return json.dumps([{"sensor_id": sensor, "ts": ts, "value": v} for ts, v in rows]).encode()


def test_demo_monitoring_loads_sites_once(session: Session) -> None:
    scope = system_scope("test")
    first = load_demo_monitoring(session=session, scope=scope)
    assert first["sites"] >= 4 and first["sensors"] >= 8
    assert load_demo_monitoring(session=session, scope=scope) == {"sites": 0, "sensors": 0}
    sites, _ = service.list_sites(session=session, scope=scope)
    assert {s.kind for s in sites} >= {"enterprise_installation", "tailings_dam", "rain_gauge", "landslide"}
    assert all(s.rules for s in sites)


def test_site_rules_are_validated(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    body = SiteIn(code="BAD", kind="mine", division_code=DINGRI, rules_yaml="rules: [{id: x, kind: limit}]")
    with pytest.raises(InvalidInput, match="rules_yaml"):
        service.create_site(session=session, scope=scope, site_in=body)


def test_site_in_a_foreign_county_is_not_found(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    with pytest.raises(NotFound):
        new_site(session, scope, division=LAZI)


def test_duplicate_site_code_conflicts(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    new_site(session, scope)
    with pytest.raises(Conflict):
        new_site(session, scope)


def test_a_site_code_is_unique_per_division_and_found_by_division(session: Session) -> None:
    """Site codes are unique within their division only: the same code in 拉孜 is another site; a lookup
    by code (CLI, hazards' installations) picks the asker's division and refuses to guess."""
    dingri, lazi = new_site(session, system_scope("t")), new_site(session, system_scope("t"), division=LAZI)
    assert dingri.code == lazi.code and dingri.id != lazi.id
    national = system_scope("t")
    with pytest.raises(InvalidInput, match="several divisions"):
        service.site_id_by_code(session=session, scope=national, code="T1")
    assert service.site_id_by_code(session=session, scope=national, code="T1", division_code=LAZI) == lazi.id
    assert service.site_id_by_code(session=session, scope=scope_of(session, "dingri_duty"), code="T1") == dingri.id
    with pytest.raises(NotFound):
        service.site_id_by_code(session=session, scope=national, code="T1", division_code="540224000000")
    now = dt.datetime(2026, 7, 1, tzinfo=dt.UTC)
    for division, site in ((DINGRI, dingri), (LAZI, lazi)):
        health = service.site_health(session=session, scope=national, site_code="T1", now=now, division_code=division)
        assert health is not None and health["sensors"] == 1
        assert service.site_id_by_code(session=session, scope=national, code="T1", division_code=division) == site.id


def test_sensor_codes_lie_in_the_namespace_of_the_registering_jurisdiction(session: Session) -> None:
    """A county user gives out codes that begin with its site's division code or an ancestor's it covers;
    codes without leading digits are the national users'. The refusal names the rule, never a holder."""
    from yingji.monitoring.registry import sensor_namespace_problem as problem

    assert problem("540223-CH4-01", site_prefix="540223", caller_prefix="540223") is None
    assert problem("540223-CH4-01", site_prefix="540223101", caller_prefix="540223") is None  # an ancestor's
    assert problem("540223101-X", site_prefix="540223101", caller_prefix="540223") is None
    assert problem("540223101-X", site_prefix="540223", caller_prefix="540223") is not None  # not the site's
    assert problem("5402-X", site_prefix="540223", caller_prefix="540223") is not None  # above the caller
    assert problem("5402-X", site_prefix="540223", caller_prefix="5402") is None
    assert problem("540225-X", site_prefix="540223", caller_prefix="540223") is not None
    assert problem("5402230-X", site_prefix="540223", caller_prefix="540223") is not None  # no such level
    assert problem("T-CH4-01", site_prefix="540223", caller_prefix="540223") is not None
    assert problem("T-CH4-01", site_prefix="540223", caller_prefix="") is None  # national users
    assert problem("540223-X", site_prefix="", caller_prefix="") is not None  # a national site's codes
    dingri = scope_of(session, "dingri_duty")
    body = SiteIn(
        code="N1",
        kind="mine",
        division_code=DINGRI,  # type: ignore[arg-type]
        sensors=[{"code": "T9-CH4-01", "quantity": "CH4"}],  # type: ignore[list-item]
    )
    with pytest.raises(InvalidInput, match="must begin with the code of its site's division"):
        service.create_site(session=session, scope=dingri, site_in=body)


def test_ingest_raises_one_alarm_even_when_delivered_twice(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    new_site(session, scope)
    payload = readings(("2026-07-01T08:00:00", 0.5), ("2026-07-01T08:01:00", 1.2))
    first = service.ingest(session=session, scope=scope, payload=payload)
    again = service.ingest(session=session, scope=scope, payload=payload)
    assert first["alarms_raised"] == 1 and first["readings"] == 2
    assert again["alarms_raised"] == 0 and again["duplicates"] + again["dead_letters"] == 2
    assert session.scalar(select(func.count()).select_from(Alarm)) == 1
    assert session.scalar(select(func.count()).select_from(SensorReading)) == 2
    cleared = service.ingest(session=session, scope=scope, payload=readings(("2026-07-01T08:02:00", 0.5)))
    assert cleared["alarms_cleared"] == 1
    alarm = session.scalars(select(Alarm)).one()
    assert alarm.state == "rtn_unacknowledged" and alarm.cleared_at is not None


def test_bad_rows_become_stored_dead_letters(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    new_site(session, scope)
    body = json.dumps(
        [
            {"sensor_id": SENSOR, "ts": "nope", "value": 1},
            {"sensor_id": "UNKNOWN", "ts": "2026-07-01T08:00:00", "value": 1},
            {"sensor_id": SENSOR, "ts": "2026-07-01T08:00:00", "value": 9.0},
            "garbage",
        ]
    )
    result = service.ingest(session=session, scope=scope, payload=body)
    assert result["dead_letters"] == 4 and result["readings"] == 0
    assert result["dead_letter_reasons"] == {"bad_timestamp": 1, "unknown_sensor": 1, "out_of_range": 1, "malformed": 1}
    _, total, by_reason = service.list_dead_letters(session=session, scope=scope)
    assert total == 4 and by_reason["out_of_range"] == 1


def test_sensors_of_a_foreign_county_are_unknown_to_the_caller(session: Session) -> None:
    new_site(session, system_scope("t"), code="T1", division=LAZI)
    result = service.ingest(
        session=session,
        scope=scope_of(session, "dingri_duty"),
        payload=readings(("2026-07-01T08:00:00", 3.0), sensor="540225-T-CH4-01"),
    )
    assert result["dead_letter_reasons"] == {"unknown_sensor": 1}
    assert session.scalar(select(func.count()).select_from(Alarm)) == 0


def _raised_alarm(session: Session, scope: Scope) -> Alarm:
    new_site(session, scope)
    service.ingest(session=session, scope=scope, payload=readings(("2026-07-01T08:00:00", 2.0)))
    return session.scalars(select(Alarm)).one()


def test_acknowledge_then_again_conflicts(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    alarm = _raised_alarm(session, scope)
    now = parse_timestamp("2026-07-01T08:05:00")
    service.acknowledge(session=session, scope=scope, alarm_id=alarm.id, now=now, note="checked")
    assert alarm.state == "acknowledged"
    assert [e.kind for e in alarm.events] == ["raised", "acknowledged"]
    with pytest.raises(Conflict):
        service.acknowledge(session=session, scope=scope, alarm_id=alarm.id, now=now)


def test_foreign_alarm_is_not_found(session: Session) -> None:
    alarm = _raised_alarm(session, system_scope("t"))
    alarm.division_code = LAZI
    with pytest.raises(NotFound):
        service.acknowledge(session=session, scope=scope_of(session, "dingri_duty"), alarm_id=alarm.id, now=0)


def test_timed_shelve_ends_on_the_scheduler_tick(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    alarm = _raised_alarm(session, scope)
    now = parse_timestamp("2026-07-01T08:05:00")
    service.shelve(session=session, scope=scope, alarm_id=alarm.id, now=now, reason="sensor calibration", minutes=10)
    assert alarm.shelved
    service.tick(session=session, scope=scope, now=now + 11 * 60_000, policy=lifecycle.LifecyclePolicy(None, None))
    assert not alarm.shelved and "unshelved" in [e.kind for e in alarm.events]


def test_unacknowledged_alarm_escalates_on_the_scheduler_tick(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    alarm = _raised_alarm(session, scope)
    assert alarm.priority == "low"
    later = parse_timestamp("2026-07-01T08:31:00")
    counts = service.tick(session=session, scope=scope, now=later, policy=lifecycle.LifecyclePolicy(600, 1800))
    assert counts.get("escalate") == 1 and alarm.priority == "medium"


def test_promote_creates_an_incident_with_a_timeline_entry(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    alarm = _raised_alarm(session, scope)
    _, incident_id = service.promote(session=session, scope=scope, alarm_id=alarm.id, now=0, body=PromoteIn())
    assert alarm.incident_id == incident_id
    entries = session.scalars(select(TimelineEntry).where(TimelineEntry.incident_id == incident_id)).all()
    assert any(e.kind == "alarm" and e.data and e.data.get("alarm_id") == alarm.id for e in entries)
    with pytest.raises(Conflict):
        service.promote(session=session, scope=scope, alarm_id=alarm.id, now=0, body=PromoteIn())


def test_database_sink_is_idempotent(engine: object, session: Session) -> None:
    from yingji.db import session_factory

    scope = system_scope("t")
    new_site(session, scope)
    session.commit()
    factory = session_factory(engine)  # type: ignore[arg-type]
    sink = service.DatabaseSink(factory, system_scope("worker"))
    event = AlarmEvent(parse_timestamp("2026-07-01T08:00:00"), True, "ch4-high", SENSOR, "low")
    for _ in range(2):
        sink.write_events([event])
        sink.flush()
    with factory() as check:
        assert check.scalar(select(func.count()).select_from(Alarm)) == 1


def test_fatigue_report_counts_chattering(session: Session) -> None:
    scope = scope_of(session, "dingri_duty")
    new_site(session, scope)
    rows = []
    for second in range(0, 60, 10):
        rows.append((f"2026-07-01T08:00:{second:02d}", 2.0 if second % 20 == 0 else 0.5))
    service.ingest(session=session, scope=scope, payload=readings(*rows))
    report = service.fatigue_report(session=session, scope=scope)
    assert report["alarms"] == 3 and report["per_rule"] == {"ch4-high": 3}
    assert report["chattering"] and report["chattering"][0]["rule"] == "ch4-high"
    assert session.scalar(select(func.count()).select_from(DeadLetterRow)) == 0


def test_database_sink_keeps_alarms_of_unregistered_sensors_as_dead_letters_and_publishes_alarms(
    engine: object, session: Session
) -> None:
    """With --db the worker's alarms are live events (the dashboards' streams), and an alarm of a sensor
    not in the registry is a dead letter with its reason, never dropped in silence."""
    from yingji import events
    from yingji.db import session_factory

    published: list[events.Event] = []

    class Collect:
        def publish(self, batch: object) -> None:
            published.extend(batch)  # type: ignore[call-overload]

    new_site(session, system_scope("t"))
    session.commit()
    factory = session_factory(engine)  # type: ignore[arg-type]
    events.attach(factory, Collect())  # type: ignore[arg-type]
    sink = service.DatabaseSink(factory, system_scope("worker"))
    assert SENSOR in sink.sensor_codes()
    at = parse_timestamp("2026-07-01T08:00:00")
    sink.write_events([AlarmEvent(at, True, "ch4-high", sensor, "low") for sensor in (SENSOR, "NOPE-9")])
    sink.flush()
    assert [e.kind for e in published] == ["alarm.raise"]
    with factory() as check:
        letters = check.scalars(select(DeadLetterRow)).all()
        assert [(d.reason, "NOPE-9" in d.detail) for d in letters] == [("unknown_sensor", True)]


def test_a_roll_up_naming_a_site_code_of_several_divisions_is_a_dead_letter(engine: object, session: Session) -> None:
    from yingji.db import session_factory

    new_site(session, system_scope("t"), code="R1")
    new_site(session, system_scope("t"), code="R1", division=LAZI)
    new_site(session, system_scope("t"), code="R2")
    session.commit()
    factory = session_factory(engine)  # type: ignore[arg-type]
    sink = service.DatabaseSink(factory, system_scope("worker"))
    at = parse_timestamp("2026-07-01T08:00:00")
    sink.write_events([AlarmEvent(at, True, "site-roll-up", site, "high") for site in ("R1", "R2")])
    sink.flush()
    with factory() as check:
        assert [a.sensor_code for a in check.scalars(select(Alarm))] == ["R2"]
        assert [d.reason for d in check.scalars(select(DeadLetterRow))] == ["unknown_sensor"]
