"""What every route promises, checked by walking the routes rather than listing them: each non-public API
route depends on the caller's scope; each page refuses an anonymous visitor; every input string and array
is bounded; every error is declared in the OpenAPI document and answered as problem details without
internals (405, 415, malformed and undecodable bodies, huge numbers, NUL bytes, over-long strings)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel
from tests.conftest import LiveServer, test_settings

from yingji import problems
from yingji.api_common import PUBLIC_ROUTE_REASONS
from yingji.app import all_routes, create_app

# Pages served without a session, with the reason. Every other page redirects an anonymous visitor to the
# login page (or answers 401/403 when it is a script's endpoint).
PUBLIC_PAGES: dict[tuple[str, str], str] = {
    ("GET", "/login"): "the login form",
    ("POST", "/login"): "the login itself (throttled like the API's)",
    ("POST", "/logout"): "ends the caller's own session, if any",
    ("GET", "/lang/{code}"): "sets the caller's language cookie; reads no record",
    # The public tip pages (tips.pages; tests/tips/test_tips_pages.py): a citizen's report needs no account;
    # a tip is read back only by its tracking code, sent in a POST body, rate-limited per address.
    ("GET", "/tip"): "the public tip form (lists only division names)",
    ("POST", "/tip"): "a citizen's tip, as POST /api/v1/tips (per-address limit before the body is read)",
    ("GET", "/tip/status"): "the form asking for a tracking code",
    ("POST", "/tip/status"): "a tip's status for the holder of its tracking code, as GET /api/v1/tips/{code}",
    ("POST", "/tip/message"): "the reporter's message by the tracking code, as POST /api/v1/tips/{code}/messages",
    ("POST", "/tip/reward"): "the reward's claim by the tracking code, as POST /api/v1/tips/{code}/reward/claim",
    ("GET", "/tip/statistics"): "public figures of tips and enforcement, as the two public statistics routes",
    ("GET", "/enforcement/checklist-sw.js"): "a static script (the offline checklist's service worker), as /static/",
}
# Inputs whose size the request size limit bounds, not the schema, with the reason.
UNBOUNDED_BY_SCHEMA: dict[str, str] = {
    "post /api/v1/divisions/import body>Body_divisions_import.file": "an upload: the upload size limit",
    "post /api/v1/resources/import body>Body_resources_import.file": "an upload: the upload size limit",
    "post /api/v1/relief/roads body>RoadImport.geojson (open object)": "GeoJSON checked by the road importer",
}


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(test_settings(f"sqlite:///{tmp_path_factory.mktemp('contract') / 'x.db'}"))


def api_routes(app: FastAPI) -> list[tuple[str, str, APIRoute]]:
    found = []
    for route in all_routes(app):
        inner = getattr(route, "route", route)
        if isinstance(inner, APIRoute):
            found += [(method, route.path, inner) for method in sorted(inner.methods)]
    return found


def test_every_non_public_api_route_depends_on_the_callers_scope(app: FastAPI) -> None:
    routes = [(m, p, r) for m, p, r in api_routes(app) if p.startswith("/api/")]
    assert len(routes) > 100
    unguarded = {(m, p) for m, p, r in routes if not problems.is_authenticated(r)}
    assert unguarded <= set(PUBLIC_ROUTE_REASONS), f"API routes without the scope dependency: {unguarded}"
    assert "/api/v1/events" in {p for m, p, r in routes if problems.is_authenticated(r)}


def _visit_url(path: str, route: APIRoute) -> str:
    """``path`` with its parameters filled: 1, or for a segment of fixed words (``{action:plan_action}``,
    yingji.web.relief_pages) the first word its convertor takes."""

    def value(m: re.Match[str]) -> str:
        return route.param_convertors[m[1]].regex.split("|")[0] if m[2] else "1"

    return re.sub(r"\{([a-z_]*)(:[a-z_]+)?\}", value, path)


def test_every_page_refuses_an_anonymous_visitor(live: LiveServer) -> None:
    anonymous = live.client()
    pages = [(m, p, r) for m, p, r in api_routes(live.app) if not p.startswith("/api/") and m in ("GET", "POST")]
    assert len(pages) > 20
    for method, path, route in pages:
        if (method, path) in PUBLIC_PAGES:
            continue
        response = anonymous.request(method, _visit_url(path, route), follow_redirects=False)
        redirected = response.status_code in (302, 303, 307) and "/login" in response.headers.get("location", "")
        # A page's form is validated before its handler looks at the session (422 reads and writes nothing).
        refused = (401, 403) if method == "GET" else (401, 403, 422)
        assert redirected or response.status_code in refused, (method, path, response.status_code)


def _unbounded(doc: dict[str, Any]) -> set[str]:
    """Every string without maxLength (nor an enum, a bounded pattern or a fixed format) and every array
    without maxItems among the operations' parameters and request bodies."""
    components = doc["components"]["schemas"]
    found: set[str] = set()

    def bounded_pattern(pattern: str | None) -> bool:
        return (
            bool(pattern)
            and pattern.startswith("^")
            and pattern.endswith("$")
            and not re.search(  # type: ignore[union-attr]
                r"[*+]|\{\d+,\}", pattern or ""
            )
        )

    def walk(schema: dict[str, Any], where: str, seen: frozenset[str]) -> None:
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            if name not in seen:
                walk(components[name], f"{where}>{name}", seen | {name})
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                walk(sub, where, seen)
        kind = schema.get("type")
        if kind == "string" and not (
            "maxLength" in schema
            or "enum" in schema
            or "const" in schema
            or schema.get("format") in ("date-time", "date", "binary")
            or bounded_pattern(schema.get("pattern"))
        ):
            found.add(where)
        if kind == "array":
            walk(schema.get("items", {}), f"{where}[]", seen)
            if "maxItems" not in schema:
                found.add(f"{where} (array without maxItems)")
        for name, sub in schema.get("properties", {}).items():
            walk(sub, f"{where}.{name}", seen)
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            walk(extra, f"{where}{{}}", seen)
        open_object = kind == "object" and extra not in (None, False) and not schema.get("properties")
        if open_object and "maxProperties" not in schema:
            found.add(f"{where} (open object)")

    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                walk(parameter["schema"], f"{method} {path} ?{parameter['name']}", frozenset())
            for content in operation.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"], f"{method} {path} body", frozenset())
    return found


def test_every_input_string_and_array_is_bounded(app: FastAPI) -> None:
    unbounded = _unbounded(app.openapi())
    assert unbounded <= set(UNBOUNDED_BY_SCHEMA), sorted(unbounded - set(UNBOUNDED_BY_SCHEMA))


def test_every_operation_declares_its_problem_responses(app: FastAPI) -> None:
    doc = app.openapi()
    assert {"type", "title", "status", "detail", "code"} <= set(doc["components"]["schemas"]["Problem"]["properties"])
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            errors = {code for code in responses if code.startswith(("4", "5")) and code != "503"}
            for code in errors:
                assert problems.PROBLEM_MEDIA_TYPE in responses[code]["content"], (method, path, code)
            if (method.upper(), path) not in PUBLIC_ROUTE_REASONS:
                assert {"401", "403"} <= errors, (method, path)
            if "{" in path:
                assert "404" in errors, (method, path)
            if operation.get("requestBody"):
                assert {"400", "413", "422"} <= errors, (method, path)


def _problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (status, response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status", "detail", "code"} <= set(body) and body["status"] == status
    for internal in ("Traceback", 'File "', "sqlalchemy", "pydantic", "Exception", "/src/yingji"):
        assert internal not in response.text, internal
    return body


INCIDENT = {
    "title": "错误路径",
    "incident_type": "flood",
    "divisions": ["540223000000"],
    "lon": 87.5,
    "lat": 28.9,
    "occurred_at": "2026-07-01T01:00:00Z",
}


def test_error_paths_are_problem_details_without_internals(live: LiveServer) -> None:
    client = live.client("dingri_duty")
    auth = dict(client.headers)
    raw = httpx.Client(base_url=live.url, headers={"Authorization": auth["authorization"]}, timeout=30)
    _problem(client.put("/api/v1/incidents", json={}), 405)
    _problem(client.delete("/api/v1/health"), 405)
    _problem(client.get("/api/v1/no-such-route"), 404)
    assert _problem(live.client().get("/api/v1/incidents"), 401)["code"] == "unauthorized"
    bad_token = httpx.get(live.url + "/api/v1/incidents", headers={"Authorization": "Bearer a.b.c"})
    _problem(bad_token, 401)
    text_body = raw.post("/api/v1/incidents", content=json.dumps(INCIDENT), headers={"Content-Type": "text/plain"})
    assert "application/json" in _problem(text_body, 415)["detail"]
    _problem(raw.post("/api/v1/incidents", content="<a/>", headers={"Content-Type": "application/xml"}), 415)
    _problem(client.post("/api/v1/incidents", data={"title": "x"}), 415)
    _problem(client.post("/api/v1/auth/token", json={"username": "a", "password": "b"}), 415)
    json_type = {"Content-Type": "application/json"}
    _problem(raw.post("/api/v1/incidents", content='{"title": ', headers=json_type), 422)
    _problem(raw.post("/api/v1/incidents", content=b"\xff\xfe{", headers=json_type), 400)
    _problem(raw.post("/api/v1/incidents", content="[" * 100_000 + "]" * 100_000, headers=json_type), 400)
    _problem(client.post("/api/v1/incidents", json=[1, 2]), 422)
    _problem(client.get("/api/v1/incidents/" + "9" * 400), 422)
    _problem(client.post("/api/v1/incidents", json={**INCIDENT, "figures": {"deaths": 10**40}}), 422)
    _problem(raw.post("/api/v1/incidents", content='{"lon": ' + "9" * 60 + "}", headers=json_type), 422)
    # Python's JSON reader refuses integers over 4,300 digits (a CPU guard): the body does not parse.
    _problem(raw.post("/api/v1/incidents", content='{"lon": ' + "9" * 5000 + "}", headers=json_type), 400)
    _problem(
        raw.post("/api/v1/incidents", content=json.dumps({**INCIDENT, "lon": float("nan")}), headers=json_type), 422
    )
    assert "NUL" in _problem(client.post("/api/v1/tokens", json={"name": "a\x00b"}), 422)["detail"]
    _problem(client.post("/api/v1/incidents", json={**INCIDENT, "title": "a\x00b"}), 422)
    _problem(client.get("/api/v1/divisions/" + "5" * 5000), 422)
    assert (
        "title" in _problem(client.post("/api/v1/incidents", json={**INCIDENT, "title": "长" * 100_000}), 422)["detail"]
    )
    _problem(live.client().post("/api/v1/auth/token", data={"username": "u" * 10_000, "password": "p"}), 422)
    _problem(live.client().post("/api/v1/auth/token", data={"username": "admin", "password": "p" * 10_000}), 422)
    # past the sign-in route's body limit the edge answers first, before anything parses the form
    _problem(live.client().post("/api/v1/auth/token", data={"username": "admin", "password": "p" * 100_000}), 413)
    assert client.get("/api/v1/incidents", params={"q": "错误路径"}).json()["total"] == 0  # nothing half-written


class EchoBody(BaseModel):
    n: int


def test_an_unsupported_media_type_is_judged_only_when_the_body_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A JSON body labelled ``application/merge-patch+json`` (a +json type) is read as JSON, not refused."""
    from fastapi.testclient import TestClient

    from yingji import edge

    # the probe route takes a body without a token (the edge refuses such bodies on other routes)
    monkeypatch.setattr(edge, "PUBLIC_BODY_ROUTES", edge.PUBLIC_BODY_ROUTES | {("POST", "/echo")})
    app = create_app(test_settings(f"sqlite:///{tmp_path / 'x.db'}"))

    @app.post("/echo")
    def echo(body: EchoBody) -> int:
        return body.n

    with TestClient(app) as client:
        ok = client.post("/echo", content='{"n": 2}', headers={"Content-Type": "application/merge-patch+json"})
        wrong = client.post("/echo", content='{"n": "x"}', headers={"Content-Type": "application/vnd.x+json"})
    assert ok.status_code == 200 and ok.json() == 2
    assert wrong.status_code == 422


def test_an_administrator_cannot_disable_their_own_account(live: LiveServer) -> None:
    admin = live.client("admin")
    me = admin.get("/api/v1/auth/me").json()
    body = _problem(admin.post(f"/api/v1/users/{me['id']}/disable"), 409)
    assert "your own account" in body["detail"]
    assert admin.get("/api/v1/auth/me").status_code == 200


def test_an_xml_external_entity_is_not_resolved(live: LiveServer, tmp_path: Path) -> None:
    """A CAP import naming a local file as an external entity: refused, and the file's text never comes
    back (entities are not resolved, nothing is fetched)."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-XXE-MARKER", encoding="utf-8")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE alert [<!ENTITY x SYSTEM "file://{secret}">]>'
        '<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&x;</identifier></alert>'
    )
    response = live.client("admin").post("/api/v1/warnings/import", json={"xml": xml})
    assert response.status_code in (200, 422), response.text
    assert "TOP-SECRET-XXE-MARKER" not in response.text
    if response.status_code == 200:
        assert response.json()["imported"] == 0
