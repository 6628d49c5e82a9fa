"""灾情数据 on the incident page: figures entered and corrected with their source (初报 / 续报 / 核报 /
更正, and who or what it came from). A blank field is left as it is; the service keeps each change with its
time and source and grades again, so the page shows the new grade and recommended level at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from yingji.api_common import SettingsDep
from yingji.errors import InvalidInput
from yingji.incidents import service as incident_service
from yingji.incidents.schemas import FiguresIn
from yingji.web.pages import FormPost, PageCtx, validated

router = APIRouter(include_in_schema=False)
SOURCE_KINDS = ("initial", "follow_up", "verified", "correction")


@dataclass(frozen=True)
class FigureField:
    name: str  # the FiguresIn field
    kind: str  # "people" (whole), "count" (whole), "money" (typed in scale × 元), "decimal", "density"
    scale: float = 1.0  # 10 000 for 万元, 100 000 000 for 亿元

    @property
    def whole(self) -> bool:
        return self.kind in ("people", "count")


FIELDS = (
    FigureField("deaths", "people"),
    FigureField("missing", "people"),
    FigureField("injured", "people"),
    FigureField("serious_injuries", "people"),
    FigureField("relocated", "people"),
    FigureField("needing_assistance", "people"),
    FigureField("collapsed_rooms", "count"),
    FigureField("collapsed_households", "count"),
    FigureField("direct_loss_cny", "money", 10_000),
    FigureField("provincial_gdp_cny", "money", 100_000_000),
    FigureField("magnitude", "decimal"),
    FigureField("population_density", "density"),
    FigureField("drought_needing_assistance", "people"),
    FigureField("agricultural_population", "people"),
)
DENSITIES = ("dense", "fairly_dense", "sparse")
FORM_FIELDS = frozenset({f.name for f in FIELDS} | {"source_kind", "figures"})  # errors shown on this form


def shown_values(figures: dict[str, Any]) -> dict[str, str]:
    """The form's current values: whole numbers without ``.0``, money in its unit (万元 / 亿元)."""
    out: dict[str, str] = {}
    for f in FIELDS:
        value = figures.get(f.name)
        if value is None or value == "":
            continue
        if f.kind == "density":
            out[f.name] = str(value)
        elif f.kind == "money":
            out[f.name] = f"{float(value) / f.scale:.6g}"
        elif f.whole:
            out[f.name] = str(int(value))
        else:
            out[f.name] = f"{float(value):g}"
    return out


def display(t: Any, name: str, value: Any) -> str:
    """A figure as the page shows it: people and counts whole, money in 万元 (亿元 for a GDP)."""
    field = next((f for f in FIELDS if f.name == name), None)
    if value is None or value == "" or field is None:
        return "—" if value in (None, "") else str(value)
    if field.kind == "density":
        return str(t(f"density.{value}"))
    if field.kind == "money":
        unit = "figures.unit.yi" if field.scale >= 1e8 else "figures.unit.wan"
        return f"{float(value) / field.scale:,.2f} {t(unit)}"
    if field.whole:
        return f"{int(value):,}"
    return f"{float(value):g}"


def _parse(ctx: PageCtx, f: FigureField, text: str) -> Any:
    text = text.strip().replace(",", "")
    if not text:
        return None
    if f.kind == "density":
        if text not in DENSITIES:
            raise InvalidInput(ctx.t("error.choose"), field=f.name)
        return text
    try:
        value = float(text)
    except ValueError:
        raise InvalidInput(ctx.t("error.number"), field=f.name) from None
    if value != value or value < (-2 if f.kind == "decimal" else 0):
        raise InvalidInput(ctx.t("error.range"), field=f.name)
    if f.whole:
        if value != int(value):
            raise InvalidInput(ctx.t("new_incident.error.whole"), field=f.name)
        return int(value)
    return round(value * f.scale, 2) if f.kind == "money" else value


def read_figures(ctx: PageCtx, typed: dict[str, str]) -> FiguresIn:
    values = {f.name: _parse(ctx, f, typed.get(f.name, "")) for f in FIELDS}
    return validated(FiguresIn, {k: v for k, v in values.items() if v is not None}, ctx.t("error.range"))


def source_text(ctx: PageCtx, kind: str, note: str) -> str:
    """The source as kept with the change: its kind in the reader's words and who or what it came from."""
    if kind not in SOURCE_KINDS:
        raise InvalidInput(ctx.t("error.choose"), field="source_kind")
    label = ctx.t(f"figures.source.{kind}")
    note = " ".join(note.split())
    return f"{label} · {note}"[:200] if note else label


@router.post("/incidents/{incident_id}/figures")
async def incident_figures(incident_id: int, request: Request, settings: SettingsDep) -> Response:
    """The figures form (its fields are the names in ``FIELDS``; a form of bounded size)."""
    from yingji.web.incident_pages import act_on_incident

    form = await request.form(max_files=0, max_fields=40, max_part_size=2_000)
    typed = {f.name: str(form.get(f.name) or "")[:40] for f in FIELDS}
    version_text = str(form.get("version") or "")
    kind, note = str(form.get("source_kind") or ""), str(form.get("source_note") or "")[:150]

    def act(ctx: PageCtx, session: Any) -> None:
        if not version_text.isdigit():
            raise InvalidInput(ctx.t("error.required"), field="figures")
        incident_service.change_figures(
            session=session,
            scope=ctx.scope,
            incident_id=incident_id,
            version=int(version_text),
            figures=read_figures(ctx, typed),
            source=source_text(ctx, kind, note),
        )

    return act_on_incident(
        FormPost(request, settings, str(form.get("csrf_token") or "")[:100]), incident_id, act, typed=typed
    )
