"""The map's legends (图例): for each layer, the colours it draws and what each means, read from the same
colour tables the layers use, so a legend cannot drift from its layer. The map page shows a layer's legend
under its switch while the layer is on. Alarms are drawn in colours no incident grade uses (purple, pink,
teal), so a red alarm is never read as a 特别重大 incident."""

from __future__ import annotations

from typing import Any

Legend = list[tuple[str, str, dict[str, Any]]]  # (colour, message key, its parameters)


def entries(layer_id: str) -> Legend:
    """The legend of one layer (empty for a layer that draws one colour or carries its own labels)."""
    if layer_id == "incidents":
        from yingji.web.incident_pages import GRADE_COLOURS

        return [(c, f"grade.{g}" if g else "grade.none", {}) for g, c in GRADE_COLOURS.items()]
    if layer_id == "alarms":
        from yingji.web.monitoring_pages import PRIORITY_COLOURS

        return [(c, f"legend.alarm.{p}", {}) for p, c in PRIORITY_COLOURS.items()]
    if layer_id == "warnings":
        from yingji.web.warning_pages import WARNING_COLOURS

        return [(c, f"warning.colour.{k}", {}) for k, c in reversed(list(WARNING_COLOURS.items()))]
    if layer_id == "depots":
        from yingji.resources.service import LEVEL_COLOURS

        return [(c, f"reserves.level.{k}", {}) for k, c in LEVEL_COLOURS.items()]
    if layer_id == "shelters":
        return [
            ("#1e8449", "legend.shelter.open", {}),
            ("#c0392b", "legend.shelter.full", {}),
            ("#7f8c8d", "legend.shelter.closed", {}),
        ]  # fmt: skip  (resources.service._shelter_colour)
    if layer_id == "teams":
        from yingji.resources.service import READINESS_COLOURS

        return [(c, f"legend.readiness.{k}", {}) for k, c in READINESS_COLOURS.items()]
    if layer_id == "gaps":
        from yingji.web.relief_pages import GAP_KIND_COLOURS

        return [(c, f"legend.gap.{k}", {}) for k, c in GAP_KIND_COLOURS.items()]
    if layer_id == "enterprises":
        from yingji.hazards.pages import RISK_COLOURS

        return [(c, f"enterprise.risk.{k}" if k else "legend.risk_none", {}) for k, c in RISK_COLOURS.items()]
    if layer_id == "intensity":
        from yingji.quake.report import DEGREE_COLOURS, ROMAN

        return [(c, "legend.intensity", {"degree": ROMAN[d]}) for d, c in DEGREE_COLOURS.items()]
    return []
