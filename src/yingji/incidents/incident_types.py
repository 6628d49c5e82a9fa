"""Incident types (突发事件类型) and the rule family that grades each one.

The names are the platform's vocabulary (docs/sources.md §D1). Production-safety accidents are graded by
生产安全事故报告和调查处理条例; earthquakes by 国家地震应急预案; the other natural disasters get the
response level of 国家自然灾害救助应急预案. ``other`` has no national rule set.
"""

from __future__ import annotations

from enum import StrEnum

from yingji.errors import InvalidInput


class IncidentType(StrEnum):
    EARTHQUAKE = "earthquake"  # 地震
    FLOOD = "flood"  # 洪涝
    GEOLOGICAL_HAZARD = "geological_hazard"  # 地质灾害
    FOREST_GRASSLAND_FIRE = "forest_grassland_fire"  # 森林草原火灾
    DROUGHT = "drought"  # 干旱
    TYPHOON = "typhoon"  # 台风
    SNOW_ICE = "snow_ice"  # 低温雨雪冰冻
    COAL_MINE = "coal_mine"  # 煤矿
    NON_COAL_MINE = "non_coal_mine"  # 非煤矿山
    HAZARDOUS_CHEMICALS = "hazardous_chemicals"  # 危险化学品
    FIRE = "fire"  # 火灾
    INDUSTRY_TRADE = "industry_trade"  # 工贸
    CONSTRUCTION = "construction"  # 建筑施工
    ROAD_TRAFFIC = "road_traffic"  # 道路交通
    WATERWAY = "waterway"  # 水上交通
    SPECIAL_EQUIPMENT = "special_equipment"  # 特种设备
    OTHER = "other"  # 其他


class RuleFamily(StrEnum):
    """Which national rule set grades an incident type."""

    PRODUCTION_SAFETY = "production_safety"  # 生产安全事故
    EARTHQUAKE = "earthquake"  # 地震灾害
    NATURAL_DISASTER_RELIEF = "natural_disaster_relief"  # 自然灾害救助
    NONE = "none"  # no national rule set


FAMILY_OF_TYPE: dict[IncidentType, RuleFamily] = {
    IncidentType.EARTHQUAKE: RuleFamily.EARTHQUAKE,
    IncidentType.FLOOD: RuleFamily.NATURAL_DISASTER_RELIEF,
    IncidentType.GEOLOGICAL_HAZARD: RuleFamily.NATURAL_DISASTER_RELIEF,
    IncidentType.FOREST_GRASSLAND_FIRE: RuleFamily.NATURAL_DISASTER_RELIEF,
    IncidentType.DROUGHT: RuleFamily.NATURAL_DISASTER_RELIEF,
    IncidentType.TYPHOON: RuleFamily.NATURAL_DISASTER_RELIEF,
    IncidentType.SNOW_ICE: RuleFamily.NATURAL_DISASTER_RELIEF,
    IncidentType.COAL_MINE: RuleFamily.PRODUCTION_SAFETY,
    IncidentType.NON_COAL_MINE: RuleFamily.PRODUCTION_SAFETY,
    IncidentType.HAZARDOUS_CHEMICALS: RuleFamily.PRODUCTION_SAFETY,
    IncidentType.FIRE: RuleFamily.PRODUCTION_SAFETY,
    IncidentType.INDUSTRY_TRADE: RuleFamily.PRODUCTION_SAFETY,
    IncidentType.CONSTRUCTION: RuleFamily.PRODUCTION_SAFETY,
    IncidentType.ROAD_TRAFFIC: RuleFamily.PRODUCTION_SAFETY,
    IncidentType.WATERWAY: RuleFamily.PRODUCTION_SAFETY,
    IncidentType.SPECIAL_EQUIPMENT: RuleFamily.PRODUCTION_SAFETY,
    IncidentType.OTHER: RuleFamily.NONE,
}


def parse_incident_type(name: str, *, parameter: str = "type") -> IncidentType:
    """The incident type called ``name``; an unknown name is an :class:`InvalidInput` naming ``parameter``."""
    try:
        return IncidentType(name)
    except ValueError:
        known = ", ".join(t.value for t in IncidentType)
        raise InvalidInput(f"{parameter}: unknown incident type {name!r}; one of: {known}") from None


def family_of(incident_type: IncidentType) -> RuleFamily:
    return FAMILY_OF_TYPE[incident_type]
