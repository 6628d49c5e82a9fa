"""The monitoring registry as a file: monitored sites and their sensors (quantity, unit, range).

A YAML (or JSON) document for the CLI and tests; the database holds the same in deployments::

    sites:
      - id: M1
        name: 某某煤矿 (mine)
        kind: mine
        division: "140402"
        lon: 113.1
        lat: 36.2
        sensors:
          - {id: M1-CH4-T1, quantity: CH4, unit: "%", range: [0, 4]}
          - {id: M1-CO-01, quantity: CO, unit: ppm, range: [0, 1000]}

With a registry, readings of sensors it does not list are dead letters (``unknown_sensor``), and so
are values outside the instrument's measuring range (``out_of_range``: a sensor fault, not an alarm).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from yingji.errors import InvalidInput

SiteKind = Literal[
    "enterprise_installation",  # 危险化学品重大危险源 etc.
    "mine",
    "tailings_dam",
    "rain_gauge",
    "river_gauge",
    "landslide",
    "other",
]


class Sensor(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=128)
    quantity: str = Field(min_length=1)  # CH4, CO, LEL, O2, rainfall, water_level, displacement, …
    unit: str
    range: tuple[float, float] | None = None  # the instrument's measuring range

    @model_validator(mode="after")
    def _ordered_range(self) -> Sensor:
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"sensor {self.id}: range must be [low, high] with low < high")
        return self


class Site(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    name: str = ""
    kind: SiteKind = "other"
    division: str | None = Field(default=None, pattern=r"^\d{6}(\d{3}(\d{3})?)?$")
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    sensors: list[Sensor] = Field(default_factory=list)


class Registry(BaseModel):
    """Sites and sensors; ``sensor_id in registry`` tells whether a sensor is known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sites: list[Site]
    _sensors: dict[str, Sensor] = PrivateAttr(default_factory=dict)
    _site_of: dict[str, str] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique(self) -> Registry:
        seen: set[str] = set()
        for site in self.sites:
            for sensor in site.sensors:
                if sensor.id in seen:
                    raise ValueError(f"sensor id {sensor.id!r} appears twice")
                seen.add(sensor.id)
        return self

    def model_post_init(self, context: object, /) -> None:
        self._sensors = {s.id: s for site in self.sites for s in site.sensors}
        self._site_of = {s.id: site.id for site in self.sites for s in site.sensors}

    def __contains__(self, sensor_id: object) -> bool:
        return sensor_id in self._sensors

    def sensor_ids(self) -> Iterator[str]:
        return iter(self._sensors)

    def sensor(self, sensor_id: str) -> Sensor | None:
        return self._sensors.get(sensor_id)

    def site_of(self, sensor_id: str) -> str | None:
        return self._site_of.get(sensor_id)

    @property
    def has_ranges(self) -> bool:
        return any(s.range is not None for s in self._sensors.values())

    def out_of_range(self, sensor_id: str, value: float) -> bool:
        sensor = self.sensor(sensor_id)
        return sensor is not None and sensor.range is not None and not sensor.range[0] <= value <= sensor.range[1]


def read_yaml(path: Path, what: str) -> Any:
    """The YAML document in a file; an unreadable or malformed file is refused, named as ``what``."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"{what} {path}: {exc.strerror}") from exc
    except yaml.YAMLError as exc:
        raise InvalidInput(f"{what} {path}: not valid YAML ({exc})") from exc


def parse_registry(data: Any, where: str, **extra: Any) -> Registry:
    """The registry a YAML document describes; a malformed one is refused with every problem, at ``where``."""
    try:
        return Registry.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise InvalidInput(f"{where}: {detail}", **extra) from exc


def load_registry(path: Path) -> Registry:
    return parse_registry(read_yaml(path, "registry"), f"registry {path}")
