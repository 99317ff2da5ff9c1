"""Shared pytest plugins. Feature fixtures live in tests/support/ and feature folders.

`make test` runs the suite on several pytest-xdist workers. There is one Asterisk per machine, so
every test that uses the test PBX runs on one worker, in turn (tests/support/pbx_group.py).

The progressive dialer pauses ready agents to preview tasks, which would steal the queue calls
that most tests place; it is off unless a test turns it on (the dialer's own tests build it).
"""

import os

os.environ.setdefault("SWITCHBOARD_DIALER__ENABLED", "false")

pytest_plugins = ["tests.support.databases", "tests.support.pbx_group", "tests.support.levels", "tests.pbx.fixtures"]



def pytest_configure(config: object) -> None:
    """Browser assertions wait up to 15 s (Playwright's default is 5 s), like the pages' own actions
    (tests/browser/harness.py): on a loaded CI machine a page can take longer than 5 s to render."""
    del config
    from playwright.async_api import expect

    expect.set_options(timeout=15_000)
