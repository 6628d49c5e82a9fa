"""Jurisdiction isolation, route by route, through real HTTP.

Every route of the OpenAPI document must have a case (the first test fails otherwise). Each domain keeps
its cases in ``tests/api/cases_<domain>.py`` as a ``CASES`` dict of ``(method, path) -> check(ctx)``;
each check proves that a user of one county (定日, 540223) can neither read nor change another county's
(拉孜, 540225) rows — through lists, details, identifiers placed in bodies, exports and live streams.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from tests.api.cases_foundation import FOREIGN, OWN, PASSWORD, Ctx
from tests.conftest import LiveServer

from yingji.api_common import PUBLIC_ROUTES


def all_cases() -> dict[tuple[str, str], Callable[[Ctx], None]]:
    cases: dict[tuple[str, str], Callable[[Ctx], None]] = {}
    for path in sorted(Path(__file__).parent.glob("cases_*.py")):
        module = importlib.import_module(f"tests.api.{path.stem}")
        overlap = set(cases) & set(module.CASES)
        assert not overlap, f"routes with two cases: {overlap}"
        cases.update(module.CASES)
    return cases


CASES = all_cases()


@pytest.fixture(scope="module")
def ctx(live: LiveServer) -> Ctx:
    """Users of two sibling counties; domain cases may add their own rows through these clients."""
    national = live.client("admin")
    for name, division in (("dingri_admin", OWN), ("lazi_admin", FOREIGN)):
        r = national.post(
            "/api/v1/users", json={"username": name, "password": PASSWORD, "role": "admin", "division_code": division}
        )
        assert r.status_code in (201, 409), r.text
    return Ctx(
        live=live,
        own=live.client("dingri_duty"),
        own_admin=live.client("dingri_admin", PASSWORD),
        foreign_admin=live.client("lazi_admin", PASSWORD),
    )


def openapi_routes(live: LiveServer) -> set[tuple[str, str]]:
    # The first request builds the document (seconds on a loaded machine; cached afterwards).
    doc = httpx.get(live.url + "/api/v1/openapi.json", timeout=120).json()
    return {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops}


def test_every_route_has_a_jurisdiction_case(live: LiveServer) -> None:
    missing = openapi_routes(live) - set(CASES)
    assert not missing, f"routes without a jurisdiction case: {sorted(missing)}"


def test_every_non_public_route_needs_a_token(live: LiveServer) -> None:
    anonymous = live.client()
    for method, path in sorted(openapi_routes(live) - PUBLIC_ROUTES):
        url = path.replace("{code}", OWN)
        url = re.sub(r"\{[a-z_]*id\}", "1", url)
        assert anonymous.request(method, url).status_code == 401, (method, path)


@pytest.mark.parametrize("route", sorted(CASES), ids=lambda r: f"{r[0]} {r[1]}")
def test_route_keeps_to_the_jurisdiction(ctx: Ctx, route: tuple[str, str]) -> None:
    CASES[route](ctx)
