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


# -- the namespace of sensor codes -------------------------------------------------------------------
#
# A sensor code is a device identity: readings arrive under it alone (MQTT, NATS, HTTP), so it is unique in
# the whole deployment. So that a refusal of a taken code never tells a county what exists in another one,
# a new code lies in the namespace of a division the registering user covers — the way Chinese monitoring
# point codes begin with the administrative division code (GB/T 2260): a code that begins with digits
# belongs to the division whose prefix those digits are (``540223-CH4-01`` to 定日, ``5402-…`` to 日喀则), and
# must sit on a site of that division's subtree; a code that begins with anything else is the national
# namespace, given out by national users only. Any holder of a code is then inside the registering user's
# own jurisdiction. (docs/security.md, "Uniqueness that reveals nothing".)

_PREFIX_LENGTHS = (2, 4, 6, 9, 12)


def sensor_namespace_problem(code: str, *, site_prefix: str, caller_prefix: str) -> str | None:
    """Why ``code`` may not be registered on a site whose division's prefix is ``site_prefix`` by a caller
    whose jurisdiction's prefix is ``caller_prefix`` (empty: national) — or None. Depends on nothing but its
    arguments: never on which codes exist."""
    digits = len(code) - len(code.lstrip("0123456789"))
    lead = code[:digits]
    example = f"{site_prefix or caller_prefix}-CH4-01"
    if not lead:
        if not caller_prefix:
            return None
        return (
            f"sensor code {code!r} must begin with the code of its site's division or of a division above it "
            f"in your jurisdiction, e.g. {example!r}"
        )
    if digits in _PREFIX_LENGTHS and site_prefix.startswith(lead) and lead.startswith(caller_prefix):
        return None
    if not site_prefix:
        return f"sensor code {code!r}: a site of the national level takes codes that do not begin with a digit"
    return (
        f"sensor code {code!r} must begin with the code of its site's division ({site_prefix}) or of a division "
        f"above it in your jurisdiction, followed by a non-digit, e.g. {example!r}"
    )
