"""HXL-tagged CSV and Sendai indicators of roll-up totals (pure)."""

from __future__ import annotations

import csv
import io

from yingji.disasters.exports import hxl_csv, sendai


def test_hxl_csv_has_a_hashtag_row_under_the_header_and_one_row_per_division() -> None:
    totals = {"540223000000": {"affected": 10, "deaths": 2, "direct_loss_cny": 500}}
    rows = list(csv.reader(io.StringIO(hxl_csv(totals, {"540223000000": ("定日县", "county")}))))
    assert rows[0][:3] == ["division", "name", "level"]
    assert all(tag.startswith("#") for tag in rows[1])
    record = dict(zip(rows[1], rows[2], strict=True))
    assert record["#adm+code"] == "540223000000" and record["#meta+tag"] == "#adm3+code"
    assert (
        record["#affected+killed"] == "2" and record["#value+loss+cny"] == "500" and record["#affected+missing"] == "0"
    )


def test_sendai_a1_is_deaths_and_missing_per_hundred_thousand() -> None:
    out = sendai({"deaths": 3, "missing": 1, "direct_loss_cny": 9}, population=200_000)
    assert out["A"] == {"A-1": 2.0, "A-2": 3, "A-3": 1}
    assert out["C"]["C-1"] == 9 and out["D"]["D-1"] is None


def test_sendai_rates_are_not_available_without_a_population() -> None:
    out = sendai({"deaths": 3}, population=None)
    assert out["A"]["A-1"] is None and out["A"]["A-2"] == 3
