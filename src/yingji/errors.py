"""Domain errors. Each carries a machine-readable code and an HTTP status; ``app.py`` turns them into
RFC 9457 problem details in one place, and the CLI prints them as one clear line."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the platform reports to a user.

    ``extra`` holds JSON-ready values (str, numbers, lists, dicts, None) that the API adds to the problem
    details body beside ``code`` (e.g. ``field``, ``current_version``); the CLI shows only ``detail``."""

    code = "error"
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class NotFound(DomainError):
    code, status, title = "not_found", 404, "Not found"


class Conflict(DomainError):
    code, status, title = "conflict", 409, "Conflict"


class InvalidInput(DomainError):
    code, status, title = "invalid_input", 422, "Invalid input"


class Unauthorized(DomainError):
    code, status, title = "unauthorized", 401, "Not authenticated"


class Forbidden(DomainError):
    """Used only for actions on rows the caller may *see* but not change (e.g. an ancestor division)."""

    code, status, title = "forbidden", 403, "Forbidden"


class TooManyRequests(DomainError):
    code, status, title = "too_many_requests", 429, "Too many requests"


class ServiceUnavailable(DomainError):
    code, status, title = "service_unavailable", 503, "Service unavailable"
