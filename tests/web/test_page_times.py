"""Times typed into page forms and filters are held to the same range as the API's (yingji.timerange):
the form shows the field's error, a filter is ignored — never a 500."""

from __future__ import annotations

import re

import pytest
from tests.web.conftest import WebData
from tests.web.test_pages import browser, csrf_of

EXTREME_LOCAL_TIMES = ("0001-01-01T00:00", "1899-12-31T23:00", "2200-01-01T09:00", "9999-12-31T23:59")


@pytest.mark.parametrize("due_at", EXTREME_LOCAL_TIMES)
def test_an_extreme_due_time_in_the_task_form_is_shown_next_to_the_field(web: WebData, due_at: str) -> None:
    client = browser(web.live, "dingri_duty")
    r = client.post(
        f"/incidents/{web.own_incident}/tasks",
        data={"title": "边界时间任务", "due_at": due_at, "csrf_token": csrf_of(client)},
    )
    assert r.status_code == 422, r.text[:300]
    assert re.search(r'class="field-error"[^>]*data-field="due_at"', r.text)
    assert "边界时间任务" not in client.get(f"/incidents/{web.own_incident}").text


@pytest.mark.parametrize("day", ["0001-01-01", "9999-12-31"])
def test_an_extreme_day_in_the_incident_filter_is_not_a_server_error(web: WebData, day: str) -> None:
    client = browser(web.live, "dingri_duty")
    assert client.get("/incidents", params={"since": day, "until": day}).status_code == 200
