"""Admin: users (sign-in accounts, roles, phone extensions) and the editable config lists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, status

from agent_ui import serialize
from agent_ui.deps import AdminUser, CurrentUser, ServicesDep, current_user, unit_of_work
from agent_ui.schemas.work import UserCreate, UserUpdate
from config.lists import LIST_MODELS, save_list
from domain.errors import InvalidInput
from store.repositories.audit import AuditLog
from store.repositories.users import UserRepository

router = APIRouter(dependencies=[Depends(current_user)])
Username = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
ListName = Annotated[str, Path(max_length=32, pattern=r"^[a-z_]+$")]


@router.get("/api/users", tags=["users"])
async def list_users(_admin: AdminUser, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        users = await UserRepository(session).list()
    return {"items": [serialize.user(u) for u in users]}


@router.post("/api/users", tags=["users"], status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, admin: AdminUser, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        user = await UserRepository(session).create(
            body.username, body.password, role=body.role, display_name=body.display_name,
            extension=body.extension, queues=body.queues, active=body.active)
        AuditLog(session, admin.id).record("create", "user", user.username, details={"role": user.role.value})
    return serialize.user(user)


@router.patch("/api/users/{username}", tags=["users"])
async def update_user(username: Username, body: UserUpdate, admin: AdminUser,
                      services: ServicesDep) -> dict[str, Any]:
    sent = body.model_fields_set
    for field in ("role", "queues", "password", "active", "display_name"):
        if field in sent and getattr(body, field) is None:
            raise InvalidInput(f"{field} cannot be null", {field: "must not be null"})
    async with unit_of_work(services) as session:
        repo = UserRepository(session)
        user = await repo.require(username)
        await repo.update(user, role=body.role, display_name=body.display_name, extension=body.extension,
                          clear_extension="extension" in sent and body.extension is None, queues=body.queues,
                          password=body.password, active=body.active)
        AuditLog(session, admin.id).record("update", "user", user.username, details={"fields": sorted(sent)})
    return serialize.user(user)


@router.get("/api/config/lists", tags=["config"])
async def all_lists(_user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Every editable list, for the desktop's drop-downs."""
    lists = services.lists
    return {name: lists.dump_list(name) for name in LIST_MODELS}


@router.get("/api/config/lists/{name}", tags=["config"])
async def one_list(name: ListName, _user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return services.lists.dump_list(name)


@router.put("/api/config/lists/{name}", tags=["config"])
async def replace_list(name: ListName, admin: AdminUser, services: ServicesDep,
                       data: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Validated (with the other lists) before the file is written; a bad edit is 422 naming the key."""
    services.lists.dump_list(name)  # 404 for an unknown list name
    lists = save_list(services.lists_source.config_dir, name, data)
    services.lists_source.replace(lists)
    async with unit_of_work(services) as session:
        AuditLog(session, admin.id).record("update", "config", name)
    return lists.dump_list(name)
