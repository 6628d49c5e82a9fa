"""A warning's CAP 1.2 message in words (the readable page beside the XML): each element by its name in the
reader's language, coded values (status, urgency, severity, …) by their meaning, times on the reader's clock,
parameters, event codes and geocodes by what they name. Pure: the page passes the translator and lookups."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from yingji.errors import InvalidInput
from yingji.monitoring.clock import parse_timestamp
from yingji.warnings.cap import Element

# Elements whose value is a CAP 1.2 code list (OASIS CAP 1.2 §3.2): shown by the code's meaning.
CODED = frozenset({"status", "msgType", "scope", "category", "urgency", "severity", "certainty", "responseType"})
TIMES = frozenset({"sent", "effective", "onset", "expires"})
PAIRS = frozenset({"parameter", "eventCode", "geocode"})
SECTIONS = frozenset({"info", "area", "resource"})


@dataclass
class Section:
    kind: str  # alert, info, area, resource
    rows: list[tuple[str, str]] = field(default_factory=list)  # (label, value)
    sections: list[Section] = field(default_factory=list)


@dataclass(frozen=True)
class Words:
    """What the page knows: ``t`` the translator, ``known`` whether a message key exists, and how to show a
    time (epoch ms), a warning type and a division code."""

    t: Callable[..., str]
    known: Callable[[str], bool]
    time: Callable[[int], str]
    warning_type: Callable[[str], str]
    division: Callable[[str], str]

    def key(self, key: str, fallback: str) -> str:
        return self.t(key) if self.known(key) else fallback


def read(alert: Element, words: Words) -> Section:
    """The alert as nested sections of (label, value) rows, in document order."""
    return _section(alert, "alert", words)


def division_codes(alert: Element) -> list[str]:
    """The GB/T 2260 codes the message's areas name (to look their names up before reading it)."""
    found: list[str] = []

    def walk(element: Element) -> None:
        if element.tag == "geocode":
            pairs = {c.tag: c.text or "" for c in element.children}
            if pairs.get("valueName") == "GB/T 2260" and pairs.get("value"):
                found.append(pairs["value"])
        for child in element.children:
            walk(child)

    walk(alert)
    return found


def _section(element: Element, kind: str, words: Words) -> Section:
    out = Section(kind)
    for child in element.children:
        if child.tag in SECTIONS:
            out.sections.append(_section(child, child.tag, words))
        else:
            out.rows.append(_row(child, words))
    return out


def _row(element: Element, words: Words) -> tuple[str, str]:
    tag, text = element.tag, element.text or ""
    if tag in PAIRS:
        pairs = {c.tag: c.text or "" for c in element.children}
        name, value = pairs.get("valueName", ""), pairs.get("value", "")
        return words.key(f"cap.pair.{name}", name), _pair_value(name, value, words)
    label = words.key(f"cap.el.{tag}", tag)
    if tag in CODED:
        return label, words.key(f"cap.{tag}.{text}", text)
    if tag in TIMES:
        return label, _time(text, words)
    if tag == "language":
        return label, words.key(f"cap.language.{text}", text)
    if tag == "references":
        return label, "；".join(_reference(r, words) for r in text.split())
    return label, text


def _pair_value(name: str, value: str, words: Words) -> str:
    if name == "colour":
        return words.key(f"warning.colour.{value}", value)
    if name == "level":
        return words.key(f"cap.level.{value}", value)
    if name == "yingji-warning-type":
        return words.warning_type(value)
    if name == "GB/T 2260":
        return words.division(value)
    return value


def _time(text: str, words: Words) -> str:
    try:
        return words.time(parse_timestamp(text))
    except InvalidInput:
        return text


def _reference(triple: str, words: Words) -> str:
    """A ``sender,identifier,sent`` reference as the identifier and its time."""
    parts = triple.split(",")
    if len(parts) != 3:
        return triple
    return f"{parts[1]}（{_time(parts[2], words)}）"
