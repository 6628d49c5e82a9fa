"""Every domain's ``models`` module is in the registry, so Alembic and the XSS fill see all tables."""

from __future__ import annotations

import pkgutil

import yingji
from yingji.models_registry import MODEL_MODULES


def test_every_models_module_is_registered() -> None:
    found = {
        info.name
        for info in pkgutil.walk_packages(yingji.__path__, "yingji.")
        if info.name.rsplit(".", 1)[-1] == "models"
    }
    registered = {module.__name__ for module in MODEL_MODULES}
    assert found - registered == set()
    assert registered <= found
