"""GB 18218-2018 identification and grading: the tables, every band boundary exactly, worked examples."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from yingji.hazards import gb18218
from yingji.hazards.gb18218 import Line, assess, catalogue, read_inventory


def unit(*pairs: tuple[str, str], people: int = 0) -> gb18218.Assessment:
    cat = catalogue()
    return assess([Line(cat.find(name), Fraction(gb18218.parse_quantity(q))) for name, q in pairs], people)


def test_table1_has_the_85_rows_of_the_2018_edition_numbered_in_order() -> None:
    subs = catalogue().substances
    assert [s.no for s in subs] == list(range(1, 86))
    names = {s.name for s in subs}
    # rows new in 2018 (not in the 2009 edition's 78)
    assert {"氧（压缩的或液化的）", "硝酸胍", "硝酸铵肥料（含可燃物≤0.4%）"} <= names


@pytest.mark.parametrize(
    ("name", "critical", "beta"),
    [
        ("氨", "10", "2"),
        ("碳酰氯", "0.3", "20"),
        ("异氰酸甲酯", "0.75", "20"),
        ("氯", "5", "4"),
        ("硫化氢", "5", "5"),
        ("氰化氢", "1", "10"),
        ("氢", "5", "1.5"),
        ("甲醇", "500", "1"),
        ("硝酸钾", "1000", "1"),
        ("氧（压缩的或液化的）", "200", "1"),
        ("叠氮化铅", "0.5", "2"),
        ("硝酸铵（含可燃物≤0.2%）", "50", "1"),
    ],
)
def test_critical_quantity_and_beta_of_named_substances(name: str, critical: str, beta: str) -> None:
    entry = catalogue().find(name)
    assert entry.critical_t == Fraction(critical) and entry.beta == Fraction(beta)


def test_table2_and_table4_by_category() -> None:
    cats = catalogue().categories
    assert len(cats) == 24
    assert (cats["J1"].critical_t, cats["J1"].beta) == (5, 4)
    assert (cats["W5.4"].critical_t, cats["W5.4"].beta) == (5000, 1)
    assert (cats["W1.1"].critical_t, cats["W1.1"].beta) == (1, 2)


def test_every_substance_not_in_table3_takes_a_table4_beta() -> None:
    cat = catalogue()
    for sub in cat.substances:
        assert sub.beta_basis.startswith(("表3", "表4")), sub.name
        if sub.beta_basis.startswith("表4"):
            assert sub.beta == cat.categories[sub.beta_basis.split()[1]].beta


def test_lookup_by_name_with_either_punctuation_alias_cas_or_symbol() -> None:
    cat = catalogue()
    assert cat.find("甲醛(含量>90%)").no == 8  # half-width brackets as people type them
    assert cat.find("液氯").no == 12 and cat.find("7782-50-5").no == 12 and cat.find(" 光气 ").no == 6
    assert cat.find("74-98-6").no == 52 and cat.find("w5.1") is cat.categories["W5.1"]


def test_a_cas_number_of_several_rows_is_refused_as_ambiguous() -> None:
    with pytest.raises(LookupError, match="several rows"):
        catalogue().find("9004-70-0")


@pytest.mark.parametrize(
    ("people", "alpha"),
    [
        (0, "0.5"),
        (1, "1.0"),
        (29, "1.0"),
        (30, "1.2"),
        (49, "1.2"),
        (50, "1.5"),
        (99, "1.5"),
        (100, "2.0"),
        (10_000, "2.0"),
    ],
)
def test_alpha_by_exposed_people_at_each_band_edge(people: int, alpha: str) -> None:
    assert gb18218.alpha_for(people) == Fraction(alpha)


def test_s_equal_to_one_exactly_is_major() -> None:
    # 0.1/0.3 + 0.2/0.3 is 1.0000000000000002 or 0.9999999999999999 in binary floating point; exactly 1.
    result = unit(("碳酰氯", "0.1"), ("碳酰氯", "0.2"))
    assert result.s == 1 and result.major and result.grade is not None


def test_s_just_below_one_is_not_major_and_has_no_r_or_grade() -> None:
    result = unit(("氨", "9.999"))
    assert not result.major and result.r is None and result.grade is None


@pytest.mark.parametrize(
    ("q_chlorine", "grade"),
    # α = 0.5 (nobody outside), 氯 β = 4, Q = 5 t: R = 0.5·4·q/5 = 0.4·q
    [("24.999", 4), ("25", 3), ("124.999", 3), ("125", 2), ("249.999", 2), ("250", 1)],
)
def test_grade_bands_at_r_10_50_100_exactly(q_chlorine: str, grade: int) -> None:
    result = unit(("氯", q_chlorine))
    assert result.r == Fraction("0.4") * Fraction(q_chlorine)
    assert result.grade == grade


def test_r_on_a_boundary_from_a_sum_that_floats_get_wrong() -> None:
    # 0.4·12.3 + 0.4·12.7 = 10 exactly: 三级, not 四级
    result = unit(("氯", "12.3"), ("氯", "12.7"))
    assert result.r == 10 and result.grade == 3


def test_worked_example_ammonia_and_methanol_tank_farm() -> None:
    # Own arithmetic (checked by hand): 液氨 50 t (Q 10, β 2), 甲醇 250.5 t (Q 500, β 1), 天然气 10 t
    # (Q 50, β 1.5), 120 people outside (α 2.0): S = 5 + 0.501 + 0.2 = 5.701;
    # R = 2.0 × (10 + 0.501 + 0.3) = 21.602 -> 三级.
    result = unit(("液氨", "50"), ("甲醇", "250.5"), ("天然气", "10"), people=120)
    assert result.s == Fraction("5.701") and result.r == Fraction("21.602") and result.grade == 3


def test_worked_example_chlorine_store_near_a_village() -> None:
    # Own arithmetic: 液氯 60 t (Q 5, β 4), 60 people outside (α 1.5): S = 12; R = 1.5 × 4 × 12 = 72 -> 二级.
    result = unit(("液氯", "60"), people=60)
    assert (result.s, result.r, result.grade) == (12, 72, 2)


@given(
    st.lists(st.tuples(st.sampled_from(["氨", "甲醇", "氢", "氯", "W5.3", "J1"]), st.integers(0, 10**6)), max_size=6),
    st.integers(0, 500),
)
def test_r_is_alpha_times_the_beta_weighted_sum_and_grade_falls_in_its_band(
    pairs: list[tuple[str, int]], people: int
) -> None:
    cat = catalogue()
    lines = [Line(cat.find(name), Fraction(q, 1000)) for name, q in pairs]
    result = assess(lines, people)
    assert result.major == (result.s >= 1)
    if result.r is not None:
        expected = gb18218.alpha_for(people) * sum(
            line.entry.beta * line.quantity_t / line.critical_t for line in lines
        )
        assert result.r == expected
        bounds = {1: (100, None), 2: (50, 100), 3: (10, 50), 4: (0, 10)}[result.grade or 0]
        assert result.r >= bounds[0] and (bounds[1] is None or result.r < bounds[1])


def test_inventory_csv_errors_name_the_line() -> None:
    with pytest.raises(gb18218.InventoryError, match="line 1"):
        read_inventory("name,qty\n氨,1\n")
    with pytest.raises(gb18218.InventoryError, match=r"line 3: quantity must not be negative \(got -1\)"):
        read_inventory("substance,quantity_t\n氨,1\n氨,-1\n")
    with pytest.raises(gb18218.InventoryError, match=r"line 2: quantity must be a number \(got 'abc'\)"):
        read_inventory("substance,quantity_t\n氨,abc\n")
    with pytest.raises(gb18218.InventoryError, match=r"line 2: quantity must be a number \(got 'NaN'\)"):
        read_inventory("substance,quantity_t\n氨,NaN\n")


def test_inventory_category_column_overrides_beta() -> None:
    lines = read_inventory("\ufeffsubstance,quantity_t,category\n汽油（乙醇汽油、甲醇汽油）,400,W5.1\n苯,10,\n")
    assert lines[0].applied_beta == Fraction(3, 2) and lines[1].applied_beta == 1
