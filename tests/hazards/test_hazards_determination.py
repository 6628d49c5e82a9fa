"""The determination standards as data: counts against the published totals, every item well formed."""

from __future__ import annotations

import pytest

from yingji.hazards import determination

# Published totals (the orders themselves; /work/shared/reference/standards.md §5): what each file must account
# for, item by item — stored, or declared missing in the file's gap with the articles not found.
PUBLISHED = {"gongmao-2023": 64, "hazchem-2017": 20, "coal-2020": 15, "mines-2022": 64, "fireworks-2017": 20}


def by_id() -> dict[str, determination.Standard]:
    return {s.id: s for s in determination.standards()}


@pytest.mark.parametrize(("standard_id", "total"), sorted(PUBLISHED.items()))
def test_stored_items_and_declared_gap_add_up_to_the_published_total(standard_id: str, total: int) -> None:
    std = by_id()[standard_id]
    assert std.published_total == total
    assert len(std.counted_items()) + std.missing == total
    assert (std.missing == 0) == (not std.missing_articles)


def test_complete_standards_store_every_item() -> None:
    assert len(by_id()["hazchem-2017"].counted_items()) == 20
    assert len(by_id()["coal-2020"].counted_items()) == 15
    assert len(by_id()["gongmao-2023"].counted_items()) == 64
    assert len(by_id()["mines-2022"].counted_items()) == 64
    assert len(by_id()["fireworks-2017"].counted_items()) == 20
    assert all(std.missing == 0 for std in determination.standards())


def test_gongmao_2023_items_per_article_add_up_to_3_general_47_industry_14_special() -> None:
    per_article: dict[str, int] = {}
    for item in by_id()["gongmao-2023"].counted_items():
        article = item.article.split("第（")[0]
        per_article[article] = per_article.get(article, 0) + 1
    general = per_article.pop("第三条")
    special = sum(per_article.pop(a) for a in ("第十一条", "第十二条", "第十三条"))
    assert (general, sum(per_article.values()), special) == (3, 47, 14)
    assert per_article == {"第四条": 8, "第五条": 13, "第六条": 8, "第七条": 7, "第八条": 7, "第九条": 2, "第十条": 2}


def test_mines_2022_counts_64_situations_over_underground_open_pit_and_tailings() -> None:
    parts: dict[str, int] = {}
    for item in by_id()["mines-2022"].counted_items():
        parts[item.article.split("（")[0]] = parts.get(item.article.split("（")[0], 0) + 1
    assert parts == {"一": 32, "二": 13, "三": 19}
    mines = by_id()["mines-2022"]
    parents = {i.parent for i in mines.items if i.parent}
    for item in mines.counted_items():
        if item.text.endswith("下列情形之一的：") or item.text.endswith("未按设计采取有效安全措施的："):
            assert item.id in parents, item.id  # a "one of the following" situation carries its sub-items


def test_every_item_has_id_article_text_industry_and_status() -> None:
    for std in determination.standards():
        for item in std.items:
            assert item.id and item.article and item.text and item.categories, item.id
            assert item.status in determination.STATUSES
            if item.parent is not None:
                assert item.parent in {i.id for i in std.items}


def test_ids_are_unique_across_standards() -> None:
    ids = [i.id for s in determination.standards() for i in s.items]
    assert len(ids) == len(set(ids))


def test_checklist_of_a_building_materials_enterprise_holds_its_articles_and_the_general_ones() -> None:
    ids = {i.id for i in determination.applicable("工贸", "建材")}
    assert {"GM2023-3-1", "GM2023-6-8", "GM2023-12-1", "GM2023-14"} <= ids
    assert "GM2023-4-1" not in ids and "HC2017-01" not in ids


def test_checklist_of_a_metal_mine_holds_the_mines_standard_only() -> None:
    ids = {i.id for i in determination.applicable("金属非金属矿山")}
    assert {"MM2022-D01", "MM2022-D01-1", "MM2022-L07", "MM2022-W19"} <= ids
    assert not any(i.startswith(("GM2023", "HC2017", "CM2020", "FW2017")) for i in ids)
    fireworks = {i.id for i in determination.applicable("烟花爆竹")}
    assert len(fireworks) == 20 and all(i.startswith("FW2017-") for i in fireworks)


def test_every_coal_category_carries_its_sub_items_of_articles_4_to_18() -> None:
    coal = by_id()["coal-2020"]
    per_parent: dict[str, int] = {}
    for item in coal.items:
        if item.parent:
            per_parent[item.parent] = per_parent.get(item.parent, 0) + 1
            assert item.article.startswith("第") and "条第（" in item.article, item.id
    assert set(per_parent) == {i.id for i in coal.counted_items()}
    assert sum(per_parent.values()) == 80 and per_parent["CM2020-05"] == 10 and per_parent["CM2020-15"] == 10
