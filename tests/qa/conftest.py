"""QA tests: the API world of tests/api (SQLite and PostgreSQL), and recorded calls to score."""

from tests.api.conftest import api

__all__ = ["api"]
