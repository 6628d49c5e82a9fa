"""Errors of the work-safety domain (each with a code and an HTTP status; ``app.py`` maps them)."""

from __future__ import annotations

from yingji.errors import Conflict, InvalidInput


class InvalidTransition(Conflict):
    code = "hazard_invalid_transition"


class MissingRequirement(Conflict):
    """A move the lifecycle allows, refused because something it needs is missing (e.g. closing a major
    hazard without a verification record)."""

    code = "hazard_missing_requirement"


class ImportRejected(InvalidInput):
    code = "import_rejected"
