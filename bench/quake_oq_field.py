"""Peer side of the Allen (2012) field comparison: OpenQuake's ground_motion_fields on given sites.

Run ONLY with the OpenQuake interpreter (a separate venv beside the project, earthquake.md §8; never a
project dependency) — bench/quake_assess.py calls it as a subprocess:
    <oq-python> bench/quake_oq_field.py SITES.npz OUT.npz
SITES.npz holds lons, lats (1-D) and the rupture (mag, lon, lat, depth, strike, length_km, top_km,
bottom_km). OUT.npz gets the median MMI per site and the timings (site collection, field, total).
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np


def main(sites_path: str, out_path: str) -> None:
    started = time.perf_counter()
    import openquake.engine
    from openquake.hazardlib.calc.gmf import ground_motion_fields
    from openquake.hazardlib.geo import Point
    from openquake.hazardlib.geo.surface.planar import PlanarSurface
    from openquake.hazardlib.gsim.allen_2012_ipe import AllenEtAl2012
    from openquake.hazardlib.imt import MMI
    from openquake.hazardlib.site import SiteCollection
    from openquake.hazardlib.source.rupture import BaseRupture

    imported = time.perf_counter()
    data = np.load(sites_path)
    mag, lon, lat, depth, strike, length, top, bottom = (float(v) for v in data["rupture"])

    t0 = time.perf_counter()
    sites = SiteCollection.from_points(data["lons"], data["lats"])
    t1 = time.perf_counter()
    # A vertical rectangle along the strike, centred on the epicentre (the geometry yingji uses).
    centre = Point(lon, lat, 0.0)
    end_a = centre.point_at(length / 2.0, 0.0, strike)
    end_b = centre.point_at(length / 2.0, 0.0, (strike + 180.0) % 360.0)
    surface = PlanarSurface.from_corner_points(
        Point(end_b.longitude, end_b.latitude, top),
        Point(end_a.longitude, end_a.latitude, top),
        Point(end_a.longitude, end_a.latitude, bottom),
        Point(end_b.longitude, end_b.latitude, bottom),
    )
    rupture = BaseRupture(mag, 0.0, "Active Shallow Crust", Point(lon, lat, depth), surface)
    field = ground_motion_fields(rupture, sites, [MMI()], AllenEtAl2012(), truncation_level=0, realizations=1)
    t2 = time.perf_counter()
    mmi = np.asarray(next(iter(field.values())))[:, 0]
    timings = {
        "version": openquake.engine.__version__,
        "import_s": imported - started,
        "sites_s": t1 - t0,
        "field_s": t2 - t1,
        "total_s": t2 - t0,
    }
    np.savez(out_path, mmi=mmi, timings=json.dumps(timings))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
