"""Calendar weeks of the statistics page: Monday 00:00 to Sunday 24:00 local time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from yingji.web import weeks

SHANGHAI = ZoneInfo("Asia/Shanghai")
SUNDAY = dt.date(2026, 12, 6)


def test_the_default_period_is_thirteen_weeks_ending_with_the_current_one() -> None:
    span = weeks.period(None, None, SUNDAY)
    assert span.weeks == 13 and span.last == SUNDAY and span.first.weekday() == 0
    assert span.mondays()[-1] == dt.date(2026, 11, 30)


def test_a_sunday_evening_belongs_to_the_week_that_began_on_its_monday() -> None:
    span = weeks.period(dt.date(2026, 11, 30), dt.date(2026, 12, 6), SUNDAY)
    start, end = span.bounds(SHANGHAI)
    sunday_evening = dt.datetime(2026, 12, 6, 23, 30, tzinfo=SHANGHAI)
    assert span.weeks == 1 and start <= sunday_evening < end
    assert start == dt.datetime(2026, 11, 29, 16, 0, tzinfo=dt.UTC)  # Monday 00:00 in Beijing time
    assert end == dt.datetime(2026, 12, 6, 16, 0, tzinfo=dt.UTC)  # Sunday 24:00


def test_dates_inside_weeks_widen_to_whole_weeks_and_reversed_dates_are_swapped() -> None:
    span = weeks.period(dt.date(2026, 12, 3), dt.date(2026, 11, 18), SUNDAY)
    assert (span.first, span.last, span.weeks) == (dt.date(2026, 11, 16), dt.date(2026, 12, 6), 3)


def test_a_period_longer_than_a_year_keeps_the_latest_weeks() -> None:
    span = weeks.period(dt.date(2020, 1, 1), SUNDAY, SUNDAY)
    assert span.clipped and span.weeks == weeks.MAX_WEEKS and span.last == SUNDAY


def test_a_date_that_is_not_one_is_ignored() -> None:
    assert weeks.local_date("2026-13-40") is None and weeks.local_date("") is None
    assert weeks.local_date("2026-12-06") == SUNDAY


def test_names_in_the_workbook_are_text_never_formulas() -> None:
    """A division named like a formula stays a name in the exported sheet (no formula injection)."""
    import io
    from types import SimpleNamespace

    from openpyxl import load_workbook

    from yingji.web.i18n import translator
    from yingji.web.stats_pages import Figures, workbook

    span = weeks.period(dt.date(2026, 11, 30), dt.date(2026, 12, 6), SUNDAY)
    fig = Figures(
        span,
        "",
        "540223000000",
        '=HYPERLINK("http://x","点我")',
        [{"flood": 2}],
        ["flood"],
        {"reported": 2},
        {"flood": 30.0},
    )
    ctx = SimpleNamespace(t=translator("zh"), jurisdiction={"name": "定日县"})
    book = load_workbook(io.BytesIO(workbook(ctx, fig)))  # type: ignore[arg-type]
    cell = book["按周统计"].cell(row=1, column=3)
    assert cell.data_type == "s" and "=HYPERLINK" in str(cell.value)
    assert book["按周统计"].cell(row=4, column=4).value == 2
