"""Demo monitoring data: a few synthetic monitored sites in the demo counties (clearly labelled), with
rules from the shipped templates. ``load_demo_monitoring`` is called by ``yingji demo load``."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from yingji.auth.scope import Scope
from yingji.geo.models import Division
from yingji.monitoring import service
from yingji.monitoring.models import MonitoredSite
from yingji.monitoring.schemas import SensorIn, SiteIn

SYNTHETIC = "synthetic demo data (yingji demo)"

# (county, site code, name, kind, offset from the county centre (deg), sensors, rules YAML)
_SITES: tuple[tuple[str, str, str, str, tuple[float, float], list[dict[str, object]], str], ...] = (
    (
        "540223000000",
        "DEMO-HC1",
        "定日县某化工储罐区（演示）",
        "enterprise_installation",
        (0.02, 0.01),
        [
            {"code": "DEMO-HC1-LEL-01", "quantity": "LEL", "unit": "%LEL", "range_low": 0, "range_high": 100},
            {"code": "DEMO-HC1-LEL-02", "quantity": "LEL", "unit": "%LEL", "range_low": 0, "range_high": 100},
            {"code": "DEMO-HC1-H2S-01", "quantity": "H2S", "unit": "%OEL", "range_low": 0, "range_high": 500},
        ],
        "rules:\n  - {use: gas-combustible-lel, sensors: 'DEMO-HC1-LEL-*', prefix: 'hc1-'}\n"
        "  - {use: gas-toxic-oel, sensors: 'DEMO-HC1-H2S-*', prefix: 'hc1-'}\n",
    ),
    (
        "540223000000",
        "DEMO-RG1",
        "定日县雨量站（演示）",
        "rain_gauge",
        (-0.03, 0.02),
        [{"code": "DEMO-RG1-RAIN", "quantity": "rainfall", "unit": "mm", "range_low": 0, "range_high": 300}],
        "rules:\n  - {use: rainstorm-signal, sensors: 'DEMO-RG1-*', prefix: 'rg1-'}\n"
        "  - {use: rain-gauge-health, sensors: 'DEMO-RG1-*', prefix: 'rg1-'}\n",
    ),
    (
        "540225000000",
        "DEMO-TD1",
        "拉孜县某尾矿库（演示）",
        "tailings_dam",
        (0.02, -0.02),
        [
            {"code": f"DEMO-TD1-P{i}", "quantity": "phreatic_depth", "unit": "m", "range_low": 0, "range_high": 50}
            for i in range(1, 5)
        ],
        "rules:\n  - {id: td1-phreatic-blue, sensors: 'DEMO-TD1-P*', kind: limit, low: 8.0, deadband: 0.2,"
        " colour: blue}\n  - {use: tailings-dam-rollup, prefix: 'td1-', site: DEMO-TD1}\n",
    ),
    (
        "540225000000",
        "DEMO-RG2",
        "拉孜县雨量站（演示）",
        "rain_gauge",
        (0.01, 0.03),
        [{"code": "DEMO-RG2-RAIN", "quantity": "rainfall", "unit": "mm", "range_low": 0, "range_high": 300}],
        "rules:\n  - {use: rainstorm-signal, sensors: 'DEMO-RG2-*', prefix: 'rg2-'}\n",
    ),
    (
        "540202000000",
        "DEMO-LS1",
        "桑珠孜区滑坡监测点（演示）",
        "landslide",
        (0.03, 0.0),
        [{"code": "DEMO-LS1-ANGLE", "quantity": "tangent_angle", "unit": "degree", "range_low": 0, "range_high": 90}],
        "rules:\n  - {use: landslide-tangent-angle, sensors: 'DEMO-LS1-*', prefix: 'ls1-'}\n",
    ),
)


def load_demo_monitoring(*, session: Session, scope: Scope) -> dict[str, int]:
    """Add the demo sites (idempotent: nothing is added when they are already there)."""
    counts = {"sites": 0, "sensors": 0}
    if session.scalar(select(MonitoredSite.id).where(MonitoredSite.source == SYNTHETIC).limit(1)) is not None:
        return counts
    for county, code, name, kind, (dlon, dlat), sensors, rules in _SITES:
        division = session.get(Division, county)
        if division is None or division.lon is None or division.lat is None:
            continue
        site_in = SiteIn(
            code=code,
            name=name,
            kind=kind,
            division_code=county,  # type: ignore[arg-type]
            lon=round(division.lon + dlon, 5),
            lat=round(division.lat + dlat, 5),
            sensors=[SensorIn.model_validate(s) for s in sensors],
            rules_yaml=rules,
        )
        service.create_site(session=session, scope=scope, site_in=site_in, source=SYNTHETIC)
        counts["sites"] += 1
        counts["sensors"] += len(sensors)
    return counts
