"""The demo reserves: loaded into the demo region, deterministic, idempotent, labelled synthetic."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.geo.models import Division
from yingji.resources import service
from yingji.resources.demo import SYNTHETIC, load_demo_resources
from yingji.resources.models import Depot


def test_demo_reserves_leave_two_counties_without_a_county_depot(session: Session, national: Scope) -> None:
    load_demo_resources(session=session, scope=national)  # the template may hold them already
    counties = set(session.scalars(select(Division.code).where(Division.parent_code == "540200000000")))
    with_depot = set(session.scalars(select(Depot.division_code).where(Depot.level == "county")))
    assert len(counties - with_depot) == 2
    assert service.list_shelters(session=session, scope=national)[1] > 0
    assert service.list_teams(session=session, scope=national)[1] > 0


def test_demo_reserves_load_once(session: Session, national: Scope) -> None:
    load_demo_resources(session=session, scope=national)
    assert set(load_demo_resources(session=session, scope=national).values()) == {0}


def test_demo_reserves_are_labelled_synthetic(session: Session, national: Scope) -> None:
    load_demo_resources(session=session, scope=national)
    rows, _ = service.list_depots(session=session, scope=national, limit=None)
    assert rows and all(r.source == SYNTHETIC and "演示" in r.name for r in rows)
