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


def test_every_shipped_monitoring_rule_has_a_name_and_a_prefixed_rule_finds_it() -> None:
    from yingji.monitoring.rules.ruleset import load_templates, template_rules
    from yingji.web.i18n import catalogue

    known = catalogue()
    ids = {rule["id"] for template in load_templates().values() for rule in template["rules"]}
    assert not {i for i in ids if f"rule.{i}" not in known}
    origins = template_rules({"rules": [{"use": "gas-combustible-lel", "sensors": "BR-1-*", "prefix": "br1-"}]})
    assert origins == {"br1-lel-level1": "lel-level1", "br1-lel-level2": "lel-level2"}
    name = wording.rule_name(ZH, "br1-lel-level1", template_rule=origins["br1-lel-level1"], title=None, known=known)
    assert name == "可燃气体一级报警"
    # a rule the bureau wrote out in full: its title, else its id
    assert wording.rule_name(ZH, "ch4-high", template_rule=None, title="甲烷超限", known=known) == "甲烷超限"
    assert wording.rule_name(ZH, "ch4-high", template_rule=None, title=None, known=known) == "ch4-high"
    assert wording.quantity_name(ZH, "LEL", known) == "可燃气体" and wording.quantity_name(ZH, "风速", known) == "风速"


def test_the_quake_engines_sentences_read_in_chinese() -> None:
    from importlib.resources import files

    import yaml

    from yingji.quake import fatality
    from yingji.quake.assess import GEM_CREDIT, WORLDPOP_CREDIT
    from yingji.quake.service import DEMO_POPULATION
    from yingji.web import quake_wording as q
    from yingji.web.i18n import catalogue

    known = catalogue()
    assert not {name for name in fatality.models() if f"quake.model.{name}" not in known}
    sets = yaml.safe_load(files("yingji.standards").joinpath("aftershock_parameters.yaml").read_text("utf-8"))["sets"]
    assert not {key for key in sets if f"quake.aftershock_set.{key}" not in known}
    notes = {
        "long axis along the given fault strike": "长轴沿给定的断层走向",
        "long axis along the nearest mapped fault trace (GEM-123, 4.2 km away)": (
            "长轴沿最近的已知断层迹线（距震中 4.2 千米）"
        ),
        "circular isoseismals: the nearest mapped fault trace is 80 km away (> 30 km) and no strike was given": (
            "等震线取圆形：最近的已知断层迹线距震中 80 千米（超过 30 千米），且未给断层走向"
        ),
        "circular isoseismals: no strike given and no fault file loaded": (
            "等震线取圆形：未给断层走向，也未加载断层数据"
        ),
        "Mw 6.44 converted to Ms 6.80 for the Chinese relation (Cheng et al. 2017)": (
            "矩震级 6.44 换算为面波震级 6.80，用于我国烈度衰减关系"
        ),
        "deaths: model pager-mmi — Allen (2012) MMI, point source": "死亡人数模型：MMI 烈度·点源·PAGER 中国参数",
    }
    for english, chinese in notes.items():
        assert q.note(ZH, english, known) == chinese
    assert q.aftershock_note(ZH, "generic parameters (Page et al. 2016, ANSR-SHALCON)") == (
        "采用通用余震参数：全球活动大陆区·浅部地壳型（2016）"
    )
    assert q.aftershock_note(ZH, "generic parameters (Utsu 1969, Japan): 3 recorded aftershocks ≥ M3.0 < 10") == (
        "采用通用余震参数：日本参数（1969）（记录到 M3.0 以上余震 3 次，少于 10 次，未拟合）"
    )
    fitted = "fitted from 40 recorded aftershocks ≥ M3.0 (a=-1.90, b=0.95, p=1.10, c=0.020)"
    assert q.aftershock_note(ZH, fitted) == "由记录到的 40 次 M3.0 以上余震拟合（a=-1.90，b=0.95，p=1.10，c=0.020）"
    assert q.population_source(ZH, DEMO_POPULATION) == "演示数据居民点（行政区划表中的村，合成数据）"
    assert q.credit(ZH, WORLDPOP_CREDIT).startswith("WorldPop（人口数据")
    assert q.credit(ZH, GEM_CREDIT).startswith("GEM 全球活动断层数据库")
    assert q.note(EN, "long axis along the given fault strike", known) == "long axis along the given fault strike"


def test_a_domain_error_on_a_page_speaks_the_readers_language() -> None:
    from yingji.errors import Conflict, DomainError, InvalidInput, Message, NotFound
    from yingji.hazards.errors import InvalidTransition
    from yingji.web.i18n import catalogue, page_message

    # a page's own refusal, already translated, shows as it is
    assert page_message(ZH, "zh", InvalidInput(ZH("error.required"), field="title")) == "此项必填"
    # a service's refusal naming its message, with a parameter that is itself a message
    keyed = InvalidInput("magnitude 9.9 is outside", key="quake.error.magnitude", params={"low": "4", "high": "8.5"})
    assert page_message(ZH, "zh", keyed) == "震级须在 4 至 8.5 之间"
    nested = Conflict("x", key="alarm.promote_title", params={"site": "甲", "rule": Message("rule.co-alarm")})
    assert page_message(ZH, "zh", nested) == "甲：一氧化碳报警"
    # a service's refusal naming none: its kind in Chinese, its own words in English
    assert page_message(ZH, "zh", NotFound("incident 7 not found")) == "未找到该记录，或不在本辖区"
    assert page_message(EN, "en", NotFound("incident 7 not found")) == "incident 7 not found"
    assert page_message(ZH, "zh", InvalidTransition("closed → open")) == "隐患当前状态不能进行此操作"
    # every error class the platform defines has a message of its own or through a base class
    import yingji.app  # noqa: F401  (imports every domain, so every error class is defined)

    def subclasses(cls: type) -> set[type]:
        return {cls} | {s for sub in cls.__subclasses__() for s in subclasses(sub)}

    known = catalogue()
    assert not {c.__name__ for c in subclasses(DomainError) if f"error.code.{c.code}" not in known}


def test_a_delivery_receipt_reads_in_chinese() -> None:
    assert wording.receipt_detail(ZH, "zh", "HTTP 502") == "对方应答状态码 502"
    assert wording.receipt_detail(ZH, "zh", "no SMTP server configured (YINGJI_SMTP_URL)") == "未配置邮件服务器"
    assert wording.receipt_detail(ZH, "zh", "SMS gateway HTTP 500") == "对方应答状态码 500"
    refused = "webhook target http://x:80/ is not in YINGJI_WEBHOOK_ALLOWED_TARGETS"
    assert wording.receipt_detail(ZH, "zh", refused) == "推送地址不在允许范围内"
    assert wording.receipt_detail(ZH, "zh", "ConnectError: [Errno 111] Connection refused") == (
        "发送失败（网络或对方服务器错误）"
    )
    assert wording.receipt_detail(EN, "en", "HTTP 502") == "HTTP 502"
