"""Shared pytest plugins. Feature fixtures live in tests/support/ and feature folders.

The progressive dialer pauses ready agents to preview tasks, which would steal the queue calls
that most tests place; it is off unless a test turns it on (the dialer's own tests build it).
"""

import os

os.environ.setdefault("SWITCHBOARD_DIALER__ENABLED", "false")

pytest_plugins = ["tests.support.databases", "tests.pbx.fixtures"]
