"""RFC 9457 problem details in the OpenAPI document: the one body every API error has, and which error
statuses each operation declares.

The statuses are derived from what a route is, because that is what decides what it can answer:

- every route with parameters or a body can answer 422 (validation, including the datetime range);
- a route that depends on the caller's scope (:data:`AUTH_DEPENDENCIES`) can answer 401 (no, expired or
  revoked token) and 403 (the role lacks the permission, a read-only row of a higher level, CSRF);
- a route with a path parameter, or a query parameter naming a row (:data:`ROW_QUERY_PARAMETER`: a
  division, an incident, a site …), names a row which may not exist or lie outside the caller's
  jurisdiction: 404 (the two are answered alike);
- a route of an unsafe method writes: it can break a uniqueness rule or meet a record in a state that
  refuses the change (409), or name a row that does not exist (404); one with a body can be larger than
  the request size limit (413), not parse (400: not UTF-8, nested too deep) or come in a media type the
  route does not read (415, see :func:`unsupported_media_type`);
- anything else a route can answer is declared on the route itself with ``responses=problem_responses(…)``
  (e.g. 401 and 429 of the login).

:func:`install` applies this to every API route of an app once its routers are mounted, and adds the
``Problem`` schema to the document's components.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.params import File, Form
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from yingji.api_common import get_scope, get_scope_detached

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_REF = "#/components/schemas/Problem"

# A route depends on the caller's identity and jurisdiction iff one of these is among its dependencies.
AUTH_DEPENDENCIES: frozenset[Callable[..., Any]] = frozenset({get_scope, get_scope_detached})

# Query parameters that name a row (``division=5402…``, ``parent=``, ``incident_id=``, ``network=``).
ROW_QUERY_PARAMETER = re.compile(r"^(division|parent|network)$|_(id|code)$")

DESCRIPTIONS: dict[int, str] = {
    400: "Bad request (problem details).",
    401: "Not authenticated: no token, or an expired, revoked or malformed one (problem details).",
    403: "Forbidden: the role lacks the permission, the row is read-only at this level, or CSRF (problem details).",
    404: "Not found, or outside the caller's jurisdiction — the two are not told apart (problem details).",
    405: "Method not allowed (problem details).",
    409: "Conflict: a uniqueness rule or the record's state refuses the change (problem details).",
    413: "Request body too large (problem details).",
    415: "Unsupported media type (problem details).",
    422: "Invalid input; ``errors`` lists each field with its location (problem details).",
    429: "Too many requests; retry later (problem details).",
    503: "A service the operation needs is unavailable (problem details).",
}


class ProblemFieldError(BaseModel):
    loc: list[str] = Field(description="Where the invalid value is, e.g. ['body', 'occurred_at'].")
    msg: str
    type: str


class Problem(BaseModel):
    """An error, as RFC 9457 problem details, with a machine-readable ``code``."""

    model_config = ConfigDict(extra="allow", title="Problem")

    type: str = Field(description="A URI reference naming the kind of problem, e.g. about:blank#not_found.")
    title: str = Field(description="A short summary of the kind of problem.")
    status: int = Field(ge=400, le=599, description="The HTTP status code.")
    detail: str = Field(description="What went wrong in this occurrence, for a human.")
    code: str = Field(description="A stable machine-readable code, e.g. not_found, conflict, invalid_input.")
    errors: list[ProblemFieldError] | None = Field(default=None, description="Each invalid field (422 only).")


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` entries declaring problem details for ``statuses`` (for a route's ``responses=``)."""
    return {
        status: {
            "description": DESCRIPTIONS.get(status, "Problem details."),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
        }
        for status in statuses
    }


FORM_MEDIA_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def expected_media_types(route: APIRoute) -> tuple[str, ...]:
    """The media types a route reads its body in: forms (and uploads), else JSON; none without a body."""
    dependants = [route.dependant, *_flat(route.dependant.dependencies)]
    fields = [f for d in dependants for f in d.body_params]
    if not fields:
        return ()
    if any(isinstance(f.field_info, File) for f in fields):
        return ("multipart/form-data",)
    if any(isinstance(f.field_info, Form) for f in fields):
        return FORM_MEDIA_TYPES
    return ("application/json",)


def unsupported_media_type(request: Request, errors: Iterable[Any]) -> str | None:
    """Why a request's body failed validation because it came in a media type its route does not read
    (then 415, not 422), or None. Only asked once validation failed: a body that validates is never
    refused for its label."""
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or not any(tuple(e.get("loc", ()))[:1] == ("body",) for e in errors):
        return None
    expected = expected_media_types(route)
    sent = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if not expected or not sent:
        return None
    if sent in expected or (expected == ("application/json",) and sent.endswith("+json")):
        return None
    return f"the body must be sent as {' or '.join(expected)}, not {sent}"


def dependency_calls(route: APIRoute) -> set[Callable[..., Any]]:
    """Every callable the route depends on, at any depth."""
    return {inspect.unwrap(d.call) for d in _flat(route.dependant.dependencies) if d.call is not None}


def is_authenticated(route: APIRoute) -> bool:
    return not AUTH_DEPENDENCIES.isdisjoint(dependency_calls(route))


def derived_statuses(route: APIRoute) -> set[int]:
    """The error statuses a route can answer, from what the route is (see the module's docstring)."""
    dependants = [route.dependant, *_flat(route.dependant.dependencies)]
    path = [p for d in dependants for p in d.path_params]
    query = [p for d in dependants for p in d.query_params]
    other = [p for d in dependants for p in (*d.header_params, *d.cookie_params)]
    has_body = route.body_field is not None or any(d.body_params for d in dependants)
    statuses: set[int] = set()
    if path or query or other or has_body:
        statuses.add(422)
    if is_authenticated(route):
        statuses |= {401, 403}
    if path or any(ROW_QUERY_PARAMETER.search(p.alias) for p in query):
        statuses.add(404)
    if (route.methods or set()) - {"GET", "HEAD"}:
        statuses |= {404, 409}
    if has_body:
        statuses |= {400, 413, 415}
    if "requestBody" in (route.openapi_extra or {}):  # a body the handler reads itself (CSV, XML, NDJSON)
        statuses |= {400, 413, 422}
    return statuses


def _flat(dependants: Iterable[Any]) -> list[Any]:
    out: list[Any] = []
    pending = list(dependants)
    while pending:
        dependant = pending.pop()
        out.append(dependant)
        pending.extend(dependant.dependencies)
    return out


def declare(routes: Iterable[Any]) -> None:
    """Add the derived problem responses to each API route (a route's own declarations win)."""
    for route in routes:
        inner = getattr(route, "route", route)  # a route seen through an include prefix
        if not isinstance(inner, APIRoute) or not inner.include_in_schema:
            continue
        responses = problem_responses(*sorted(derived_statuses(inner)))
        for status, own in inner.responses.items():
            key = int(status) if str(status).isdigit() else status
            entry = {**responses.get(key, {}), **own}
            if str(status).startswith(("4", "5")) and "content" not in entry:  # a description only
                entry["content"] = problem_responses(400)[400]["content"]
            responses[key] = entry
        inner.responses = responses


def install(app: FastAPI, routes: Iterable[Any]) -> None:
    """Declare problem responses on ``routes`` (the app's, expanded) and publish the ``Problem`` schema."""
    declare(routes)
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build()
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
