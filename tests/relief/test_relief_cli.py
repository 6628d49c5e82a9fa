"""``yingji relief plan``: the command checked from outside, and its rejection of bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from yingji.cli import app
from yingji.errors import InvalidInput

DEPOTS = "id,lon,lat,item,quantity\nA,100.0,30.0,tent_single,5\nA,100.0,30.0,quilt,20\nC,103.0,30.0,tent_single,5\n"
DEMANDS = "id,lon,lat,item,quantity\nB,101.0,30.0,tent_single,3\nB,101.0,30.0,quilt,10\nD,102.0,30.0,tent_single,3\n"
ROADS = {
    "type": "FeatureCollection",
    "features": [
        {"type": "Feature", "id": "r1", "properties": {"highway": "trunk"},
         "geometry": {"type": "LineString", "coordinates": [[100, 30], [101, 30]]}},
        {"type": "Feature", "properties": {"id": "r2", "highway": "trunk"},
         "geometry": {"type": "LineString", "coordinates": [[103, 30], [102, 30]]}},
    ],
}  # fmt: skip


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def run(*args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["relief", "plan", *args, "--json"])
    assert result.exit_code == 0, result.output
    out: dict[str, object] = json.loads(result.stdout)
    return out


def error_of(*args: str) -> str:
    result = CliRunner().invoke(app, ["relief", "plan", *args, "--json"])
    assert isinstance(result.exception, InvalidInput), result.output
    return result.exception.detail


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    return {
        "depots": write(tmp_path, "depots.csv", DEPOTS),
        "demands": write(tmp_path, "demands.csv", DEMANDS),
        "roads": write(tmp_path, "roads.geojson", json.dumps(ROADS)),
    }


def test_plan_prints_the_documented_json(files: dict[str, str]) -> None:
    out = run("--depots", files["depots"], "--demands", files["demands"])
    assert out["solver_status"] == "optimal"
    assert out["unmet"] == []
    assert {"from": "C", "to": "D", "item": "tent_single", "quantity": 3}.items() <= out["shipments"][1].items()  # type: ignore[index]
    assert isinstance(out["objective"], float)


def test_plan_with_roads_and_a_cut_reports_the_cut_off_place_unmet(files: dict[str, str]) -> None:
    out = run("--depots", files["depots"], "--demands", files["demands"], "--roads", files["roads"], "--cut", "r2")
    assert out["unmet"] == [{"to": "D", "item": "tent_single", "quantity": 3}]
    assert all(s["from"] == "A" for s in out["shipments"])  # type: ignore[attr-defined]


def test_cut_off_column_marks_places_no_road_reaches(tmp_path: Path, files: dict[str, str]) -> None:
    demands = write(tmp_path, "cut.csv", "id,lon,lat,item,quantity,cut_off\nB,101,30,quilt,4,是\n")
    out = run("--depots", files["depots"], "--demands", demands)
    assert out["unmet"] == [{"to": "B", "item": "quilt", "quantity": 4}]


def test_helicopter_serves_cut_off_place(tmp_path: Path, files: dict[str, str]) -> None:
    demands = write(tmp_path, "cut.csv", "id,lon,lat,item,quantity,cut_off\nB,101,30,quilt,4,yes\n")
    sites = write(tmp_path, "sites.csv", "id,lon,lat\nL1,101.01,30.0\n")
    helis = write(tmp_path, "helis.csv", "id,lon,lat,speed_kmh,range_km\nH1,100,30,200,400\n")
    out = run("--depots", files["depots"], "--demands", demands, "--landing-sites", sites, "--helicopters", helis)
    assert out["unmet"] == []
    assert out["shipments"][0]["mode"] == "air"  # type: ignore[index]


def test_greedy_method_runs(files: dict[str, str]) -> None:
    out = run("--depots", files["depots"], "--demands", files["demands"], "--method", "greedy")
    assert out["solver_status"] == "feasible" and out["unmet"] == []


def test_vehicles_method_reads_truck_columns(tmp_path: Path, files: dict[str, str]) -> None:
    depots = write(
        tmp_path,
        "trucks.csv",
        "id,lon,lat,item,quantity,trucks,truck_capacity_kg\n"
        "A,100,30,tent_single,5,2,5000\nA,100,30,quilt,20,2,5000\nC,103,30,tent_single,5,1,5000\n",
    )
    out = run("--depots", depots, "--demands", files["demands"], "--method", "vehicles")
    assert out["unmet"] == [] and "gap" in out


def test_unknown_item_with_catalogue_names_the_line(tmp_path: Path, files: dict[str, str]) -> None:
    demands = write(tmp_path, "d.csv", "id,lon,lat,item,quantity\nB,101,30,quilt,1\nB,101,30,tnet,2\n")
    detail = error_of("--depots", files["depots"], "--demands", demands, "--catalogue", "builtin")
    assert detail == "d.csv line 3: unknown item 'tnet' (not in the catalogue)"


def test_chinese_item_name_is_accepted_with_catalogue(tmp_path: Path, files: dict[str, str]) -> None:
    demands = write(tmp_path, "d.csv", "id,lon,lat,item,quantity\nB,101,30,棉被,2\n")
    out = run("--depots", files["depots"], "--demands", demands, "--catalogue", "builtin")
    assert out["shipments"][0]["item"] == "quilt"  # type: ignore[index]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id,lon,lat,item\nB,101,30,quilt\n", "d.csv line 1: missing column(s) quantity"),
        ("id,lon,lat,item,quantity\nB,101,30,quilt,-3\n", "d.csv line 2: negative quantity -3"),
        ("id,lon,lat,item,quantity\nB,101,30,quilt,2.5\n", "d.csv line 2: quantity 2.5 is not a whole number"),
        ("id,lon,lat,item,quantity\nB,101,30,quilt,x\n", "d.csv line 2: quantity 'x' is not a number"),
        ("id,lon,lat,item,quantity\nB,101,95,quilt,1\n", "d.csv line 2: position (101.0, 95.0)"),
        (
            "id,lon,lat,item,quantity\nB,101,30,quilt,1\nB,101,30,quilt,2\n",
            "d.csv line 3: 'B' / 'quilt' repeats line 2",
        ),
        (
            "id,lon,lat,item,quantity\nB,101,30,quilt,1\nB,102,30,tent,2\n",
            "d.csv line 3: place 'B' has another position",
        ),
    ],
)
def test_bad_demand_file_is_rejected_with_line_and_reason(
    tmp_path: Path, files: dict[str, str], text: str, message: str
) -> None:
    detail = error_of("--depots", files["depots"], "--demands", write(tmp_path, "d.csv", text))
    assert detail.startswith(message)


def test_negative_stock_is_rejected(tmp_path: Path, files: dict[str, str]) -> None:
    depots = write(tmp_path, "s.csv", "id,lon,lat,item,quantity\nA,100,30,quilt,-1\n")
    assert error_of("--depots", depots, "--demands", files["demands"]) == "s.csv line 2: negative quantity -1"


def test_broken_road_file_names_the_feature(tmp_path: Path, files: dict[str, str]) -> None:
    roads = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "id": "g318", "properties": {}, "geometry": {"type": "LineString", "coordinates": [[1, 2]]}}
    ]}  # fmt: skip
    path = write(tmp_path, "bad.geojson", json.dumps(roads))
    detail = error_of("--depots", files["depots"], "--demands", files["demands"], "--roads", path)
    assert detail.startswith("road feature 0 (id 'g318'): line 0: needs at least 2 distinct positions")


def test_unknown_cut_id_is_rejected(files: dict[str, str]) -> None:
    detail = error_of("--depots", files["depots"], "--demands", files["demands"], "--roads", files["roads"],
                      "--cut", "r2,G999")  # fmt: skip
    assert "G999" in detail


def test_cut_without_roads_is_rejected(files: dict[str, str]) -> None:
    assert "needs --roads" in error_of("--depots", files["depots"], "--demands", files["demands"], "--cut", "r1")


def test_error_exit_code_through_the_root_command(files: dict[str, str], tmp_path: Path) -> None:
    import subprocess
    import sys

    bad = write(tmp_path, "d.csv", "id,lon,lat,item,quantity\nB,101,30,quilt,-3\n")
    proc = subprocess.run(
        [sys.executable, "-c", "from yingji.cli import main; main()", "relief", "plan", "--depots",
         files["depots"], "--demands", bad, "--json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert "error: d.csv line 2: negative quantity -3" in proc.stderr
    assert proc.stdout == ""
