"""Shared helpers of the quake tests: verification tables and one generic checker with named tolerances."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from yingji.quake import data as packaged

DATA = Path(__file__).parent / "data"
# The WorldPop raster and the GEM traces ship inside the package (yingji/quake/data, NOTICE.md there).
POPULATION_RASTER = packaged.population_raster()
FAULTS = packaged.fault_traces()

# Named tolerances: each verification table is checked with one of these (absolute differences).
TOLERANCES = {
    "tabulated_6dp": 2e-6,  # values printed with 6 decimals
    "one_decimal": 1e-9,  # values the standard itself rounds to one decimal
    "pager_published": 0.5,
    "openquake_1e6": 1e-6,  # agreement with OpenQuake's implementation  # PAGER rounds expected deaths to whole people
}


def read_table(name: str) -> list[dict[str, str]]:
    """Rows of a verification table in tests/quake/data (lines starting with # are its notes)."""
    with (DATA / name).open(encoding="utf-8") as handle:
        return list(csv.DictReader(line for line in handle if not line.startswith("#")))


def check(actual: float, expected: float, tolerance: str, context: Any = "") -> None:
    """The one generic checker: |actual − expected| within the named tolerance."""
    limit = TOLERANCES[tolerance]
    assert abs(actual - expected) <= limit, f"{context}: {actual} vs {expected} (tolerance {tolerance}={limit})"


@pytest.fixture
def table() -> Callable[[str], list[dict[str, str]]]:
    return read_table


@pytest.fixture
def checker() -> Callable[..., None]:
    return check


@pytest.fixture
def population_raster() -> Path:
    if not POPULATION_RASTER.exists():
        pytest.skip(f"shared population raster not found at {POPULATION_RASTER}")
    return POPULATION_RASTER


@pytest.fixture
def faults_file() -> Path:
    if not FAULTS.exists():
        pytest.skip(f"shared fault traces not found at {FAULTS}")
    return FAULTS


class FileServer:
    """A local HTTP server of documents held in ``files`` (path → bytes; 404 for others), in a thread:
    a stand-in for a catalogue feed in the feed tests and ``bench/quake_feed.py``."""

    def __init__(self) -> None:
        import http.server
        import threading

        files: dict[str, bytes] = {}
        self.files = files

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body = files.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
