"""The catalogue of tip categories (``standards/tip_categories.yaml``)."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml


@cache
def catalogue() -> dict[str, dict[str, str]]:
    data: dict[str, Any] = yaml.safe_load(files("yingji.standards").joinpath("tip_categories.yaml").read_text("utf-8"))
    return dict(data["categories"])


def names() -> tuple[str, ...]:
    return tuple(catalogue())
