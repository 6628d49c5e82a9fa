"""Hazards proposed from monitoring: a long device-health alarm proposes (never confirms) a major hazard with
the trend attached; such a hazard closes only after the signal has been normal for the policy's time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy.orm import Session
from tests.api.cases_hazards import new_credit_code

from yingji.auth.scope import system_scope
from yingji.hazards.enterprises import service as enterprises
from yingji.hazards.enterprises.schemas import EnterpriseIn
from yingji.hazards.errors import MissingRequirement
from yingji.hazards.installations import service as installations
from yingji.hazards.installations.schemas import InstallationIn
from yingji.hazards.register import service
from yingji.hazards.register.schemas import ActionIn, PlanIn
from yingji.monitoring import service as monitoring

T0 = dt.datetime(2026, 12, 1, 8, tzinfo=dt.UTC)


class FakeSite:
    """The monitoring domain's answer for one site, set by the test."""

    def __init__(self) -> None:
        self.alarms: list[dict[str, Any]] = []
        self.last_clear: dt.datetime | None = None

    def health(self, **_: Any) -> dict[str, Any]:
        return {"site": "S1", "sensors": 2, "last_reading_at": T0, "alive": not self.alarms,
                "device_alarms": self.alarms, "last_device_clear": self.last_clear}  # fmt: skip


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> FakeSite:
    fake = FakeSite()
    monkeypatch.setattr(monitoring, "site_health", fake.health)
    monkeypatch.setattr(monitoring, "sensor_readings", lambda **_: [(1, 0.0), (2, 0.0)])
    return fake


def test_a_long_device_alarm_proposes_a_hazard_that_closes_only_after_the_signal_is_back(
    session: Session, site: FakeSite
) -> None:
    scope = system_scope()
    ent_in = EnterpriseIn(
        name="甲", credit_code=new_credit_code(), division_code="540223", supervision_category="危险化学品"
    )
    ent = enterprises.create(session=session, scope=scope, enterprise_in=ent_in)
    unit = installations.create(session=session, scope=scope, installation_in=InstallationIn(
        enterprise_id=ent.id, name="罐区", monitoring_site="S1"))  # fmt: skip
    site.alarms = [{"alarm_id": 7, "sensor": "S1.LEL1", "rule": "lel_stale", "kind": "stale", "since": T0}]
    assert service.propose_from_monitoring(session=session, scope=scope, now=T0 + dt.timedelta(minutes=10)) == 0
    assert service.propose_from_monitoring(session=session, scope=scope, now=T0 + dt.timedelta(minutes=31)) == 1
    assert service.propose_from_monitoring(session=session, scope=scope, now=T0 + dt.timedelta(minutes=40)) == 0
    rows, _ = service.list_hazards(session=session, scope=scope, enterprise_id=ent.id)
    (hazard,) = rows
    assert hazard.state == "proposed" and hazard.level is None and hazard.installation_id == unit.id
    event = service.history(session=session, scope=scope, hazard_id=hazard.id)[-1]
    assert event.data["trend"] and event.data["suggested_items"] == ["HC2017-12"]
    t = T0 + dt.timedelta(hours=1)
    for action, body in (
        ("confirm", ActionIn()),
        ("determine", ActionIn(level="major", items=["HC2017-12"])),
        ("plan", ActionIn(plan=PlanIn(responsible="a", measures="b", funds="c", deadline=T0, contingency="d"))),
        ("start", ActionIn()),
        ("complete", ActionIn()),
        ("verify", ActionIn(note="ok")),
    ):
        service.act(session=session, scope=scope, hazard_id=hazard.id, action=action, body=body, now=t)
    with pytest.raises(MissingRequirement, match="back to normal"):  # the device alarm is still active
        service.act(session=session, scope=scope, hazard_id=hazard.id, action="close", body=ActionIn(), now=t)
    site.alarms, site.last_clear = [], t
    with pytest.raises(MissingRequirement, match="back to normal"):  # normal for 30 of 60 minutes
        service.act(session=session, scope=scope, hazard_id=hazard.id, action="close", body=ActionIn(),
                    now=t + dt.timedelta(minutes=30))  # fmt: skip
    closed = service.act(session=session, scope=scope, hazard_id=hazard.id, action="close", body=ActionIn(),
                         now=t + dt.timedelta(minutes=61))  # fmt: skip
    assert closed.state == "closed"
    status = installations.monitoring(session=session, scope=scope, installation=unit, now=t)
    assert status["connected"] and status["alive"]


def test_an_unknown_site_is_not_connected(session: Session) -> None:
    scope = system_scope()
    assert monitoring.site_health(session=session, scope=scope, site_code="no-such-site", now=T0) is None
    ent_in = EnterpriseIn(name="乙", credit_code=new_credit_code(), division_code="540223")
    ent = enterprises.create(session=session, scope=scope, enterprise_in=ent_in)
    unit = installations.create(session=session, scope=scope, installation_in=InstallationIn(
        enterprise_id=ent.id, name="仓库", monitoring_site="no-such-site"))  # fmt: skip
    assert installations.monitoring(session=session, scope=scope, installation=unit, now=T0)["connected"] is False
