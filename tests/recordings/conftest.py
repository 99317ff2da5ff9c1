"""Recording tests: the storage on its own, and the API on SQLite and PostgreSQL (``phone_world``)."""

from tests.phone.world import phone_world

__all__ = ["phone_world"]
