"""Unit and integration tests, told apart by pytest markers (issue 14 item 9), not by folder.

A test is ``integration`` when it needs a real part: a database (SQLite file or PostgreSQL), Redis,
the test PBX, Chromium, a server socket of the app; otherwise it is ``unit`` (pure code and the
sans-I/O protocol layers, no I/O). The folders mirror the packages (``tests/cti``, ``tests/live``,
``tests/store``...); a ``tests/<area>_pbx`` folder holds the same area's tests that drive the one
test PBX, which the xdist scheduler keeps on one worker (:mod:`tests.support.pbx_group`).

``pytest -m unit`` runs the fast set; ``pytest -m integration`` the rest.
"""

from __future__ import annotations

import pytest

REAL_PARTS = {"database", "database_url", "pg_database_url", "pbx", "redis", "redis_url", "browser", "server",
              "api", "world"}
REAL_MARKS = ("pbx", "postgres", "redis", "browser")


def is_integration(item: pytest.Item) -> bool:
    fixtures = set(getattr(item, "fixturenames", ()))
    if fixtures & REAL_PARTS or any(item.get_closest_marker(mark) for mark in REAL_MARKS):
        return True
    folder = item.nodeid.split("/")[1] if item.nodeid.count("/") > 1 else ""
    return folder in {"browser", "pbx"} or folder.endswith("_pbx")


@pytest.hookimpl(tryfirst=True)  # before -m deselects
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    del config
    for item in items:
        item.add_marker(pytest.mark.integration if is_integration(item) else pytest.mark.unit)
