from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from yingji.cli import app
from yingji.errors import InvalidInput
from yingji.quake.assess import EarthquakeInput, assess
from yingji.quake.field import Grid

ORIGIN = datetime(2025, 1, 7, 1, 5, 16, tzinfo=UTC)
ZONE_KEYS = {"intensity", "area_km2", "population"}
RANGES = ["0-1", "1-10", "10-100", "100-1000", "1000-10000", "10000-100000", "100000+"]


def _uniform(people: float) -> Callable[[Grid], np.ndarray]:
    return lambda grid: np.full((grid.ny, grid.nx), people)


def _input(**changes: object) -> EarthquakeInput:
    values: dict[str, object] = {
        "lon": 87.45,
        "lat": 28.5,
        "depth_km": 10.0,
        "magnitude": 6.8,
        "magnitude_type": "Ms",
        "origin_time": ORIGIN,
        "at": ORIGIN + timedelta(hours=2),
        "strike_deg": 7.0,
        "step_deg": 0.02,
        "population": _uniform(10.0),
    }
    values.update(changes)
    return EarthquakeInput(**values)  # type: ignore[arg-type]


def test_assessment_has_every_figure_the_cli_promises() -> None:
    data = assess(_input()).to_dict()
    assert isinstance(data["max_intensity"], float)
    assert [z["intensity"] for z in data["zones"]] == list(range(6, 6 + len(data["zones"])))
    assert all(set(z) == ZONE_KEYS for z in data["zones"])
    assert list(data["fatalities"]["ranges"]) == RANGES
    assert data["fatalities"]["alert"] in ("green", "yellow", "orange", "red")
    assert data["economic_loss_usd"]["alert"] in ("green", "yellow", "orange", "red")
    assert data["displaced"] > 0
    assert {(a["min_magnitude"], a["days"]) for a in data["aftershocks"]} == {
        (m, d) for m in (5.0, 6.0, 7.0) for d in (1.0, 7.0, 30.0)
    }
    assert data["response_level"] in (1, 2, 3, 4, None)
    json.dumps(data)


def test_zone_people_add_up_to_the_people_at_vi_and_above() -> None:
    result = assess(_input())
    total = sum(z.population for z in result.zones)
    assert total == pytest.approx(float(result.population[result.chinese.values >= 5.5].sum()))


def test_mw_input_is_converted_to_ms_for_the_chinese_relation() -> None:
    result = assess(_input(magnitude=7.1, magnitude_type="Mw"))
    assert result.ms == pytest.approx(7.4375)
    assert any("converted to Ms" in note for note in result.notes)


def test_chinese_loss_input_gives_more_deaths_than_mmi_here() -> None:
    mmi = assess(_input(loss_intensity="mmi")).fatalities["expected"]
    chinese = assess(_input(loss_intensity="chinese")).fatalities["expected"]
    assert chinese > mmi


def test_without_strike_or_faults_the_output_says_circular() -> None:
    data = assess(_input(strike_deg=None, population=_uniform(1.0), use_packaged_faults=False)).to_dict()
    assert data["model"]["circular"] is True
    assert "circular" in data["model"]["note"]


def test_magnitude_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match="magnitude"):
        assess(_input(magnitude=9.6))


def test_epicentre_outside_every_region_is_refused() -> None:
    with pytest.raises(InvalidInput, match="epicentre"):
        assess(_input(lon=-100.0, lat=40.0))


def test_without_a_population_the_packaged_worldpop_raster_is_used() -> None:
    data = assess(_input(population=None)).to_dict()
    assert sum(z["population"] for z in data["zones"]) > 10_000
    assert any("WorldPop" in c for c in data["credits"])


def test_without_strike_or_faults_file_the_packaged_gem_traces_orient_the_axis() -> None:
    data = assess(_input(strike_deg=None)).to_dict()
    assert data["model"]["long_axis"] == "fault_trace"
    assert any("GEM" in c for c in data["credits"])


def test_recorded_aftershocks_refit_the_forecast() -> None:
    rng = np.random.default_rng(3)
    times = np.sort(rng.uniform(0.001, 2.0, 60) ** 2)
    recorded = [(float(t), float(m)) for t, m in zip(times, np.round(3.0 + rng.exponential(0.43, 60), 1), strict=True)]
    result = assess(_input(at=ORIGIN + timedelta(days=4), recorded_aftershocks=recorded, aftershock_completeness=3.0))
    assert "fitted" in result.aftershock_note


def _cli(args: list[str], env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, args, env=env)
    return result.exit_code, result.output


def test_cli_losses_prints_pager_figures_for_an_exposure() -> None:
    code, out = _cli(
        [
            "quake",
            "losses",
            "--exposure",
            '{"5": 147452, "6": 61485, "7": 27679, "8": 6964, "9": 2998}',
            "--country",
            "CN",
            "--json",
        ]
    )
    assert code == 0, out
    data = json.loads(out)
    assert round(data["fatalities"]["expected"]) == 291
    assert list(data["fatalities"]["ranges"]) == RANGES
    assert data["economic_loss_usd"]["alert"] == "red"


def test_cli_assess_prints_one_json_object_and_writes_geojson(population_raster: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "zones.geojson"
    code, out = _cli(
        [
            "quake",
            "assess",
            "--lon",
            "87.45",
            "--lat",
            "28.50",
            "--depth",
            "10",
            "--magnitude",
            "6.8",
            "--magnitude-type",
            "Ms",
            "--strike",
            "187",
            "--population",
            str(population_raster),
            "--origin-time",
            "2025-01-07T01:05:16Z",
            "--at",
            "2025-01-07T03:00:00Z",
            "--no-db",
            "--geojson",
            str(out_file),
            "--json",
        ]
    )
    assert code == 0, out
    data = json.loads(out)
    for key in (
        "max_intensity",
        "zones",
        "fatalities",
        "economic_loss_usd",
        "displaced",
        "aftershocks",
        "response_level",
        "elapsed_s",
    ):
        assert key in data
    assert json.loads(out_file.read_text())["features"]


def test_cli_assess_on_a_fresh_install_needs_no_file() -> None:
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
            "--no-db",
            "--json",
        ],
        env={"YINGJI_POPULATION_RASTER": ""},
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["model"]["long_axis"] == "fault_trace"
    assert sum(z["population"] for z in data["zones"]) > 10_000
    assert any("WorldPop" in c for c in data["credits"]) and any("GEM" in c for c in data["credits"])


def test_cli_uses_the_configured_raster(population_raster: Path) -> None:
    code, out = _cli(
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
            "6.0",
            "--magnitude-type",
            "Ms",
            "--step",
            "0.05",
            "--no-db",
            "--json",
        ],
        env={"YINGJI_POPULATION_RASTER": str(population_raster)},
    )
    assert code == 0, out
    assert json.loads(out)["zones"]


def test_cli_assess_takes_settlements_and_recorded_aftershocks(tmp_path: Path) -> None:
    places = tmp_path / "places.csv"
    places.write_text("lon,lat,population\n87.40,28.55,5000\n87.60,28.40,1200\n")
    recorded = tmp_path / "aftershocks.csv"
    rng = np.random.default_rng(5)
    lines = ["time,magnitude"]
    for t, m in zip(np.sort(rng.uniform(0.001, 1.4, 50) ** 2), 3.0 + rng.exponential(0.43, 50), strict=True):
        lines.append(f"{(ORIGIN + timedelta(days=float(t))).isoformat()},{m:.1f}")
    recorded.write_text("\n".join(lines) + "\n")
    code, out = _cli(
        [
            "quake", "assess", "--lon", "87.45", "--lat", "28.5", "--depth", "10", "--magnitude", "6.8",
            "--magnitude-type", "Ms", "--strike", "187", "--settlements", str(places), "--aftershocks", str(recorded),
            "--completeness", "3.0", "--origin-time", ORIGIN.isoformat(), "--no-db",
            "--at", (ORIGIN + timedelta(days=2)).isoformat(),
            "--json",
        ]
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert sum(z["population"] for z in data["zones"]) == pytest.approx(6200.0)
    assert data["aftershock_parameters"].startswith("fitted")


def test_the_default_deaths_model_is_the_calibrated_one_with_its_range() -> None:
    data = assess(_input()).to_dict()
    assert data["model"]["fatality_model"] == data["fatalities"]["model"]
    assert data["fatalities"]["model"] not in ("pager-mmi", "pager-csis")
    low, high = data["fatalities"]["range_80"]
    assert low <= data["fatalities"]["expected"] <= high


def test_a_named_model_is_used_when_asked_for() -> None:
    old = assess(_input(model="pager-mmi")).to_dict()
    assert old["fatalities"]["model"] == "pager-mmi" and old["model"]["loss_intensity"] == "mmi"
    with pytest.raises(InvalidInput, match="model"):
        assess(_input(model="no-such-model"))


def test_a_regional_deaths_model_takes_the_theta_of_the_epicentres_region() -> None:
    from yingji.quake import fatality

    regional = next(m for m in fatality.models().values() if m.region_offsets)
    result = assess(_input(model=regional.name))
    data = result.to_dict()
    assert data["model"]["region"] == "qinghai_tibet"
    # the circular source of the model's calibration (strike given: the long axis is kept)
    exposure = {int(k): v for k, v in data["exposure"]["chinese"].items()}
    expected = regional.expected(exposure, 2025, "qinghai_tibet")
    assert data["fatalities"]["expected"] == pytest.approx(expected, rel=1e-3)
    if regional.region_offsets and regional.region_offsets["qinghai_tibet"] != 0:
        assert expected != pytest.approx(regional.expected(exposure, 2025, None), rel=1e-6)
