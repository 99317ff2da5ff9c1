"""The browser phone's API tests run on SQLite and PostgreSQL (``phone_world``)."""

from tests.phone.world import phone_world

__all__ = ["phone_world"]
