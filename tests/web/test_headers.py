"""The Content-Security-Policy's pieces: a configured tile server adds only its origin to img-src."""

from __future__ import annotations

import pytest

from yingji.web.headers import page_policy, tile_origin


@pytest.mark.parametrize(("url", "origin"), [
    ("https://{s}.tile.example.org/{z}/{x}/{y}.png", "https://*.tile.example.org"),
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
    policy = dict(d.strip().split(" ", 1) for d in page_policy("https://{s}.tile.example.org/{z}/{x}/{y}.png").split(";"))
    assert policy["img-src"] == "'self' https://*.tile.example.org"
    assert all("example.org" not in v for k, v in policy.items() if k != "img-src")
    assert policy["script-src"] == "'self'" and policy["frame-ancestors"] == "'none'"
    assert page_policy(None).count("img-src 'self';") == 1
