"""Machine text put into the reader's language (web/wording.py): relief items, travel models, yuan."""

from __future__ import annotations

from yingji.web import wording
from yingji.web.i18n import translator

ZH, EN = translator("zh"), translator("en")


def test_relief_items_by_their_catalogue_names_in_chinese_and_spaced_codes_in_english() -> None:
    names = {"folding_bed": "折叠床", "quilt": "棉被"}
    assert wording.item_names(names, "zh") == {"folding_bed": "折叠床", "quilt": "棉被"}
    assert wording.item_names(names, "en")["folding_bed"] == "folding bed"


def test_the_travel_models_read_in_chinese() -> None:
    assert wording.travel(ZH, "fallback: great-circle × 1.4 at 40 km/h") == (
        "路程估算：直线距离 × 1.4，车速 40 公里/小时（未导入路网）"
    )
    roads = wording.travel(ZH, "road network 定日路网: 120 open segments, 3 cut")
    assert roads == "路网：定日路网，通行路段 120 条，中断 3 条"
    assert wording.travel(ZH, "其他说明") == "其他说明"


def test_dollars_shown_in_wan_yuan_below_one_yi_and_in_yi_yuan_from_there() -> None:
    assert wording.yuan(ZH, 1_000_000, rate=7.0) == "700 万元"
    assert wording.yuan(ZH, 1_000_000_000, rate=7.12) == "71.2 亿元"
    assert wording.yuan(EN, 1_000_000, rate=7.0) == "700 × 10,000 yuan"


def test_the_packaged_rate_is_a_plausible_yuan_per_dollar() -> None:
    assert 5.0 < wording.usd_cny() < 9.0
