from __future__ import annotations

import json
from pathlib import Path

import pytest

from yingji.errors import InvalidInput
from yingji.quake.source import Epicentre, choose_region, load_fault_traces, orient


@pytest.mark.parametrize(
    ("lon", "lat", "region"),
    [
        (87.45, 28.50, "qinghai_tibet"),  # Dingri 2025
        (103.4, 31.0, "qinghai_tibet"),  # Wenchuan 2008
        (85.0, 42.0, "xinjiang"),  # Tianshan
        (108.9, 34.3, "central"),  # Xi'an
        (118.2, 39.6, "east"),  # Tangshan 1976
    ],
)
def test_region_is_chosen_from_the_epicentre(lon: float, lat: float, region: str) -> None:
    assert choose_region(lon, lat) == region


def test_region_override_wins() -> None:
    assert choose_region(87.45, 28.5, "yunnan") == "yunnan"


def test_epicentre_outside_every_region_is_refused_naming_it() -> None:
    with pytest.raises(InvalidInput, match="epicentre"):
        choose_region(-120.0, 37.0)


def test_given_strike_sets_the_long_axis() -> None:
    orientation = orient(Epicentre(87.45, 28.5, 10), strike_deg=187.0)
    assert orientation.basis == "given"
    assert orientation.strike_deg == pytest.approx(7.0)


def test_no_strike_and_no_faults_means_circular_and_says_so() -> None:
    orientation = orient(Epicentre(87.45, 28.5, 10))
    assert orientation.circular
    assert "circular" in orientation.note


def _write_faults(path: Path, lines: list[list[list[float]]]) -> Path:
    features = [
        {"type": "Feature", "properties": {"trace": i}, "geometry": {"type": "LineString", "coordinates": c}}
        for i, c in enumerate(lines)
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


def test_nearest_trace_gives_the_strike(tmp_path: Path) -> None:
    # A north-south trace 0.1° east of the epicentre, and an east-west one far away.
    faults = _write_faults(tmp_path / "f.geojson", [[[100.1, 29.0], [100.1, 31.0]], [[90.0, 35.0], [95.0, 35.0]]])
    orientation = orient(Epicentre(100.0, 30.0, 10), traces=load_fault_traces(faults))
    assert orientation.basis == "fault_trace"
    assert orientation.trace_id == 0
    assert orientation.strike_deg == pytest.approx(0.0, abs=1e-9)
    assert orientation.trace_distance_km == pytest.approx(9.6, abs=0.1)


def test_far_trace_leaves_the_model_circular(tmp_path: Path) -> None:
    faults = _write_faults(tmp_path / "f.geojson", [[[90.0, 35.0], [95.0, 35.0]]])
    orientation = orient(Epicentre(100.0, 30.0, 10), traces=load_fault_traces(faults))
    assert orientation.circular
    assert "km away" in orientation.note


def test_gem_traces_orient_the_dingri_ellipse(faults_file: Path) -> None:
    orientation = orient(Epicentre(87.45, 28.50, 10), traces=load_fault_traces(faults_file))
    assert orientation.basis == "fault_trace"
    assert 0.0 <= (orientation.strike_deg or 0.0) < 180.0


def test_unreadable_faults_file_is_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.geojson"
    bad.write_text("not json")
    with pytest.raises(InvalidInput, match="faults"):
        load_fault_traces(bad)


def test_depth_out_of_range_is_refused() -> None:
    with pytest.raises(InvalidInput, match="depth"):
        Epicentre(87.0, 28.0, -3.0)
