"""The determination standards as data: counts against the published totals, every item well formed."""

from __future__ import annotations

import pytest

from yingji.hazards import determination

# Published totals (the orders themselves; /work/shared/reference/standards.md §5): what each file must account
# for, item by item — stored, or declared missing in the file's gap with the articles not found.
PUBLISHED = {"gongmao-2023": 64, "hazchem-2017": 20, "coal-2020": 15}


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
