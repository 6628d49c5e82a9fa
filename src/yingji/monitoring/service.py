"""Monitoring services — sites and sensors (``monitoring/sites/service.py``), ingestion of readings
(``monitoring/ingestion/service.py``) and alarms (``monitoring/alarms/service.py``) — gathered under one name
for the API, the CLI, the pages and the worker."""

from __future__ import annotations

from yingji.monitoring.alarms.service import (
    UNACKNOWLEDGED,
    acknowledge,
    add_note,
    alarm_view,
    apply_events,
    count_unacknowledged,
    fatigue_report,
    get_alarm,
    incident_type_of_site,
    list_alarms,
    out_of_service,
    promote,
    shelve,
    suppress,
    tick,
    unshelve,
)
from yingji.monitoring.ingestion.service import (
    DEAD_LETTERS_STORED_PER_REQUEST,
    MAX_READINGS_PER_REQUEST,
    DatabaseSink,
    ingest,
    list_dead_letters,
    sensor_readings,
)
from yingji.monitoring.sites.service import (
    READ,
    WRITE,
    create_site,
    get_site,
    import_registry,
    list_sites,
    ms_to_dt,
    parse_rules_yaml,
    set_rules,
    site_ruleset,
)

__all__ = [
    "DEAD_LETTERS_STORED_PER_REQUEST",
    "MAX_READINGS_PER_REQUEST",
    "READ",
    "UNACKNOWLEDGED",
    "WRITE",
    "DatabaseSink",
    "acknowledge",
    "add_note",
    "alarm_view",
    "apply_events",
    "count_unacknowledged",
    "create_site",
    "fatigue_report",
    "get_alarm",
    "get_site",
    "import_registry",
    "incident_type_of_site",
    "ingest",
    "list_alarms",
    "list_dead_letters",
    "list_sites",
    "ms_to_dt",
    "out_of_service",
    "parse_rules_yaml",
    "promote",
    "sensor_readings",
    "set_rules",
    "shelve",
    "site_ruleset",
    "suppress",
    "tick",
    "unshelve",
]
