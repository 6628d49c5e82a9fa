"""The top bar's links are the app's one list (yingji.app.NAV), whatever page module was imported first."""

from __future__ import annotations

import importlib


def test_the_top_bar_is_the_apps_list_whatever_was_imported_before() -> None:
    from yingji import app
    from yingji.web import layers

    for name in ("yingji.hazards.pages", "yingji.tips.pages", "yingji.web.relief_pages"):
        importlib.import_module(name)
    assert list(app.NAV) == layers.NAV
    assert len({item.id for item in app.NAV}) == len(app.NAV)


def test_every_top_bar_link_is_a_page_route() -> None:
    from fastapi import FastAPI

    from yingji.app import NAV, ROUTERS, all_routes

    app = FastAPI()
    for router in ROUTERS:
        app.include_router(router)
    pages = {getattr(route, "path", None) for route in all_routes(app)}
    assert {item.path for item in NAV} <= pages
