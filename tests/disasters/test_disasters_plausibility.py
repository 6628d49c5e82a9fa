"""Plausibility flags (issue #17 item 7): the checks as data, each judged at its boundary (pure), and the
evidence beside an event's totals through the service on both backends — an earthquake assessment of the
linked incident, shelter occupancy, population and the ledgers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy.orm import Session

from yingji.auth.scope import system_scope
from yingji.disasters import plausibility, service
from yingji.disasters.evidence import service as evidence
from yingji.disasters.ledgers import service as ledgers
from yingji.disasters.ledgers.crypto import LedgerCipher
from yingji.disasters.ledgers.schemas import LedgerEntryIn
from yingji.disasters.schemas import EventIn, ReportIn, ReviewIn
from yingji.geo import service as geo_service
from yingji.quake.models import QuakeAssessment
from yingji.resources.models import Shelter

SCOPE = system_scope("plausibility-test")
T1, T2 = "540223001000", "540223002000"
START = dt.datetime(2026, 7, 1, 2, tzinfo=dt.UTC)


def check(code: str) -> plausibility.Check:
    return next(c for c in plausibility.default_checks().checks if c.code == code)


@pytest.mark.parametrize(
    ("code", "reported", "evidence", "flagged"),
    [
        ("assessment_deaths", 100, 10, False),  # exactly 10× apart: not beyond the factor
        ("assessment_deaths", 101, 10, True),
        ("assessment_deaths", 9, 0, False),  # both under the minimum count: not judged
        ("assessment_deaths", 10, 0, True),  # at the minimum, zero evidence: infinitely apart
        ("population", 1000, 1000, False),
        ("population", 1001, 1000, True),
        ("ledger_deaths", 3, 3, False),
        ("ledger_deaths", 3, 2, True),
        ("shelter_occupancy", 100, 50, False),
        ("shelter_occupancy", 101, 50, True),
    ],
)
def test_each_check_at_its_boundary(code: str, reported: int, evidence: float, flagged: bool) -> None:
    assert (plausibility.judge(check(code), reported, evidence) is not None) is flagged


def test_the_checks_file_holds_together() -> None:
    checks = plausibility.default_checks()
    assert {c.status for c in checks.checks} == {"U"} and checks.household_size > 0
    with pytest.raises(ValueError, match="unknown kind"):
        plausibility.parse(
            {
                "version": "x",
                "household_size": {"value": 3},
                "checks": [
                    {"code": "a", "kind": "nope", "status": "U", "reported": [], "evidence": "e", "source": "s"}
                ],
            }
        )


def test_evidence_beside_the_totals_flags_what_disagrees(session: Session) -> None:
    from tests.positions import position_in

    from yingji.incidents import service as incidents
    from yingji.incidents.schemas import IncidentCreate

    lon, lat = position_in(["540223000000"])
    incident = incidents.create(
        session=session,
        scope=SCOPE,
        incident_in=IncidentCreate.model_validate(
            {
                "title": "定日地震",
                "incident_type": "earthquake",
                "divisions": ["540223000000"],
                "lon": lon,
                "lat": lat,
                "occurred_at": START,
            }
        ),
    )
    event = service.create_event(
        session=session,
        scope=SCOPE,
        event_in=EventIn(
            name="定日地震", kind="earthquake", division_code="540223000000", started_at=START, incident_id=incident.id
        ),
    )
    town = geo_service.get(session=session, scope=SCOPE, code=T1)
    assert town.population
    too_many = town.population + 1
    report = service.submit_report(
        session=session,
        scope=SCOPE,
        event_id=event.id,
        report_in=ReportIn(
            township_code=T1,
            report_type="follow_up",
            figures={
                "affected": too_many,
                "deaths": 300,
                "missing": 0,
                "relocated": 900,
                "relocated_concentrated": 400,
            },
        ),
    )
    assert any(f["rule"] == "population" and f["kind"] == "plausibility" for f in report.findings)
    service.review_report(session=session, scope=SCOPE, report_id=report.id, review_in=ReviewIn(action="accept"))
    session.add(
        QuakeAssessment(
            division_code="540223000000",
            lon=lon,
            lat=lat,
            depth_km=10,
            magnitude=6.8,
            magnitude_type="Ms",
            origin_time=START,
            assessed_at=START,
            max_intensity=9,
            expected_deaths=20.0,
            response_level=2,
            population_source="test",
            inputs={},
            results={"displaced": 1000.0},
            zones={},
            exposure_by_division=[{"code": "540223000000", "people_vi_plus": 200000.0}],
            incident_id=incident.id,
            created_by="test",
        )
    )
    session.add(
        Shelter(
            name="定日中学",
            shelter_class="II",
            division_code=T1,
            lon=lon,
            lat=lat,
            effective_area_m2=5000,
            capacity=2000,
            is_open=True,
            occupancy=150,
        )
    )
    cipher = LedgerCipher.from_settings(None, "test-secret", production=False)
    for name in ("甲", "乙"):
        ledgers.add_entry(
            session=session,
            scope=SCOPE,
            cipher=cipher,
            event_id=event.id,
            entry_in=LedgerEntryIn(township_code=T1, kind="dead", name=name),
        )
    session.flush()
    out = evidence.evidence_for(session=session, scope=SCOPE, event_id=event.id)
    county = out["divisions"]["540223000000"]
    assert county["evidence"]["assessment.expected_deaths"] == 20.0 and county["evidence"]["shelters.occupancy"] == 150
    flagged = {f["check"] for f in county["flags"]}
    # 300 dead vs 20 expected (15×), 400 sheltered vs 150 occupied (2.7×), ledger lists 2 dead, not 300
    assert {"assessment_deaths", "shelter_occupancy", "ledger_deaths"} <= flagged
    assert "assessment_displaced" not in flagged  # 900 vs 1000
    assert "assessment_exposure" not in flagged  # affected ≤ 1.5 × the people at VI+
    reason = next(f["reason"] for f in county["flags"] if f["check"] == "assessment_deaths")
    assert "300" in reason and "20" in reason
    assert out["assessment_id"] is not None and "flags" in out["divisions"][T1]
