"""One message catalogue for every page: Chinese first, English second (``messages.yaml``)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from importlib.resources import files
from typing import Any

import yaml

LANGUAGES = ("zh", "en")


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
        return text.format(**values) if values else text

    return t


def client_messages(lang: str, prefix: str = "js.") -> dict[str, str]:
    """The messages the page scripts need, for embedding in the page."""
    t = translator(lang)
    return {key[len(prefix) :]: t(key) for key in catalogue() if key.startswith(prefix)}
