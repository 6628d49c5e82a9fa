"""The printable coverage report (储备覆盖报告): one self-contained HTML page (no scripts, print styles),
built from the coverage tables. Pure: dictionaries in, text out; every value is escaped."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

from yingji.resources.rules import CAPABILITIES, DEPOT_LEVEL_ZH

STYLE = """
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", sans-serif; margin: 2em; color: #111; }
h1 { font-size: 1.5em; } h2 { font-size: 1.15em; margin-top: 1.6em; border-bottom: 1px solid #999; }
table { border-collapse: collapse; width: 100%; font-size: 0.85em; margin-top: 0.5em; }
th, td { border: 1px solid #bbb; padding: 0.2em 0.4em; text-align: left; vertical-align: top; }
th { background: #eee; } td.num { text-align: right; } .bad { color: #a00; font-weight: bold; }
.note { font-size: 0.8em; color: #444; }
@media print { body { margin: 1cm; } h2 { page-break-after: avoid; } tr { page-break-inside: avoid; } }
"""


def _cell(value: Any, css: str = "") -> str:
    text = "—" if value is None else escape(str(value))
    return f'<td class="{css}">{text}</td>' if css else f"<td>{text}</td>"


def _table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join(f"<tr>{''.join(r)}</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _nearest(entry: dict[str, Any] | None) -> str:
    if entry is None:
        return _cell(None, "bad")
    return _cell(f"{entry['name']} · {entry['hours']} h")


def render(
    *,
    title: str,
    generated_at: str,
    depots: dict[str, Any],
    shelters: dict[str, Any],
    teams: dict[str, Any],
) -> str:
    """The whole report as an HTML document."""
    targets = depots["targets_hours"]
    levels = list(next(iter(depots["places"]), {"nearest": {lv: None for lv in DEPOT_LEVEL_ZH}})["nearest"])
    missing = depots["counties_without_county_depot"]
    outside = [p for p in depots["places"] if p["outside_targets"]]
    short = [t for t in shelters["townships"] if not t["meets_area_norm"]]
    uncovered = [r for r in teams["rows"] if not r["within_target"]]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="note">生成时间 {escape(generated_at)} · 行程时间：{escape(depots["travel_model"])} · '
        f"目标：县级 ≤ {targets.get('county', 6):g} h，市级 ≤ {targets.get('city', 8):g} h，"
        f"省级 ≤ {targets.get('provincial', 10):g} h（2024 年物资保障体系指导意见）</p>",
        "<h2>摘要 Summary</h2>",
        _table(
            ["项目", "数量"],
            [
                [_cell("无县级储备库的县 Counties without a county depot"), _cell(len(missing), "num")],
                [_cell("超出时限的地点 Places outside the delivery targets"), _cell(len(outside), "num")],
                [_cell("避难面积不足 1.5 m²/人的乡镇 Townships short of shelter area"), _cell(len(short), "num")],
                [
                    _cell("救援能力未覆盖（地点×能力）Place × capability not reached in time"),
                    _cell(len(uncovered), "num"),
                ],
            ],
        ),
        "<h2>无县级储备库的县 Counties without a county-level depot</h2>",
        _table(["代码", "名称"], [[_cell(c["code"]), _cell(c["name"], "bad")] for c in missing])
        if missing
        else "<p>无。</p>",
        "<h2>各级最近储备库及行程时间 Nearest depot of each level</h2>",
        _table(
            ["代码", "名称", "级别", *[DEPOT_LEVEL_ZH.get(lv, lv) for lv in levels], "超出时限"],
            [
                [
                    _cell(p["code"]),
                    _cell(p["name"]),
                    _cell(p["level"]),
                    *[_nearest(p["nearest"].get(lv)) for lv in levels],
                    _cell(
                        ", ".join(DEPOT_LEVEL_ZH.get(lv, lv) for lv in p["outside_targets"]) or "—",
                        "bad" if p["outside_targets"] else "",
                    ),
                ]
                for p in depots["places"]
            ],
        ),
        f"<h2>避难场所容量与人口 Shelter space per township (≥ {shelters['min_area_per_person_m2']:g} m²/人)</h2>",
        _table(
            ["代码", "乡镇", "人口", "场所数", "有效面积 m²", "容量（人）", "人均面积 m²", "达标"],
            [
                [
                    _cell(t["code"]),
                    _cell(t["name"]),
                    _cell(t["population"], "num"),
                    _cell(t["shelters"], "num"),
                    _cell(t["effective_area_m2"], "num"),
                    _cell(t["capacity"], "num"),
                    _cell(t["area_per_resident_m2"], "num"),
                    _cell("是" if t["meets_area_norm"] else "否", "" if t["meets_area_norm"] else "bad"),
                ]
                for t in shelters["townships"]
            ],
        ),
        f"<h2>救援能力覆盖 Team coverage by capability (≤ {teams['target_hours']:g} h)</h2>",
        _table(
            ["能力", "代码", "地点", "最近队伍", "行程 h", "达标"],
            [
                [
                    _cell(CAPABILITIES.get(r["capability"], r["capability"])),
                    _cell(r["code"]),
                    _cell(r["name"]),
                    _cell(r["team_name"]),
                    _cell(r["hours"], "num"),
                    _cell("是" if r["within_target"] else "否", "" if r["within_target"] else "bad"),
                ]
                for r in teams["rows"]
            ],
        ),
        "</body></html>",
    ]
    return "\n".join(parts)
