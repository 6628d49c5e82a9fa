"""One message catalogue for every page: Chinese first, English second (``messages.yaml``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

from yingji.errors import DomainError, Message

LANGUAGES = ("zh", "en")


class Translated(str):
    """A text that came out of the catalogue (already in the reader's language): a domain error raised by a
    page with such a text is shown as it is."""

    __slots__ = ()


@cache
def catalogue() -> dict[str, dict[str, str]]:
    data: dict[str, dict[str, str]] = yaml.safe_load(files("yingji.web").joinpath("messages.yaml").read_text("utf-8"))
    return data


def translator(lang: str) -> Callable[..., str]:
    """``t(key, **values)``: the message in ``lang`` (falling back to Chinese), formatted with values."""
    messages = catalogue()
    language = lang if lang in LANGUAGES else "zh"

    def t(key: str, **values: Any) -> str:
        entry = messages.get(key)
        if entry is None:
            return key  # a missing key shows itself (and tests/web/test_i18n.py fails)
        text = entry.get(language) or entry["zh"]
        return Translated(text.format(**values) if values else text)

    return t


def page_message(t: Callable[..., str], lang: str, error: DomainError) -> str:
    """A domain error as a page shows it, in the reader's language: the text a page raised it with (already
    translated), else the catalogue message its raise site named (``key``, ``params``), else, in English,
    its detail, and in Chinese the message of its code (or of its nearest base class's code)."""
    if isinstance(error.detail, Translated):
        return error.detail
    messages = catalogue()
    if error.key and error.key in messages:
        params = {k: (t(v.key, **v.params) if isinstance(v, Message) else v) for k, v in error.params.items()}
        return t(error.key, **params)
    if lang == "en":
        return error.detail
    for cls in type(error).__mro__:
        code = getattr(cls, "code", None)
        if code and f"error.code.{code}" in messages:
            return t(f"error.code.{code}")
    return t("error.code.error")


def client_messages(lang: str, prefix: str = "js.") -> dict[str, str]:
    """The messages the page scripts need, for embedding in the page."""
    t = translator(lang)
    return {key[len(prefix) :]: t(key) for key in catalogue() if key.startswith(prefix)}
