"""The statistics page (统计) in calendar weeks — Monday 00:00 to Sunday 24:00 local time
(``YINGJI_TIMEZONE``) — with period, type and division filters, and the same figures as an xlsx workbook
(``/stats/export.xlsx``). Exercises are left out."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from yingji.api_common import SessionDep
from yingji.errors import DomainError
from yingji.geo import service as division_service
from yingji.incidents import service as incident_service
from yingji.incidents.incident_types import IncidentType
from yingji.web import charts, clock, pickers, weeks
from yingji.web.pages import PageCtx, ViewerDep, not_found, now_utc, render

router = APIRouter(include_in_schema=False)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass
class Figures:
    """What the page and the workbook show, for one set of filters."""

    period: weeks.Period
    incident_type: str
    division: str
    division_name: str
    per_week: list[dict[str, int]]
    kinds: list[str]
    by_status: dict[str, int]
    medians: dict[str, float]


def _figures(ctx: PageCtx, session: Any, params: Any) -> Figures:
    settings = ctx.request.app.state.settings
    zone = clock.zone(settings.timezone)
    today = now_utc().astimezone(zone).date()
    span = weeks.period(weeks.local_date(params.get("from")), weeks.local_date(params.get("to")), today)
    kind = str(params.get("type") or "")
    kind = kind if kind in {t.value for t in IncidentType} else ""
    code = str(params.get("division") or "").strip()[:12]
    name = ""
    if code:
        name = division_service.get(session=session, scope=ctx.scope, code=code).name  # outside: not found
    start, end = span.bounds(zone)
    stats = incident_service.statistics(
        session=session,
        scope=ctx.scope,
        since=start,
        weeks=span.weeks,
        until=end,
        incident_type=kind or None,
        division=code or None,
    )
    kinds = sorted({k for week in stats.weeks for k in week})
    return Figures(span, kind, code, name, stats.weeks, kinds, stats.by_status, stats.median_response_minutes)


def _week_label(monday: dt.date) -> str:
    return f"{monday:%m-%d}～{monday + dt.timedelta(days=6):%m-%d}"


@router.get("/stats", response_class=HTMLResponse)
def stats_page(session: SessionDep, ctx: ViewerDep) -> Response:
    t = ctx.t
    try:
        fig = _figures(ctx, session, ctx.request.query_params)
    except DomainError:
        return render(ctx, "error.html", status_code=404, message=t("error.not_found"))
    labels = [_week_label(m) for m in fig.period.mondays()]
    per_type = {k: [float(week.get(k, 0)) for week in fig.per_week] for k in fig.kinds}
    type_labels = {k: t(f"type.{k}") for k in fig.kinds}
    counts_svg = charts.stacked_bars(labels, per_type, title=t("stats.by_week"), labels=type_labels)
    response_svg = charts.horizontal_bars(
        fig.medians,
        title=t("stats.response_minutes"),
        unit=t("unit.minutes"),
        labels={k: t(f"type.{k}") for k in fig.medians},
    )
    query = {"from": fig.period.first.isoformat(), "to": fig.period.last.isoformat()}
    if fig.incident_type:
        query["type"] = fig.incident_type
    if fig.division:
        query["division"] = fig.division
    rows = [
        {"label": labels[i], "counts": fig.per_week[i], "total": sum(fig.per_week[i].values())}
        for i in range(fig.period.weeks)
    ]
    return render(
        ctx,
        "stats.html",
        fig=fig,
        rows=rows,
        counts_svg=counts_svg,
        response_svg=response_svg,
        total=sum(fig.by_status.values()),
        types=[it.value for it in IncidentType],
        divisions=pickers.divisions(ctx, session),
        export_url="/stats/export.xlsx?" + urlencode(query),
        nav="stats",
    )


def _text(cell: Any, value: str) -> None:
    """A text cell that a spreadsheet never reads as a formula (a name starting with '=' stays a name)."""
    cell.value = value
    cell.data_type = "s"


def workbook(ctx: PageCtx, fig: Figures) -> bytes:
    """The page's figures as an xlsx workbook: weekly counts by type, counts by status, median delays."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    t = ctx.t
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = t("stats.sheet.weeks")[:31]
    scope_line = [
        t("stats.period", start=fig.period.first.isoformat(), end=fig.period.last.isoformat()),
        t("stats.filter.type") + "：" + (t(f"type.{fig.incident_type}") if fig.incident_type else t("stats.all")),
        t("stats.filter.division") + "：" + (fig.division_name or ctx.jurisdiction["name"]),
        t("stats.note", n=sum(fig.by_status.values())),
    ]
    for col, value in enumerate(scope_line, start=1):
        _text(sheet.cell(row=1, column=col), value)
    header = [t("stats.week_start"), t("stats.week_end"), *(t(f"type.{k}") for k in fig.kinds), t("stats.total")]
    for col, value in enumerate(header, start=1):
        _text(sheet.cell(row=3, column=col), value)
        sheet.cell(row=3, column=col).font = Font(bold=True)
    for i, monday in enumerate(fig.period.mondays()):
        row = 4 + i
        sheet.cell(row=row, column=1, value=monday).number_format = "yyyy-mm-dd"
        sheet.cell(row=row, column=2, value=monday + dt.timedelta(days=6)).number_format = "yyyy-mm-dd"
        counts = fig.per_week[i]
        for j, kind in enumerate(fig.kinds):
            sheet.cell(row=row, column=3 + j, value=counts.get(kind, 0))
        sheet.cell(row=row, column=3 + len(fig.kinds), value=sum(counts.values()))
    sheet.column_dimensions["A"].width = sheet.column_dimensions["B"].width = 12
    status = book.create_sheet(t("stats.sheet.status")[:31])
    _text(status.cell(row=1, column=1), t("field.status"))
    _text(status.cell(row=1, column=2), t("stats.count"))
    for i, (name, n) in enumerate(fig.by_status.items(), start=2):
        _text(status.cell(row=i, column=1), t(f"status.{name}"))
        status.cell(row=i, column=2, value=n)
    delays = book.create_sheet(t("stats.sheet.response")[:31])
    _text(delays.cell(row=1, column=1), t("field.type"))
    _text(delays.cell(row=1, column=2), t("stats.median_minutes"))
    for i, (kind, minutes) in enumerate(sorted(fig.medians.items()), start=2):
        _text(delays.cell(row=i, column=1), t(f"type.{kind}"))
        delays.cell(row=i, column=2, value=round(minutes, 1))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@router.get("/stats/export.xlsx")
def stats_export(session: SessionDep, ctx: ViewerDep) -> Response:
    try:
        fig = _figures(ctx, session, ctx.request.query_params)
    except DomainError:
        return not_found(ctx)
    name = ctx.t("stats.file", start=fig.period.first.isoformat(), end=fig.period.last.isoformat())
    return Response(
        workbook(ctx, fig),
        media_type=XLSX,
        headers={"Content-Disposition": f"attachment; filename=\"stats.xlsx\"; filename*=UTF-8''{quote(name)}"},
    )
