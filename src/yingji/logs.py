"""Operable logs: every line with its time (UTC, ISO 8601), level, logger and the request it belongs to;
plain text for people or one JSON object a line for collectors (``YINGJI_LOG_FORMAT``).

The request id comes from the server's middleware (``X-Request-ID`` of a trusted client, else a new
one) through a context variable, so that every line a request causes, in any module, carries it.
Nothing secret is logged: messages never include passwords, tokens or the secret key, and
``redact`` masks what looks like a credential in URLs that are logged (``user:password@``, ``token=``).
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
from typing import Any

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("yingji_request_id", default="-")
_CREDENTIAL = re.compile(r"(://[^:/@\s]+:)[^@/\s]+(@)|((?:token|password|secret|key)=)[^&\s]+", re.IGNORECASE)


def redact(text: str) -> str:
    """``text`` with URL passwords and ``token=…``-like query values replaced by ``***``."""
    return _CREDENTIAL.sub(lambda m: f"{m[1]}***{m[2]}" if m[1] else f"{m[3]}***", text)


class _Context(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def _utc(record: logging.LogRecord) -> str:
    moment = dt.datetime.fromtimestamp(record.created, dt.UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line = f"{_utc(record)} {record.levelname:<7} {record.name} [{getattr(record, 'request_id', '-')}] "
        line += redact(record.getMessage())
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": _utc(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, ensure_ascii=False)


def config_dict(log_format: str = "text", level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` for the platform and uvicorn (also passed as uvicorn's
    ``log_config``, so its access and error lines have the same shape)."""
    formatter = "yingji.logs.JsonFormatter" if log_format == "json" else "yingji.logs.TextFormatter"
    handler = {
        "class": "logging.StreamHandler",
        "formatter": "main",
        "filters": ["context"],
        "stream": "ext://sys.stderr",
    }
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": "yingji.logs._Context"}},
        "formatters": {"main": {"()": formatter}},
        "handlers": {"main": handler},
        "root": {"handlers": ["main"], "level": level},
        "loggers": {
            name: {"handlers": ["main"], "level": level, "propagate": False}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "yingji")
        },
    }


def configure(log_format: str = "text", level: str = "INFO") -> None:
    import logging.config

    logging.config.dictConfig(config_dict(log_format, level))
