"""Delivery channels without a database: the webhook allow-list (refused by default, matched by scheme, host,
port and path — never by string prefix) and the delivery targets read from an official's contact."""

from __future__ import annotations

import pytest

from yingji.warnings.channels import ChannelConfig, contact_targets, deliver, webhook_refusal

ALLOWED = ("https://hooks.example.org/cap/", "http://127.0.0.1:8080")


def test_an_empty_allow_list_refuses_every_webhook() -> None:
    refusal = webhook_refusal("https://hooks.example.org/cap/x", ())
    assert refusal is not None and "YINGJI_WEBHOOK_ALLOWED_TARGETS" in refusal


@pytest.mark.parametrize("url", ["https://hooks.example.org/cap/", "https://hooks.example.org/cap/dingri",
                                 "https://HOOKS.example.org:443/cap/a?x=1", "http://127.0.0.1:8080/anything"])
def test_targets_under_an_entry_are_allowed(url: str) -> None:
    assert webhook_refusal(url, ALLOWED) is None


@pytest.mark.parametrize("url", [
    "https://hooks.example.org.evil.test/cap/x",  # a string prefix, another host
    "https://hooks.example.org/capture",  # beside the allowed path, not under it
    "https://hooks.example.org/",  # above it
    "http://hooks.example.org/cap/x",  # another scheme
    "https://hooks.example.org:8443/cap/x",  # another port
    "http://127.0.0.1/x", "http://127.0.0.1:6379/", "http://169.254.169.254/latest/meta-data/",
    "https://user:pw@hooks.example.org/cap/x",  # credentials in the URL
    "ftp://hooks.example.org/cap/x", "hooks.example.org/cap/x", "http://[::1/",
])
def test_targets_outside_the_entries_are_refused(url: str) -> None:
    assert webhook_refusal(url, ALLOWED) is not None


def test_sending_refuses_a_target_outside_the_allow_list_without_a_request() -> None:
    ok, detail = deliver("webhook", "http://127.0.0.1:9/none", b"<alert/>", "x", ChannelConfig(timeout_s=1))
    assert not ok and "YINGJI_WEBHOOK_ALLOWED_TARGETS" in detail


def test_contact_targets_keep_channels_and_leave_telephone_numbers_to_people() -> None:
    contact = "13800000000; webhook:https://hooks.example.org/cap/a\nchief@example.org;mqtt:warnings/dingri;" \
              " https://hooks.example.org/cap/b ; smtp:duty@example.org"
    assert contact_targets(contact) == [
        ("webhook", "https://hooks.example.org/cap/a"), ("smtp", "chief@example.org"), ("mqtt", "warnings/dingri"),
        ("webhook", "https://hooks.example.org/cap/b"), ("smtp", "duty@example.org")]
