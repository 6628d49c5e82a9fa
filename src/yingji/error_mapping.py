"""Errors to HTTP answers, in one place: domain errors, request validation, HTTP and database errors become
RFC 9457 problem details; an unknown error is logged with its request and answered as a bare 500."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DataError, IntegrityError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException

from yingji import problems
from yingji.errors import DomainError
from yingji.web.headers import error_headers

log = logging.getLogger("yingji")

PROBLEM = "application/problem+json"


def problem(status: int, title: str, detail: str, code: str, **extra: Any) -> JSONResponse:
    body = {
        "type": f"about:blank#{code}" if code else "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


_startup_frozen = False


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain_error(request: Request, exc: DomainError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        if exc.status == 429 and "retry_after" in exc.extra:
            headers = {"Retry-After": str(exc.extra["retry_after"])}
            await app.state.refusal_pacer.pace(request.scope, always=True)  # a throttled sign-in waits
        response = problem(
            exc.status,
            exc.title,
            exc.detail,
            exc.code,
            **jsonable_encoder(exc.extra),
        )
        if headers:
            response.headers.update(headers)
        return response

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
        unsupported = problems.unsupported_media_type(request, exc.errors())
        if unsupported:
            return problem(415, "Unsupported media type", unsupported, "unsupported_media_type")
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": str(e.get("msg", "")), "type": str(e.get("type", ""))}
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"loc": [], "msg": "invalid request"}
        detail = f"{'.'.join(first['loc'])}: {first['msg']}" if first["loc"] else str(first["msg"])
        return problem(422, "Invalid input", detail, "invalid_input", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {
            400: "Bad request",
            401: "Not authenticated",
            404: "Not found",
            405: "Method not allowed",
            406: "Not acceptable",
            413: "Request body too large",
            415: "Unsupported media type",
        }
        response = problem(
            exc.status_code, titles.get(exc.status_code, "Error"), str(exc.detail), "http_" + str(exc.status_code)
        )
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    @app.exception_handler(DataError)
    async def data_error(request: Request, exc: DataError) -> JSONResponse:
        # A value the database cannot store (e.g. a NUL character in a form field): the client's input.
        log.info("data error on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(422, "Invalid input", "a value in the request cannot be stored", "invalid_input")

    @app.exception_handler(IntegrityError)
    async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
        # A uniqueness rule the service checked, broken by a writer that committed in between (two
        # requests at once): the later one is told to read again. Any other integrity error is a bug.
        if not _is_unique_violation(exc):
            return await unexpected(request, exc)
        log.info("unique violation on %s %s: %s", request.method, request.url.path, exc.orig)
        return problem(
            409,
            "Conflict",
            "another request changed the same record at the same time; read it again and retry",
            "conflict",
        )

    @app.exception_handler(StatementError)
    async def statement_error(request: Request, exc: StatementError) -> JSONResponse:
        # A domain error raised while SQLAlchemy bound a value (yingji.db.UTCDateTime's range guard)
        # arrives wrapped; answer it as itself. Anything else is a bug.
        if isinstance(exc.orig, DomainError):
            return await domain_error(request, exc.orig)
        return await unexpected(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        response = problem(500, "Internal error", "an internal error occurred; it has been logged", "internal")
        response.headers.update(error_headers(request.app.state.settings.tile_url))  # past SecurityHeaders
        return response


def _is_unique_violation(exc: IntegrityError) -> bool:
    sqlstate = getattr(exc.orig, "sqlstate", None)  # psycopg
    return sqlstate == "23505" or (sqlstate is None and "UNIQUE constraint failed" in str(exc.orig))
