"""The one reader of outside XML expands no entity, reads no file or URL and can drop comments."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from yingji import untrusted_xml


def test_an_external_entity_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    doc = f'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file://{secret}">]><a>&x;</a>'.encode()
    root = untrusted_xml.parse(doc)
    assert "TOP-SECRET" not in etree.tostring(root).decode()


def test_an_internal_entity_is_not_expanded() -> None:
    doc = b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "EXPANDED">]><a>&x;</a>'
    assert "EXPANDED" not in etree.tostring(untrusted_xml.parse(doc)).decode()


def test_comments_and_instructions_go_only_when_asked() -> None:
    doc = b"<a><!-- note --><?pi data?><b/></a>"
    assert len(untrusted_xml.parse(doc)) == 3
    assert [child.tag for child in untrusted_xml.parse(doc, strip=True)] == ["b"]


def test_malformed_xml_raises_a_syntax_error() -> None:
    with pytest.raises(etree.XMLSyntaxError):
        untrusted_xml.parse(b"<a><b></a>")
