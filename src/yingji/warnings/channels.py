"""Delivery channels of public warnings: webhook (HTTP POST of the CAP XML), MQTT topic (QoS 1), SMTP
e-mail (the CAP XML attached) and SMS through an HTTP gateway (the headline as text to a mobile number).
Each delivery returns (delivered, detail) for the receipt; a failure
is a receipt too, never an exception. No database here.

Webhook targets are restricted to an allow-list (``YINGJI_WEBHOOK_ALLOWED_TARGETS``): the server makes
the POST, so an unrestricted URL would let any issuer reach internal services from it (server-side
request forgery: the database admin port, a cloud metadata address, another bureau's intranet). An
entry is a URL prefix ``scheme://host[:port][/path]``; a target is allowed when its scheme, host and
port equal an entry's and its path lies under the entry's path. The default, an empty list, refuses
every webhook. Redirects are never followed, so an allowed host cannot bounce the POST elsewhere.

SMS goes through the bureau's own HTTP SMS gateway (``YINGJI_SMS_GATEWAY_URL``, held to the same
allow-list): a JSON POST ``{"to": "+8613800000000", "text": "...", "reference": "<CAP identifier>"}``
with an optional bearer token (``YINGJI_SMS_GATEWAY_TOKEN``); a 2xx answer is a delivered receipt."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

Channel = Literal["webhook", "mqtt", "smtp", "sms"]
CAP_MIME = "application/cap+xml"


@dataclass(frozen=True)
class ChannelConfig:
    mqtt_url: str | None = None
    smtp_url: str | None = None
    smtp_from: str = "yingji@localhost"
    timeout_s: float = 5.0
    webhook_allowed: tuple[str, ...] = ()  # URL prefixes (YINGJI_WEBHOOK_ALLOWED_TARGETS)
    sms_gateway_url: str | None = None  # YINGJI_SMS_GATEWAY_URL
    sms_gateway_token: str | None = None  # YINGJI_SMS_GATEWAY_TOKEN


_DEFAULT_PORTS = {"http": 80, "https": 443}
# What makes a URL mean different things to different parsers (the allow-list's and the receiving
# server's): a backslash (read as "/" by WHATWG parsers), control characters and whitespace anywhere; in
# the path an encoded slash, backslash, NUL or percent sign (decoded into a separator, or decoded twice,
# by some servers).
_AMBIGUOUS = re.compile(r"[\\\x00-\x20\x7f]")
_AMBIGUOUS_IN_PATH = re.compile(r"%(?:2f|5c|00|25)", re.IGNORECASE)
# A mainland mobile number (11 digits from 13x-19x), optionally with +86/0086 and spaces or dashes: texted
# by the SMS channel. Landlines (0892-1234567) and anything else are for people to call.
_MOBILE = re.compile(r"^(?:\+86|0086|86)?(1[3-9]\d{9})$")
SMS_TEXT_LIMIT = 300  # characters; a longer headline is cut (gateways split long texts into parts)
_UNRESERVED_ESCAPE = re.compile(r"%(2e|2d|5f|7e|[46][1-9a-f]|[57][0-9a]|3[0-9])", re.IGNORECASE)


def _idna_host(host: str) -> str | None:
    """The host as sent on the wire (IDNA 2008 A-labels, lower case, no trailing dot), or None when it
    cannot be encoded (then it cannot be matched, and is refused)."""
    import idna

    host = host.rstrip(".")
    if not host or "%" in host:
        return None
    if host.startswith("[") or host.replace(".", "").isdigit() or ":" in host:
        return host.lower()  # an IP literal
    try:
        return idna.encode(host.lower()).decode("ascii")
    except idna.IDNAError:
        return None


def _normal_path(path: str) -> str | None:
    """The path with unreserved escapes decoded (``%2e`` is ``.``) and dot segments removed (RFC 3986
    §5.2.4), so ``/cap/../admin`` is matched as ``/admin``; None when it holds a dot segment with
    parameters (``..;``, read as ``..`` by some servers) or climbs above the root."""
    path = _UNRESERVED_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), path or "/")
    out: list[str] = []
    for segment in path.split("/")[1:]:
        if segment.split(";", 1)[0] in (".", "..") and ";" in segment:
            return None
        if segment == "..":
            if not out:
                return None
            out.pop()
        elif segment != ".":
            out.append(segment)
    if path.endswith(("/.", "/..")):
        out.append("")
    return "/" + "/".join(out)


def _origin_and_path(url: str) -> tuple[str, str, int, str] | None:
    """(scheme, host, port, normalised path) of an http(s) URL, or None when it is not one or could be
    read two ways."""
    url = url.strip()
    if _AMBIGUOUS.search(url):
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    host, path = _idna_host(parts.hostname), _normal_path(parts.path)
    if host is None or path is None or _AMBIGUOUS_IN_PATH.search(parts.path):
        return None
    return scheme, host, port or _DEFAULT_PORTS[scheme], path


def webhook_refusal(url: str, allowed: tuple[str, ...] | list[str]) -> str | None:
    """Why a webhook target is refused, or None when the allow-list admits it. The target is compared in
    the form the receiving server reads it: host IDNA-encoded, default port filled in, path normalised."""
    target = _origin_and_path(url)
    if target is not None and "@" in urlsplit(url.strip()).netloc:
        return "webhook recipient must not carry credentials in the URL"
    if target is None:
        return "webhook recipient must be an unambiguous http(s) URL"
    if not allowed:
        return "webhook deliveries are refused: no target is allowed (set YINGJI_WEBHOOK_ALLOWED_TARGETS)"
    for entry in allowed:
        prefix = _origin_and_path(entry)
        if prefix is None or prefix[:3] != target[:3]:
            continue
        base = prefix[3]
        if base == "/" or target[3] == base or target[3].startswith(base.rstrip("/") + "/"):
            return None
    return f"webhook target {target[0]}://{target[1]}:{target[2]}{target[3]} is not in YINGJI_WEBHOOK_ALLOWED_TARGETS"


CHINESE_CHANNELS: dict[str, Channel] = {"推送": "webhook", "消息": "mqtt", "邮件": "smtp", "短信": "sms"}


def contact_targets(contact: str) -> list[tuple[Channel, str]]:
    """The delivery targets in an official's contact text: entries separated by ``;`` or new lines, each
    ``webhook:URL``, ``mqtt:TOPIC``, ``smtp:ADDRESS``, ``sms:NUMBER``, a bare ``http(s)://`` URL (webhook),
    a bare e-mail address (smtp) or a bare mobile number (sms, as +86…). Anything else (a landline) is for
    people to call, not a channel. The Chinese names 推送 / 消息 / 邮件 / 短信 stand for webhook / mqtt / smtp /
    sms, and full-width separators (；：) are read as their ASCII forms, so a contact can be typed on a
    Chinese keyboard."""
    found: list[tuple[Channel, str]] = []
    for raw in contact.replace("\n", ";").replace("；", ";").split(";"):
        entry = raw.strip()
        head, _, rest = entry.replace("：", ":", 1).partition(":")
        head = CHINESE_CHANNELS.get(head.strip(), head)
        mobile = mobile_number(rest if head == "sms" else entry)
        if head == "sms" and rest.strip():
            found.append(("sms", mobile or rest.strip()))
        elif mobile:
            found.append(("sms", mobile))
        elif head in ("webhook", "mqtt", "smtp") and rest.strip() and not rest.startswith("//"):
            found.append((head, rest.strip()))  # type: ignore[arg-type]
        elif entry.lower().startswith(("http://", "https://")):
            found.append(("webhook", entry))
        elif "@" in entry and " " not in entry:
            found.append(("smtp", entry))
    return found


def mobile_number(text: str) -> str | None:
    """A mainland mobile number in the form the gateway takes (+86 and 11 digits), or None."""
    found = _MOBILE.match(re.sub(r"[\s-]", "", text))
    return f"+86{found.group(1)}" if found else None


def refusal(channel: Channel, recipient: str, config: ChannelConfig) -> str | None:
    """Why a target is refused before anything is sent (webhooks and the SMS gateway have an allow-list)."""
    if channel == "webhook":
        return webhook_refusal(recipient, config.webhook_allowed)
    if channel == "sms":
        if mobile_number(recipient) is None:
            return "sms recipient must be a mainland mobile number"
        if config.sms_gateway_url:
            return webhook_refusal(config.sms_gateway_url, config.webhook_allowed)
    return None


def deliver(channel: Channel, recipient: str, cap_xml: bytes, subject: str, config: ChannelConfig) -> tuple[bool, str]:
    try:
        if channel == "webhook":
            return _webhook(recipient, cap_xml, config)
        if channel == "mqtt":
            return _mqtt(recipient, cap_xml, config)
        if channel == "sms":
            return _sms(recipient, cap_xml, subject, config)
        return _smtp(recipient, cap_xml, subject, config)
    except Exception as exc:  # any failure of a remote party is a failed receipt
        return False, f"{type(exc).__name__}: {exc}"[:500]


def _webhook(url: str, cap_xml: bytes, config: ChannelConfig) -> tuple[bool, str]:
    import httpx

    refused = webhook_refusal(url, config.webhook_allowed)
    if refused:
        return False, refused
    response = httpx.post(
        url.strip(),
        content=cap_xml,
        headers={"Content-Type": CAP_MIME},
        timeout=config.timeout_s,
        follow_redirects=False,
    )
    return response.is_success, f"HTTP {response.status_code}"


def _sms(number: str, cap_xml: bytes, subject: str, config: ChannelConfig) -> tuple[bool, str]:
    import httpx
    from lxml import etree

    if not config.sms_gateway_url:
        return False, "no SMS gateway configured (YINGJI_SMS_GATEWAY_URL)"
    to = mobile_number(number)
    if to is None:
        return False, "sms recipient must be a mainland mobile number"
    refused = webhook_refusal(config.sms_gateway_url, config.webhook_allowed)
    if refused:
        return False, f"SMS gateway refused: {refused}"
    identifier = etree.fromstring(cap_xml).findtext("{urn:oasis:names:tc:emergency:cap:1.2}identifier") or ""
    text = " ".join(subject.split())[:SMS_TEXT_LIMIT]
    headers = {"Authorization": f"Bearer {config.sms_gateway_token}"} if config.sms_gateway_token else {}
    response = httpx.post(config.sms_gateway_url.strip(), json={"to": to, "text": text, "reference": identifier},
                          headers=headers, timeout=config.timeout_s, follow_redirects=False)  # fmt: skip
    return response.is_success, f"SMS gateway HTTP {response.status_code}"


def _host_port(url: str, scheme: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(url if "://" in url else f"{scheme}://{url}")
    if not parts.hostname:
        raise ValueError(f"{url!r} names no host")
    return parts.hostname, parts.port or default_port


def _mqtt(topic: str, cap_xml: bytes, config: ChannelConfig) -> tuple[bool, str]:
    import paho.mqtt.publish as publish

    if not config.mqtt_url:
        return False, "no MQTT broker configured (YINGJI_MQTT_URL)"
    if not topic or "#" in topic or "+" in topic:
        return False, "mqtt recipient must be a topic name without wildcards"
    host, port = _host_port(config.mqtt_url, "mqtt", 1883)
    publish.single(topic, cap_xml, qos=1, hostname=host, port=port)
    return True, f"published to {topic} on {host}:{port}"


def _smtp(address: str, cap_xml: bytes, subject: str, config: ChannelConfig) -> tuple[bool, str]:
    import smtplib
    from email.message import EmailMessage

    if not config.smtp_url:
        return False, "no SMTP server configured (YINGJI_SMTP_URL)"
    if "@" not in address or any(c in address for c in "\r\n "):
        return False, "smtp recipient must be an e-mail address"
    host, port = _host_port(config.smtp_url, "smtp", 25)
    message = EmailMessage()
    message["From"] = config.smtp_from
    message["To"] = address
    message["Subject"] = subject.replace("\r", " ").replace("\n", " ")
    message.set_content(subject)
    message.add_attachment(cap_xml, maintype="application", subtype="cap+xml", filename="warning.xml")
    with smtplib.SMTP(host, port, timeout=config.timeout_s) as client:
        refused = client.send_message(message)
    return not refused, "accepted" if not refused else f"refused: {refused}"
