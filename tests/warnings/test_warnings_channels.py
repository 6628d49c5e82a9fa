"""Delivery channels without a database: the webhook allow-list (refused by default, matched by scheme, host,
port and path — never by string prefix) and the delivery targets read from an official's contact."""

from __future__ import annotations

import pytest

from yingji.warnings.channels import ChannelConfig, contact_targets, deliver, mobile_number, webhook_refusal

ALLOWED = ("https://hooks.example.org/cap/", "http://127.0.0.1:8080")


def test_an_empty_allow_list_refuses_every_webhook() -> None:
    refusal = webhook_refusal("https://hooks.example.org/cap/x", ())
    assert refusal is not None and "YINGJI_WEBHOOK_ALLOWED_TARGETS" in refusal


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.org/cap/",
        "https://hooks.example.org/cap/dingri",
        "https://HOOKS.example.org:443/cap/a?x=1",
        "http://127.0.0.1:8080/anything",
    ],
)
def test_targets_under_an_entry_are_allowed(url: str) -> None:
    assert webhook_refusal(url, ALLOWED) is None


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.org.evil.test/cap/x",  # a string prefix, another host
        "https://hooks.example.org/capture",  # beside the allowed path, not under it
        "https://hooks.example.org/",  # above it
        "http://hooks.example.org/cap/x",  # another scheme
        "https://hooks.example.org:8443/cap/x",  # another port
        "http://127.0.0.1/x",
        "http://127.0.0.1:6379/",
        "http://169.254.169.254/latest/meta-data/",
        "https://user:pw@hooks.example.org/cap/x",  # credentials in the URL
        "ftp://hooks.example.org/cap/x",
        "hooks.example.org/cap/x",
        "http://[::1/",
    ],
)
def test_targets_outside_the_entries_are_refused(url: str) -> None:
    assert webhook_refusal(url, ALLOWED) is not None


def test_sending_refuses_a_target_outside_the_allow_list_without_a_request() -> None:
    ok, detail = deliver("webhook", "http://127.0.0.1:9/none", b"<alert/>", "x", ChannelConfig(timeout_s=1))
    assert not ok and "YINGJI_WEBHOOK_ALLOWED_TARGETS" in detail


def test_contact_targets_keep_channels_text_mobiles_and_leave_landlines_to_people() -> None:
    contact = (
        "13800000000; webhook:https://hooks.example.org/cap/a\nchief@example.org;mqtt:warnings/dingri;"
        " https://hooks.example.org/cap/b ; smtp:duty@example.org; 0892-1234567; +86 139-0000-1111;"
        " sms:15900002222; 12345"
    )
    assert contact_targets(contact) == [
        ("sms", "+8613800000000"),
        ("webhook", "https://hooks.example.org/cap/a"),
        ("smtp", "chief@example.org"),
        ("mqtt", "warnings/dingri"),
        ("webhook", "https://hooks.example.org/cap/b"),
        ("smtp", "duty@example.org"),
        ("sms", "+8613900001111"),
        ("sms", "+8615900002222"),
    ]


@pytest.mark.parametrize(("text", "number"), [
    ("13800000000", "+8613800000000"), ("+8613800000000", "+8613800000000"), ("0086 138 0000 0000", "+8613800000000"),
    ("8613800000000", "+8613800000000"), ("12800000000", None), ("1380000000", None), ("0892-1234567", None),
    ("138000000001", None), ("", None),
])  # fmt: skip
def test_mobile_numbers_are_mainland_mobiles_only(text: str, number: str | None) -> None:
    assert mobile_number(text) == number


def test_sms_without_a_gateway_or_outside_the_allow_list_fails_with_the_reason() -> None:
    ok, detail = deliver("sms", "+8613800000000", b"<alert/>", "暴雨", ChannelConfig())
    assert not ok and "YINGJI_SMS_GATEWAY_URL" in detail
    ok, detail = deliver(
        "sms",
        "+8613800000000",
        b"<alert/>",
        "暴雨",
        ChannelConfig(sms_gateway_url="http://10.0.0.9/sms", webhook_allowed=("http://127.0.0.1/",)),
    )
    assert not ok and "YINGJI_WEBHOOK_ALLOWED_TARGETS" in detail


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.org/cap/../admin",  # dot segments climb out of the allowed path
        "https://hooks.example.org/cap/x/../../admin",
        "https://hooks.example.org/cap/%2e%2e/admin",  # percent-encoded dots
        "https://hooks.example.org/cap/%2E%2e/admin",
        "https://hooks.example.org/cap/.%2e/admin",
        "https://hooks.example.org/cap/..;/admin",  # read as ".." by some servers
        "https://hooks.example.org/cap/%2fadmin",
        "https://hooks.example.org/cap/..%2fadmin",  # encoded slash
        "https://hooks.example.org/cap/..%5cadmin",
        "https://hooks.example.org/cap\\..\\admin",  # backslashes
        "https://hooks.example.org\\@evil.test/cap/x",
        "https://hooks.example.org/cap/%252e%252e/admin",
        "https://hooks.example.org@evil.test/cap/x",
        "https://evil.test%40hooks.example.org/cap/x",  # userinfo
        "https://hooks.example.org:444/cap/x",
        "https://hooks.example.org:80/cap/x",  # ports
        "https://hooks.example.org/cap/.\t./admin",
        "https://hooks.example.org/cap/\x00",
        "https://hooks.exam\u0440le.org/cap/x",  # a Cyrillic "р": another host once IDNA-encoded
        "https://hooks.example.org/../../cap/x",  # above the root
    ],
)
def test_bypass_attempts_of_the_allow_list_are_refused(url: str) -> None:
    assert webhook_refusal(url, ALLOWED) is not None


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.example.org/cap/x/../y",  # stays under /cap/
        "https://hooks.example.org/cap/./x",
        "https://hooks.example.org/%63ap/x",  # an encoded letter
        "https://hooks.example.org./cap/x",  # the root label
    ],
)
def test_equivalent_spellings_under_an_entry_are_allowed(url: str) -> None:
    assert webhook_refusal(url, ALLOWED) is None


def test_an_internationalised_entry_matches_its_punycode_spelling() -> None:
    allowed = ("https://应急.example.cn/cap/",)
    assert webhook_refusal("https://xn--extu8a.example.cn/cap/a", allowed) is None
    assert webhook_refusal("https://应急.EXAMPLE.cn/cap/a", allowed) is None
    assert webhook_refusal("https://xn--extu8a.example.cn/other", allowed) is not None
