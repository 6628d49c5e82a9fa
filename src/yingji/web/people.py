"""People as the pages show them: a user's display name (定日县值班员) instead of the login (dingri_duty),
which is a machine name and English on a Chinese page."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from yingji.auth import service as auth_service


def display_names(session: Any, usernames: Iterable[str | None]) -> dict[str, str]:
    """Each login → its user's display name (the login itself where there is none or no such user)."""
    out: dict[str, str] = {}
    for username in {u for u in usernames if u}:
        user = auth_service.get_by_username(session=session, username=username)
        out[username] = user.display_name if user is not None and user.display_name else username
    return out
