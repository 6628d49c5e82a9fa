"""A public randomness beacon as the draws' seed (YINGJI_DRAW_BEACON_URL): its answer checked (pure); over real
HTTP, a draw takes the beacon's value and records its round, verifies, and a beacon that cannot be read
refuses the draw (503) with nothing stored — no silent fall-back to another source."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from tests.conftest import LiveServer, _fresh_database, free_port, test_settings
from yingji.enforcement import beacon

VALUE = "ab" * 32


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"round": 0, "randomness": VALUE},
        {"round": True, "randomness": VALUE},
        {"round": 3, "randomness": "xyz"},
        {"round": 3, "randomness": VALUE[:-2]},
        {"randomness": VALUE},
    ],
)
def test_a_malformed_beacon_answer_is_refused(payload: Any) -> None:
    with pytest.raises(beacon.BeaconError):
        beacon.parse(payload)


def test_a_beacon_answer_gives_its_round_and_value() -> None:
    assert beacon.parse({"round": 7, "randomness": VALUE.upper(), "signature": "…"}) == (7, VALUE)
    assert beacon.origin(7) == "beacon:7"


class _Beacon(BaseHTTPRequestHandler):
    answer: ClassVar[dict[str, Any] | None] = {"round": 4242, "randomness": VALUE}

    def do_GET(self) -> None:  # the standard library's name
        if type(self).answer is None:
            self.send_response(502)
            self.end_headers()
            return
        body = json.dumps(type(self).answer).encode()
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    stub = ThreadingHTTPServer(("127.0.0.1", free_port()), _Beacon)
    threading.Thread(target=stub.serve_forever, daemon=True).start()
    tmp = tmp_path_factory.mktemp("beacon")
    try:
        for url in _fresh_database("sqlite", request, tmp):
            settings = test_settings(url, draw_beacon_url=f"http://127.0.0.1:{stub.server_port}/public/latest")
            with LiveServer(settings) as live:
                yield live
    finally:
        stub.shutdown()


def test_a_draw_takes_the_beacons_value_records_its_round_and_verifies(server: LiveServer) -> None:
    from tests.web.test_enforcement_pages import _county

    made = _county(server, "540223000000", "信标")
    draw = made["draw"]
    assert draw["seed"] == VALUE and draw["seed_source"] == "beacon:4242"
    admin = server.client("admin")
    assert admin.get(f"/api/v1/enforcement/draws/{draw['id']}/verify").json()["verified"] is True

    _Beacon.answer = None  # the beacon is down: the draw is refused, nothing is stored
    try:
        plan = made["plan"]["id"]
        before = admin.get(f"/api/v1/enforcement/plans/{plan}/draws").json()
        refused = admin.post(f"/api/v1/enforcement/plans/{plan}/draws", json={"reason": "再抽"})
        assert refused.status_code == 503 and "beacon" in refused.json()["detail"]
        assert admin.get(f"/api/v1/enforcement/plans/{plan}/draws").json() == before
    finally:
        _Beacon.answer = {"round": 4242, "randomness": VALUE}
