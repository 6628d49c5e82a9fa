"""Checking a beacon leaves the interpreter's recursion limit alone: py_ecc raises it to 100,000 when
imported, and a server process with that limit crashed (SIGSEGV) on a deeply nested JSON body instead of
answering 400. Run in a child process, so a regression crashes the child, not the test worker."""

from __future__ import annotations

import subprocess
import sys
import textwrap

CHILD = textwrap.dedent(
    """
    import importlib, json, pkgutil, sys, threading
    import yingji
    from yingji.enforcement import beacon
    before = sys.getrecursionlimit()
    for info in pkgutil.walk_packages(yingji.__path__, "yingji."):  # no module of ours raises it either
        if not info.name.endswith("__main__") and not info.name.startswith("yingji.migrations"):
            importlib.import_module(info.name)
    beacon._bls_ciphersuite()
    assert sys.getrecursionlimit() == before, sys.getrecursionlimit()
    outcome = []
    def parse():
        try:
            json.loads("[" * 100_000 + "]" * 100_000)
            outcome.append("parsed")
        except RecursionError:
            outcome.append("refused")
    worker = threading.Thread(target=parse)  # as a server parses a body: off the main thread
    worker.start()
    worker.join()
    print(outcome[0])
    """
)


def test_a_deeply_nested_body_after_a_beacon_check_is_refused_not_a_crash() -> None:
    child = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, timeout=120)
    assert child.returncode == 0, (child.returncode, child.stderr[-2000:])
    assert child.stdout.strip() == "refused"
