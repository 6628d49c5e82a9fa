"""Contacts typed on a Chinese keyboard: 推送 / 消息 / 邮件 / 短信 name the channels, full-width separators work;
a mobile number is texted (SMS), a landline is left to people."""

from __future__ import annotations

from yingji.warnings.channels import contact_targets


def test_chinese_channel_names_and_full_width_separators() -> None:
    contact = (
        "推送：http://127.0.0.1:9/hook；消息:yingji/calls/dingri；邮件：duty@example.cn；"
        "13800000000；短信：139 0000 1111"
    )
    assert contact_targets(contact) == [
        ("webhook", "http://127.0.0.1:9/hook"),
        ("mqtt", "yingji/calls/dingri"),
        ("smtp", "duty@example.cn"),
        ("sms", "+8613800000000"),
        ("sms", "+8613900001111"),
    ]


def test_a_telephone_number_with_a_chinese_label_is_left_to_people() -> None:
    assert contact_targets("电话：0892-8262110") == []
