"""Helpers of the reserves tests: scopes of the demo users with write rights, positions inside divisions."""

from __future__ import annotations

import dataclasses

import pytest
import shapely
from sqlalchemy.orm import Session

from yingji.auth import service as auth_service
from yingji.auth.roles import all_permissions
from yingji.auth.scope import Scope, system_scope
from yingji.geo.models import Division

DINGRI, LAZI, XIGAZE, TIBET = "540223000000", "540225000000", "540200000000", "540000000000"
DINGRI_TOWN = "540223001000"


def scope_of(session: Session, username: str) -> Scope:
    """The demo user's scope, with every permission (the jurisdiction rule is what these tests probe)."""
    user = auth_service.get_by_username(session=session, username=username)
    assert user is not None
    return dataclasses.replace(auth_service.scope_for(session=session, user=user), permissions=all_permissions())


def inside(session: Session, code: str) -> tuple[float, float]:
    """A point inside the division's boundary."""
    division = session.get(Division, code)
    assert division is not None and division.boundary_wkb is not None
    point = shapely.from_wkb(division.boundary_wkb).representative_point()
    return float(point.x), float(point.y)


@pytest.fixture
def national() -> Scope:
    return system_scope("test")


@pytest.fixture
def dingri(session: Session) -> Scope:
    return scope_of(session, "dingri_duty")


@pytest.fixture
def lazi(session: Session) -> Scope:
    return scope_of(session, "lazi_duty")


@pytest.fixture
def prefecture(session: Session) -> Scope:
    return scope_of(session, "xigaze_commander")
