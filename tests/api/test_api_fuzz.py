"""Generated requests over the whole OpenAPI document (schemathesis), through real HTTP, as a county duty
officer and as the national administrator: no 5xx, every status code and content type answered is
declared for its operation, and every body conforms to the declared schema.

The loop is ``tools/schemathesis_run.py``'s, with a few examples per operation so the suite stays fast;
the tool runs more (``--examples``, ``--seconds``) and prints the summary."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import httpx
import pytest
from tests.conftest import LiveServer, login

EXAMPLES_PER_OPERATION = 4
USERS = ("dingri_duty", "admin")  # the county first: the administrator's cases may disable it


def _tool() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "tools" / "schemathesis_run.py"
    spec = importlib.util.spec_from_file_location("schemathesis_run", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_generated_requests_conform_to_the_openapi_document(live: LiveServer) -> None:
    tool = _tool()
    tokens = {user: login(httpx.Client(base_url=live.url), user) for user in USERS}
    summary = tool.fuzz(live.url, tokens, examples=EXAMPLES_PER_OPERATION, seconds=3600, log=lambda _line: None)
    report = "\n".join(summary.lines())
    print(report)
    assert summary.operations >= 2 * 100, report
    assert summary.cases >= summary.operations, report
    assert not summary.failures, report
    assert not summary.not_reached, report
    assert not any(status >= 500 for status in summary.statuses), report
