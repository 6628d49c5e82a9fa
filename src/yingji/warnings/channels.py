"""Delivery channels of public warnings: webhook (HTTP POST of the CAP XML), MQTT topic (QoS 1) and
SMTP e-mail (the CAP XML attached). Each delivery returns (delivered, detail) for the receipt; a failure
is a receipt too, never an exception. No database here."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

Channel = Literal["webhook", "mqtt", "smtp"]
CAP_MIME = "application/cap+xml"


@dataclass(frozen=True)
class ChannelConfig:
    mqtt_url: str | None = None
    smtp_url: str | None = None
    smtp_from: str = "yingji@localhost"
    timeout_s: float = 5.0


def deliver(channel: Channel, recipient: str, cap_xml: bytes, subject: str, config: ChannelConfig) -> tuple[bool, str]:
    try:
        if channel == "webhook":
            return _webhook(recipient, cap_xml, config)
        if channel == "mqtt":
            return _mqtt(recipient, cap_xml, config)
        return _smtp(recipient, cap_xml, subject, config)
    except Exception as exc:  # any failure of a remote party is a failed receipt
        return False, f"{type(exc).__name__}: {exc}"[:500]


def _webhook(url: str, cap_xml: bytes, config: ChannelConfig) -> tuple[bool, str]:
    import httpx

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return False, "webhook recipient must be an http(s) URL"
    response = httpx.post(url, content=cap_xml, headers={"Content-Type": CAP_MIME}, timeout=config.timeout_s)
    return response.is_success, f"HTTP {response.status_code}"


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
