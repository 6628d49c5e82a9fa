"""Domain errors. Each carries a machine-readable code and an HTTP status; ``error_mapping.py`` turns them
into RFC 9457 problem details in one place, and the CLI prints them as one clear line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Message:
    """A catalogue message as a parameter of an error's message (a status by its name, say)."""

    key: str
    params: dict[str, Any] = field(default_factory=dict)


class DomainError(Exception):
    """Base of every error the platform reports to a user.

    ``extra`` holds JSON-ready values (str, numbers, lists, dicts, None) that the API adds to the problem
    details body beside ``code`` (e.g. ``field``, ``current_version``); the CLI shows only ``detail``.

    ``detail`` is English (the API's and the CLI's language). A page shows the error in its reader's
    language through the message catalogue (``yingji.web.i18n.page_message``): ``key`` names the catalogue
    message (formatted with ``params``) where a raise site gives one; otherwise the page shows the message
    of the error's ``code`` (``error.code.<code>``, else that of the nearest base class)."""

    code = "error"
    status = 400
    title = "Bad request"

    def __init__(
        self, detail: str, *, key: str | None = None, params: dict[str, Any] | None = None, **extra: Any
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.key = key
        self.params = dict(params or {})
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
