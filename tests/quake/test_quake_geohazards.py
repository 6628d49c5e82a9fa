from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from yingji.errors import InvalidInput
from yingji.quake.field import Grid, IntensityField
from yingji.quake.geohazards import GeohazardSite, intensity_at, read_inventory, screen
from yingji.quake.source import Orientation


def _site(site_id: str, people: float) -> GeohazardSite:
    return GeohazardSite(site_id, site_id, "landslide", 100.0, 30.0, people)


def test_stronger_shaking_ranks_first_then_more_people() -> None:
    sites = [_site("a", 500), _site("b", 20), _site("c", 900), _site("d", 10_000)]
    ranked = screen(sites, [7.2, 8.1, 7.4, 4.0])
    assert [s.site.site_id for s in ranked] == ["b", "c", "a"]
    assert [s.rank for s in ranked] == [1, 2, 3]
    assert ranked[0].degree == 8


def test_sites_below_vi_are_left_out() -> None:
    assert screen([_site("a", 100)], [5.4]) == []


def test_intensity_is_read_from_the_cell_holding_the_site() -> None:
    grid = Grid(west=100.0, north=31.0, step=0.5, nx=2, ny=2)
    fld = IntensityField(grid, np.array([[6.0, 7.0], [8.0, 9.0]]), "CSIS", "test", Orientation(None, "circular", ""))
    values = intensity_at(fld, [100.75, 100.25, 120.0], [30.25, 30.75, 30.0])
    assert values[0] == 9.0 and values[1] == 6.0 and np.isnan(values[2])


def test_inventory_is_read_from_csv(tmp_path: Path) -> None:
    path = tmp_path / "sites.csv"
    path.write_text("id,name,kind,lon,lat,people_at_risk\nX1,Slope,rockfall,87.1,28.6,35\n", encoding="utf-8")
    (site,) = read_inventory(path)
    assert site.kind == "rockfall" and site.people_at_risk == 35


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(InvalidInput, match="kind"):
        read_inventory_from_rows()


def read_inventory_from_rows() -> None:
    from yingji.quake.geohazards import _site

    _site({"kind": "volcano", "lon": 1, "lat": 2}, 0)
