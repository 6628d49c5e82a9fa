"""Routers answer "no match" at once for paths none of their routes begins with (yingji.app.guard_prefix). That
every route is still reached, also under a deployment prefix, the contract tests show by walking them all
(tests/api/test_jurisdiction.py, tests/api/test_api_contract.py, tests/web/test_root_path.py)."""

from __future__ import annotations

from starlette.routing import Match

from yingji.app import ROUTERS, create_app
from yingji.config import Settings


def _scope(path: str, method: str = "GET") -> dict[str, object]:
    return {"type": "http", "path": path, "root_path": "", "method": method, "headers": [], "query_string": b""}


def test_every_route_begins_with_one_of_its_routers_heads_and_other_paths_are_refused_at_once(tmp_path) -> None:  # type: ignore[no-untyped-def]
    create_app(Settings(database_url=f"sqlite:///{tmp_path / 'g.db'}", env="test"))
    guarded = [r for r in ROUTERS if getattr(r, "_yingji_heads", None)]
    assert len(guarded) > 20
    for router in guarded:
        heads = router._yingji_heads  # type: ignore[attr-defined]
        for route in router.routes:
            assert route.path.startswith(heads), (route.path, heads)  # type: ignore[attr-defined]
        assert router.matches(_scope("/nowhere/at/all"))[0] == Match.NONE
