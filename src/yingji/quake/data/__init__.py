"""Data the earthquake assessment needs at run time, shipped inside the package (see NOTICE.md here for
their licences and credits): the WorldPop 2020 population raster and the GEM active-fault traces."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

POPULATION_FILE = "worldpop-2020-5arcmin-china.tif"
FAULTS_FILE = "gem-active-faults-china.geojson"
POPULATION_YEAR = 2020


def _path(name: str) -> Path:
    # The wheel installs package data as plain files, so the resource is a real path.
    return Path(str(resources.files(__name__).joinpath(name)))


def population_raster() -> Path:
    """The packaged WorldPop 2020 raster (people per 5′ cell, CC BY 4.0)."""
    return _path(POPULATION_FILE)


def fault_traces() -> Path:
    """The packaged GEM GAF-DB fault traces (CC BY-SA 4.0)."""
    return _path(FAULTS_FILE)
