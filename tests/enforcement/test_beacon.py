"""A public randomness beacon as the draws' seed (YINGJI_DRAW_BEACON_URL): its answer checked (pure); over real
HTTP, a draw takes the beacon's value and records its round, verifies, and a beacon that cannot be read
refuses the draw (503) with nothing stored — no silent fall-back to another source."""

from __future__ import annotations

import json
import threading
import time
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


# Recorded answers of the League of Entropy's default chain (8990e7a9…51b2ce), rounds 1 and 30: the signature
# and previous signature as the chain published them (round 1's previous signature is the chain's group hash);
# the randomness of each is SHA-256 of its signature.
ROUND_1 = {
    "round": 1,
    "randomness": "101297f1ca7dc44ef6088d94ad5fb7ba03455dc33d53ddb412bbc4564ed986ec",
    "signature": "8d61d9100567de44682506aea1a7a6fa6e5491cd27a0a0ed349ef6910ac5ac20ff7bc3e09d7c046566c9f7f3c6f3b1010"
    "4990e7cb424998203d8f7de586fb7fa5f60045417a432684f85093b06ca91c769f0e7ca19268375e659c2a2352b4655",
    "previous_signature": "176f93498eac9ca337150b46d21dd58673ea4e3581185f869672e59fa4cb390a",
}
ROUND_30 = {
    "round": 30,
    "signature": "84935a794779bf9a5b763972738728a05aceb8c388a9f5142446d064f722a972c3ff8ecc7d6ea1ba84bc19656499fed9"
    "130dd0c42603e1e1dfe3a47cace2741cf1096dd000f0b9b58d880df76fd739ad99797116f0d40217c77274eb6e94b236",
    "previous_signature": "996ed8703262191c4105266b59d073b565317a47b3be71c51d5c0e8d3372422784b43cfe6d211f207f9d3057"
    "0db323d5074df080fed6bbf6143496b2350d88bf07e0b64298d9673af4d94d83f550986b6725aaaf793ad3670aa58eae5573a9f0",
}
ROUND_30["randomness"] = __import__("hashlib").sha256(bytes.fromhex(ROUND_30["signature"])).hexdigest()
CHAIN = beacon.LOE_DEFAULT


def _at(number: int, late_s: float = 5.0) -> float:
    """A moment during ``number``'s period on the default chain."""
    return CHAIN.genesis + (number - 1) * CHAIN.period_s + late_s


@pytest.mark.parametrize("answer", [ROUND_1, ROUND_30], ids=["round 1", "round 30"])
def test_a_recorded_drand_round_verifies_under_the_chains_key(answer: dict[str, Any]) -> None:
    assert beacon.check(answer, CHAIN, _at(answer["round"])) == (answer["round"], answer["randomness"])
    assert beacon.check(answer, CHAIN, _at(answer["round"] + 1)) == (answer["round"], answer["randomness"])


def test_the_round_must_be_the_chains_latest_or_the_one_before() -> None:
    with pytest.raises(beacon.BeaconError, match="latest"):
        beacon.check(ROUND_30, CHAIN, _at(32))  # an old round, replayed
    with pytest.raises(beacon.BeaconError, match="latest"):
        beacon.check(ROUND_30, CHAIN, _at(29))  # a round from the future
    assert beacon.expected_round(CHAIN, CHAIN.genesis - 1) == 0 and beacon.expected_round(CHAIN, _at(30, 29.9)) == 30


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"randomness": "00" * 32}, "SHA-256 of its signature"),
        ({"round": 2}, "does not verify"),  # round 1's signature presented as round 2's (at round 2's time)
        ({"previous_signature": "00" * 32}, "does not verify"),
        ({"signature": ROUND_30["signature"], "randomness": ROUND_30["randomness"]}, "does not verify"),
        ({"signature": "zz"}, "hexadecimal signature"),
        ({"previous_signature": None}, "hexadecimal previous_signature"),
    ],
)
def test_a_tampered_answer_is_refused(change: dict[str, Any], why: str) -> None:
    answer = {**ROUND_1, **change}
    with pytest.raises(beacon.BeaconError, match=why):
        beacon.check(answer, CHAIN, _at(answer["round"] if isinstance(answer["round"], int) else 1))


def test_another_chains_key_does_not_verify_the_round() -> None:
    other = beacon.Chain("a0" + "00" * 47, CHAIN.genesis, CHAIN.period_s)  # no point of G1
    with pytest.raises(beacon.BeaconError, match="does not verify"):
        beacon.check(ROUND_1, other, _at(1))


def test_the_configured_key_makes_the_draws_seed_source_check_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    import httpx

    from yingji.config import Settings
    from yingji.enforcement import service
    from yingji.errors import ServiceUnavailable

    answers = iter([ROUND_1, {**ROUND_1, "randomness": "00" * 32}])
    request = httpx.Request("GET", "http://b")
    monkeypatch.setattr(httpx, "get", lambda *_a, **_k: httpx.Response(200, json=next(answers), request=request))
    # a chain whose round 1 is now, so that the recorded round 1 is the latest
    settings = Settings(draw_beacon_url="http://b/public/latest", draw_beacon_public_key=CHAIN.public_key,
                        draw_beacon_genesis=int(time.time()) - 10)  # fmt: skip
    read = service.seed_source_for(settings)
    assert read() == (ROUND_1["randomness"], "beacon:1")
    with pytest.raises(ServiceUnavailable, match="SHA-256"):
        read()
