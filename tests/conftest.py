"""Shared pytest plugins. Feature fixtures live in tests/support/ and feature folders."""

pytest_plugins = ["tests.support.databases", "tests.pbx.fixtures"]
