"""Bodies for tasks, sign-in and users."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, StringConstraints

from agent_ui.schemas.common import Body, DbId, LongText, Name, Password, Str64, Str128, UtcTime
from store.models import Role


class TaskCreate(Body):
    due_at: UtcTime
    instructions: LongText | None = None
    assignee: Str64 | None = None  # username; default: the caller
    customer_id: DbId | None = None


class TaskUpdate(Body):
    done: bool | None = None
    due_at: UtcTime | None = None
    instructions: LongText | None = None


class LoginBody(Body):
    username: Str64 = Field(min_length=1)
    password: str = Field(min_length=1, max_length=256)


class TimezoneBody(Body):
    """The zone the user reads and enters times in (IANA name, e.g. ``Europe/London``); null: the centre's."""

    timezone: Str64 | None


class UserCreate(Body):
    username: Annotated[Str64, StringConstraints(min_length=1)]  # the rest of the rule: UserRepository
    password: Password
    role: Role = Role.AGENT
    display_name: Name | None = None
    extension: Str128 | None = None
    queues: list[Str64] = Field(default_factory=list, max_length=50)
    active: bool = True


class UserUpdate(Body):
    role: Role | None = None
    display_name: Name | None = None
    extension: Str128 | None = None  # null clears it
    queues: list[Str64] | None = Field(default=None, max_length=50)
    password: Password | None = None
    active: bool | None = None
    unlock: bool | None = None  # true: end a sign-in lock and forget the failures
