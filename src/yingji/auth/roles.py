"""Roles and permissions, read from ``standards/roles.yaml``."""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from typing import Any

import yaml


@cache
def _catalogue() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(files("yingji.standards").joinpath("roles.yaml").read_text("utf-8"))
    return data


def role_names() -> tuple[str, ...]:
    return tuple(_catalogue()["roles"])


def permissions_of(role: str) -> frozenset[str]:
    roles = _catalogue()["roles"]
    if role not in roles:
        return frozenset()
    granted = roles[role]["permissions"]
    if "*" in granted:
        return frozenset(_catalogue()["permissions"])
    return frozenset(granted)


def all_permissions() -> frozenset[str]:
    return frozenset(_catalogue()["permissions"])
