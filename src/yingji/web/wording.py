"""Machine text stored by the engines, put into the reader's language for the pages: relief-item codes as
their catalogue names, the travel model a plan used, solver statuses. Pure (no database, no web framework):
the texts come in, the translator ``t`` of the page puts them out."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

Translate = Callable[..., str]

_FALLBACK = re.compile(r"^fallback: great-circle × ([\d.]+) at ([\d.]+) km/h$")
_ROADS = re.compile(r"^road network (.*): (\d+) open segments, (\d+) cut$")


def item_name(code: str, names_zh: Mapping[str, str], lang: str) -> str:
    """A relief item by its catalogue name in Chinese, by its code with spaces in English."""
    if lang == "zh":
        return names_zh.get(code, code)
    return code.replace("_", " ")


def item_names(names_zh: Mapping[str, str], lang: str) -> dict[str, str]:
    """Every catalogue item's name in the page's language, by code."""
    return {code: item_name(code, names_zh, lang) for code in names_zh}


def travel(t: Translate, text: str) -> str:
    """The travel model a relief plan used (``relief.service`` stores it as English text of two shapes)."""
    if found := _FALLBACK.match(text):
        return t("relief.travel.fallback", detour=found.group(1), speed=found.group(2))
    if found := _ROADS.match(text):
        return t("relief.travel.roads", names=found.group(1), open=found.group(2), cut=found.group(3))
    return text
