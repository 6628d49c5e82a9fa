"""Reading the roll-up CSV and summing up the tree (pure)."""

from __future__ import annotations

from yingji.disasters.rollup import CSV_FIELDS, parse_reports_csv, rollup

HEADER = "division," + ",".join(CSV_FIELDS)


def test_a_good_file_gives_rows_with_their_lines() -> None:
    rows, errors = parse_reports_csv(f"\ufeff{HEADER}\n540223001000,10,1,0,2,0,300\n\n540223002000,0,0,0,0,0,0\n")
    assert errors == []
    assert [(r.line, r.division, r.figures["direct_loss_cny"]) for r in rows] == [
        (2, "540223001000", 300),
        (4, "540223002000", 0),
    ]


def test_columns_in_another_order_are_read_by_name() -> None:
    header = "direct_loss_cny,division,affected,deaths,missing,relocated,houses_collapsed_households"
    rows, errors = parse_reports_csv(f"{header}\n7,540223001000,1,2,3,4,5\n")
    assert (
        errors == [] and rows[0].figures["direct_loss_cny"] == 7 and rows[0].figures["houses_collapsed_households"] == 5
    )


def test_a_missing_column_is_an_error_on_line_one() -> None:
    rows, errors = parse_reports_csv("division,affected\n540223001000,1\n")
    assert rows == [] and errors[0].startswith("line 1: bad header (missing columns deaths")


def test_a_repeated_township_names_both_lines() -> None:
    _, errors = parse_reports_csv(f"{HEADER}\n540223001000,1,0,0,0,0,0\n540223001000,1,0,0,0,0,0\n")
    assert errors == ["line 3: division 540223001000 repeats line 2"]


def test_negative_and_fractional_counts_name_line_and_field() -> None:
    _, errors = parse_reports_csv(f"{HEADER}\n540223001000,1,-2,0,0,0,0.5\n")
    assert errors == [
        "line 2: deaths must not be negative (got '-2')",
        "line 2: direct_loss_cny must be a non-negative integer (got '0.5')",
    ]


def test_a_short_code_or_wrong_field_count_is_an_error() -> None:
    _, errors = parse_reports_csv(f"{HEADER}\n540223001,1,0,0,0,0,0\n540223002000,1,0\n")
    assert errors == [
        "line 2: division '540223001' is not a 12-digit division code",
        "line 3: expected 7 fields, got 3",
    ]


def test_rollup_sums_townships_into_each_ancestor() -> None:
    chains = {"540223001000": ["540223000000", "540200000000"], "540222001000": ["540222000000", "540200000000"]}
    totals = rollup({"540223001000": {"deaths": 2}, "540222001000": {"deaths": 3}}, chains, ["deaths"])
    assert totals == {
        "540200000000": {"deaths": 5},
        "540222000000": {"deaths": 3},
        "540222001000": {"deaths": 3},
        "540223000000": {"deaths": 2},
        "540223001000": {"deaths": 2},
    }
    assert list(totals) == sorted(totals)
