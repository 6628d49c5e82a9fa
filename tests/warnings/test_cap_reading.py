"""The readable CAP page's words (web/cap_reading.py): a verification table of how each kind of element is
shown, over a message built by the platform and one from another issuer with elements it does not write."""

from __future__ import annotations

import pytest

from yingji.warnings import cap
from yingji.web import cap_reading
from yingji.web.i18n import catalogue, translator

FOREIGN = """<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>X-1</identifier><sender>met@example.org</sender><sent>2026-07-01T08:00:00+08:00</sent>
  <status>Exercise</status><msgType>Update</msgType><scope>Public</scope>
  <references>s1,id-0,2026-07-01T07:00:00+08:00 s1,id-1,not-a-time</references>
  <info><language>zh-CN</language><category>Met</category><event>大风</event><urgency>Future</urgency>
    <severity>Extreme</severity><certainty>Observed</certainty><onset>nonsense</onset>
    <parameter><valueName>level</valueName><value>II</value></parameter>
    <parameter><valueName>vendor-thing</valueName><value>42</value></parameter>
    <area><areaDesc>某地</areaDesc><geocode><valueName>GB/T 2260</valueName><value>540223</value></geocode></area>
  </info>
</alert>""".encode()


def _words(lang: str = "zh") -> cap_reading.Words:
    known = catalogue()
    return cap_reading.Words(
        t=translator(lang),
        known=lambda key: key in known,
        time=lambda ms: f"@{ms}",
        warning_type=lambda type_id: f"type:{type_id}",
        division=lambda code: f"division:{code}",
    )


def _rows(section: cap_reading.Section) -> dict[str, str]:
    rows = dict(section.rows)
    for inner in section.sections:
        rows.update(_rows(inner))
    return rows


@pytest.mark.parametrize(
    ("label", "shown"),
    [
        ("报文状态", "演练"),  # a CAP code list value by its meaning
        ("报文类型", "更新"),
        ("紧急程度", "近期"),
        ("严重程度", "特别严重"),
        ("确定程度", "已发生"),
        ("事件类别", "气象"),
        ("语言", "中文"),
        ("发送时间", "@1782864000000"),  # times through the page's clock
        ("开始时间", "nonsense"),  # not a time: shown as written, never an error
        ("关联报文", "id-0（@1782860400000）；id-1（not-a-time）"),
        ("预警级别", "Ⅱ级"),
        ("vendor-thing", "42"),  # a parameter the catalogue does not know keeps its name
        ("行政区划（GB/T 2260）", "division:540223"),
        ("区域描述", "某地"),
    ],
)
def test_each_kind_of_element_is_shown_in_words(label: str, shown: str) -> None:
    rows = _rows(cap_reading.read(cap.outline(FOREIGN), _words()))
    assert rows[label] == shown


def test_sections_follow_the_message_and_english_readers_get_english() -> None:
    message = cap_reading.read(cap.outline(FOREIGN), _words("en"))
    assert [s.kind for s in message.sections] == ["info"]
    assert [s.kind for s in message.sections[0].sections] == ["area"]
    assert dict(message.rows)["Status"] == "Exercise"


def test_a_file_that_is_not_cap_is_refused() -> None:
    from yingji.errors import InvalidInput

    with pytest.raises(InvalidInput):
        cap.outline(b"<html/>")
    with pytest.raises(InvalidInput):
        cap.outline(b"<alert")
