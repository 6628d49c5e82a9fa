"""The one-page printable report: self-contained HTML with the map, tables, loss bars and credits."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from yingji.cli import app
from yingji.quake.assess import GEM_CREDIT, WORLDPOP_CREDIT, EarthquakeInput, assess
from yingji.quake.report import Seat, intensity_map_svg, render_report

ORIGIN = datetime(2025, 1, 7, 1, 5, 16, tzinfo=UTC)


def _result() -> tuple[dict[str, object], dict[str, object]]:
    inp = EarthquakeInput(
        lon=87.45,
        lat=28.5,
        depth_km=10.0,
        magnitude=6.8,
        magnitude_type="Ms",
        origin_time=ORIGIN,
        at=ORIGIN + timedelta(hours=2),
        strike_deg=7.0,
        step_deg=0.05,
        population=lambda grid: np.full((grid.ny, grid.nx), 200.0),
        population_source="test grid",
    )
    result = assess(inp)
    return result.to_dict(), result.zones_geojson()


def test_report_refers_to_no_external_url() -> None:
    data, zones = _result()
    html = render_report(data, zones, [Seat("定日县", 87.12, 28.66)])
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}", html, flags=re.I)
    assert "<script" not in html and "<link" not in html


def test_report_map_draws_each_zone_the_epicentre_and_seats_in_the_frame() -> None:
    data, zones = _result()
    svg = str(intensity_map_svg(zones, (87.45, 28.5), [Seat("定日县", 87.12, 28.66), Seat("北京", 116.4, 39.9)]))
    drawn = re.findall(r'class="zone" data-intensity="(\d+)"', svg)
    assert sorted(int(d) for d in drawn) == [z["intensity"] for z in data["zones"]]  # type: ignore[index]
    assert 'class="epicentre"' in svg
    assert "定日县" in svg and "北京" not in svg


def test_report_has_exposure_loss_bars_aftershocks_and_level() -> None:
    data, zones = _result()
    html = render_report(data, zones)
    exposure = html.split('id="exposure"')[1].split("</table>")[0]
    assert exposure.count("<tr>") == len(data["zones"]) + 2  # type: ignore[arg-type]
    bars = html.split('id="fatality-bars"')[1].split("</section>")[0]
    assert bars.count('class="fill"') == 7
    aftershocks = html.split('id="aftershocks"')[1].split("</table>")[0]
    assert aftershocks.count("≥ M") == 3
    assert 'id="response-level"' in html


def test_report_gives_the_80_percent_range_and_the_deaths_model() -> None:
    data, zones = _result()
    html = render_report(data, zones)
    assert "80% range" in html and str(data["fatalities"]["model"]) in html  # type: ignore[index]


def test_report_names_are_escaped() -> None:
    data, zones = _result()
    html = render_report(data, zones, [Seat("<script>x</script>", 87.45, 28.5)])
    assert "<script>x" not in html


def test_credits_name_worldpop_and_gem_only_when_used(tmp_path: Path) -> None:
    data, _ = _result()
    assert data["credits"] == ["population: test grid"]
    inp = EarthquakeInput(
        lon=87.45,
        lat=28.5,
        depth_km=10.0,
        magnitude=6.0,
        magnitude_type="Ms",
        origin_time=ORIGIN,
        at=ORIGIN,
        population_raster="worldpop-2020.tif",
        faults="gem-active-faults-china.geojson",
    )
    from yingji.quake.assess import credits_for

    assert credits_for(inp, fault_used=True) == [WORLDPOP_CREDIT, GEM_CREDIT]
    assert credits_for(inp, fault_used=False) == [WORLDPOP_CREDIT]


def test_cli_assess_writes_the_report(tmp_path: Path) -> None:
    places = tmp_path / "places.csv"
    places.write_text("lon,lat,population\n87.40,28.55,5000\n87.60,28.40,1200\n")
    report = tmp_path / "report.html"
    result = CliRunner().invoke(
        app,
        [
            "quake",
            "assess",
            "--lon",
            "87.45",
            "--lat",
            "28.5",
            "--depth",
            "10",
            "--magnitude",
            "6.8",
            "--magnitude-type",
            "Ms",
            "--settlements",
            str(places),
            "--step",
            "0.05",
            "--no-db",
            "--origin-time",
            ORIGIN.isoformat(),
            "--report",
            str(report),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["report"] == str(report)
    html = report.read_text(encoding="utf-8")
    assert "定日县" in html  # a county seat from cpca inside the map
    assert "settlement points (places.csv)" in html
