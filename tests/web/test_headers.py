"""The Content-Security-Policy's pieces: a configured tile server adds only its origin to img-src."""

from __future__ import annotations

from pathlib import Path

import pytest

from yingji.web.headers import page_policy, tile_origin


@pytest.mark.parametrize(("url", "origin"), [
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
    ("https://t{s}.tianditu.gov.cn/vec_w/wmts?tk={key}&x={x}", "https://*.tianditu.gov.cn"),
    ("http://tiles.local:8080/{z}/{x}/{y}.png", "http://tiles.local:8080"),
    ("https://user:pw@tiles.example.org/{z}/{x}/{y}.png", "https://tiles.example.org"),
    ("javascript:alert(1)//{z}", None),
    ("data:image/png;base64,AAAA", None),
    ("https://tiles.example.org;script-src *;/{z}", None),
    ("", None),
    (None, None),
])  # fmt: skip
def test_a_tile_url_gives_its_origin_or_nothing(url: str | None, origin: str | None) -> None:
    assert tile_origin(url) == origin


def test_the_tile_origin_is_allowed_for_images_only() -> None:
    policy = dict(
        d.strip().split(" ", 1) for d in page_policy("https://{s}.tile.example.org/{z}/{x}/{y}.png").split(";")
    )
    assert policy["img-src"] == "'self' https://*.tile.example.org"
    assert all("example.org" not in v for k, v in policy.items() if k != "img-src")
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert page_policy(None).count("img-src 'self';") == 1


def test_an_unexpected_error_answer_carries_the_headers_too(tmp_path: Path) -> None:
    """The last-resort 500 is made by Starlette's outermost middleware, past SecurityHeaders."""
    from fastapi.testclient import TestClient
    from tests.conftest import test_settings

    from yingji.app import create_app

    app = create_app(test_settings(f"sqlite:///{tmp_path / 'x.db'}"))

    @app.get("/boom")
    def boom() -> None:
        raise RuntimeError("internal detail")

    with TestClient(app, raise_server_exceptions=False) as client:
        for path in ("/boom", "/no-such-route"):
            r = client.get(path)
            assert r.headers["x-content-type-options"] == "nosniff", path
            assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
            assert r.headers["cache-control"] == "no-store", path
        assert client.get("/boom").status_code == 500


def test_production_answers_ask_for_https_only(tmp_path: Path) -> None:
    from fastapi.testclient import TestClient
    from tests.conftest import test_settings

    from yingji.app import create_app

    for env, expected in (("production", True), ("test", False)):
        settings = test_settings(f"sqlite:///{tmp_path / 'x.db'}")
        object.__setattr__(settings, "env", env)  # the production start checks are not this test's subject
        with TestClient(create_app(settings)) as client:
            r = client.get("/login")
            assert ("strict-transport-security" in r.headers) is expected, env
