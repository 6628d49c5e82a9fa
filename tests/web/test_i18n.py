"""One message catalogue, Chinese and English, and no text inlined in the templates."""

import re
from importlib.resources import files

from yingji.web.i18n import LANGUAGES, catalogue, client_messages, translator

TEMPLATES = files("yingji.web").joinpath("templates")
STATIC = files("yingji.web").joinpath("static")
# Keys built from a variable part in a template: the prefixes and every value they take.
DYNAMIC = {
    "type.": "incidents.incident_types:IncidentType",
    "status.": "incidents.lifecycle:IncidentStatus",
    "due.": "incidents.deadlines:ReportStatus",
    "escalation.status.": "incidents.duty:EscalationStatus",
}


def template_texts() -> dict[str, str]:
    return {p.name: p.read_text("utf-8") for p in TEMPLATES.iterdir() if p.name.endswith(".html")}


def test_every_literal_key_used_in_a_template_exists_in_both_languages() -> None:
    messages = catalogue()
    for name, text in template_texts().items():
        for key in re.findall(r"""(?<![A-Za-z_.])t\(\s*'([a-z0-9_.]*[a-z0-9_])'\s*[,)]""", text):
            assert key in messages, f"{name}: {key}"
            assert all(messages[key].get(lang) for lang in LANGUAGES), f"{key} lacks a language"


def test_every_entry_is_one_text_per_language() -> None:
    """An unquoted ', ' in a YAML flow mapping splits a text into a stray key: the text is cut short."""
    broken = {
        key: entry
        for key, entry in catalogue().items()
        if set(entry) != set(LANGUAGES) or not all(isinstance(v, str) and v for v in entry.values())
    }
    assert not broken, broken


def test_every_value_of_a_dynamic_key_has_a_message() -> None:
    import importlib

    messages = catalogue()
    for prefix, target in DYNAMIC.items():
        module, name = target.split(":")
        for member in getattr(importlib.import_module(f"yingji.{module}"), name):
            assert f"{prefix}{member.value}" in messages, f"{prefix}{member.value}"


def test_script_messages_exist() -> None:
    js = "".join(p.read_text("utf-8") for p in STATIC.iterdir() if p.name.endswith(".js"))
    sent = client_messages("en")
    for key in set(re.findall(r"""M\["([a-z0-9_.]+)"\]""", js)):
        assert key in sent, key


def test_templates_inline_no_words() -> None:
    """Strip Jinja and markup: what remains must be punctuation, never words in either language."""
    for name, text in template_texts().items():
        bare = re.sub(r"\{[{%#].*?[}%#]\}", " ", text, flags=re.S)
        bare = re.sub(r"<script.*?</script>|<style.*?</style>", " ", bare, flags=re.S)
        bare = re.sub(r"<[^>]*>", " ", bare)
        words = re.findall(r"[A-Za-z]{2,}|[\u4e00-\u9fff]", bare)
        assert not words, f"{name} inlines text: {words[:5]}"


def test_english_and_chinese_differ_and_unknown_keys_show_themselves() -> None:
    assert translator("zh")("nav.map") == "一张图" and translator("en")("nav.map") == "Map"
    assert translator("fr")("nav.map") == "一张图"
    assert translator("en")("no.such.key") == "no.such.key"


def test_no_message_key_is_written_twice() -> None:
    """YAML keeps the last of two equal keys without a word: a second ``stats.total`` once renamed the
    statistics page's 合计 to the public figures' 总数."""
    from importlib.resources import files

    import yaml

    top = yaml.compose(files("yingji.web").joinpath("messages.yaml").read_text("utf-8"), Loader=yaml.SafeLoader)
    keys = [key.value for key, _ in top.value]
    assert not sorted({k for k in keys if keys.count(k) > 1})
