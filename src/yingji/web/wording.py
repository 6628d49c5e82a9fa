"""Machine text stored by the engines, put into the reader's language for the pages: relief-item codes as
their catalogue names, the travel model a plan used, solver statuses. Pure (no database, no web framework):
the texts come in, the translator ``t`` of the page puts them out."""

from __future__ import annotations

import re
from collections.abc import Callable, Container, Mapping
from functools import cache
from importlib.resources import files

import yaml

Translate = Callable[..., str]

_FALLBACK = re.compile(r"^fallback: great-circle × ([\d.]+) at ([\d.]+) km/h$")
_ROADS = re.compile(r"^road network (.*): (\d+) open segments, (\d+) cut$")


def item_name(code: str, names_zh: Mapping[str, str], lang: str) -> str:
    """A relief item by its catalogue name in Chinese, by its code with spaces in English."""
    if lang == "zh":
        return names_zh.get(code, code)
    return code.replace("_", " ")


def item_names(names_zh: Mapping[str, str], lang: str) -> dict[str, str]:
    """Every catalogue item's name in the page's language, by code."""
    return {code: item_name(code, names_zh, lang) for code in names_zh}


def travel(t: Translate, text: str) -> str:
    """The travel model a relief plan used (``relief.service`` stores it as English text of two shapes)."""
    if found := _FALLBACK.match(text):
        return t("relief.travel.fallback", detour=found.group(1), speed=found.group(2))
    if found := _ROADS.match(text):
        return t("relief.travel.roads", names=found.group(1), open=found.group(2), cut=found.group(3))
    return text


def rule_name(t: Translate, rule: str, *, template_rule: str | None, title: str | None, known: Container[str]) -> str:
    """A monitoring rule by name: the catalogue name of the shipped template rule it instantiates
    (``rule.<template rule id>``), else the title the bureau gave it, else its id."""
    if template_rule and f"rule.{template_rule}" in known:
        return t(f"rule.{template_rule}")
    return title or rule


def quantity_name(t: Translate, quantity: str, known: Container[str]) -> str:
    """A sensor's measured quantity by its catalogue name (``quantity.<lower-case quantity>``), else as given."""
    key = f"quantity.{quantity.strip().lower()}"
    return t(key) if key in known else quantity


# A delivery receipt's detail (yingji.warnings.channels writes it in English): its known shapes → catalogue key.
_RECEIPTS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"^(?:SMS gateway )?HTTP (?P<status>\d{3})$", "receipt.http"),
        (r"^no SMS gateway configured", "receipt.no_sms_gateway"),
        (r"^sms recipient must be", "receipt.sms_number"),
        (r"^SMS gateway refused", "receipt.sms_refused"),
        (r"^no MQTT broker configured", "receipt.no_mqtt"),
        (r"^mqtt recipient must be", "receipt.mqtt_topic"),
        (r"^published to ", "receipt.published"),
        (r"^no SMTP server configured", "receipt.no_smtp"),
        (r"^smtp recipient must be", "receipt.smtp_address"),
        (r"^accepted$", "receipt.accepted"),
        (r"^refused: ", "receipt.smtp_refused"),
        (r"^(?:webhook|target|URL|url)\b.*(?:allow|refused|not)", "receipt.not_allowed"),
    )
)


def receipt_detail(t: Translate, lang: str, detail: str) -> str:
    """A delivery receipt's detail in the reader's language (the stored English as it is in English)."""
    if lang == "en" or not detail:
        return detail
    for pattern, key in _RECEIPTS:
        if found := pattern.match(detail):
            return t(key, **found.groupdict())
    return t("receipt.failed_other")


@cache
def usd_cny() -> float:
    """Yuan per US dollar for display (``standards/currency.yaml``, with its source and status)."""
    doc = yaml.safe_load(files("yingji.standards").joinpath("currency.yaml").read_text(encoding="utf-8"))
    return float(doc["usd_cny"]["value"])


def yuan(t: Translate, usd: float, rate: float | None = None) -> str:
    """An amount a model gives in US dollars, in yuan: 万元 below one 亿元 (10⁸ yuan), 亿元 from there."""
    cny = usd * (usd_cny() if rate is None else rate)
    if abs(cny) >= 1e8:
        return t("money.yi", value=f"{cny / 1e8:,.1f}")
    return t("money.wan", value=f"{cny / 1e4:,.0f}")
