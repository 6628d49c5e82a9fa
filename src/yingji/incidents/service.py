"""Command services — incidents and their timeline (``incidents/records/service.py``), lists and statistics
(``listing``), status and response levels (``response``), tasks, situation reports, organisations,
information-reporting deadlines and notifications (``reporting``) and the duty desk (``duty_desk``), one
sub-package each — gathered under one name for the API, the CLI, the pages and other domains
(``from yingji.incidents import service as incidents``).

Services never commit; every write is audited; a change carries the version the caller read.
"""

from __future__ import annotations

from yingji.incidents.duty_desk.service import (
    add_log_entry,
    close_item,
    create_shift,
    get_item,
    hand_over,
    item_to_incident,
    list_items,
    list_log,
    list_shifts,
    receive,
    record_duty_action,
)
from yingji.incidents.listing.service import (
    IncidentStatistics,
    ListFilters,
    list_incident_rows,
    list_incidents,
    map_points,
    response_metrics,
    statistics,
)
from yingji.incidents.organisations.service import (
    add_contact,
    create_organisation,
    get_organisation,
    list_organisations,
)
from yingji.incidents.records.service import (
    GRADING_FIELDS,
    StaleVersion,
    add_timeline_entry,
    change_figures,
    create,
    figure_history,
    get,
    get_fields,
    get_for_change,
    readable_clause,
    timeline,
    update_incident,
)
from yingji.incidents.reporting.service import (
    division_at_level,
    due_reports,
    escalations_of,
    flag_overdue,
    list_notifications,
    notify,
    record_report_made,
    reporting_facts,
)
from yingji.incidents.reports.service import (
    create_report,
    edit_report,
    get_report,
    report_revisions,
    reports_of,
    set_report_status,
)
from yingji.incidents.response.service import change_status, respond, response_actions
from yingji.incidents.tasks.service import UNFINISHED_TASK, create_task, get_task, tasks_of, update_task

__all__ = [
    "GRADING_FIELDS",
    "UNFINISHED_TASK",
    "IncidentStatistics",
    "ListFilters",
    "StaleVersion",
    "add_contact",
    "add_log_entry",
    "add_timeline_entry",
    "change_figures",
    "change_status",
    "close_item",
    "create",
    "create_organisation",
    "create_report",
    "create_shift",
    "create_task",
    "division_at_level",
    "due_reports",
    "edit_report",
    "escalations_of",
    "figure_history",
    "flag_overdue",
    "get",
    "get_fields",
    "get_for_change",
    "get_item",
    "get_organisation",
    "get_report",
    "get_task",
    "hand_over",
    "item_to_incident",
    "list_incident_rows",
    "list_incidents",
    "list_items",
    "list_log",
    "list_notifications",
    "list_organisations",
    "list_shifts",
    "map_points",
    "notify",
    "readable_clause",
    "receive",
    "record_duty_action",
    "record_report_made",
    "report_revisions",
    "reporting_facts",
    "reports_of",
    "respond",
    "response_actions",
    "response_metrics",
    "set_report_status",
    "statistics",
    "tasks_of",
    "timeline",
    "update_incident",
    "update_task",
]
