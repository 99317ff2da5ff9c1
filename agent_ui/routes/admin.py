"""Admin: users (sign-in accounts, roles, phone extensions) and the editable config lists."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Path, status

from agent_ui import serialize
from agent_ui.components.supervision import save_version
from agent_ui.deps import AdminUser, CurrentUser, ServicesDep, current_user, unit_of_work
from agent_ui.schemas.records import UserOut
from agent_ui.schemas.replies import ConfigListOut, ConfigListsOut, Items
from agent_ui.schemas.work import UserCreate, UserUpdate
from agent_ui.sessions import revoked_event
from config.lists import LIST_MODELS
from domain.errors import Conflict, InvalidInput
from domain.events import UserAccountChanged
from store.models import Role
from store.repositories.audit import AuditLog
from store.repositories.users import UserRepository

router = APIRouter(dependencies=[Depends(current_user)])
Username = Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9][a-z0-9._-]*$")]
ListName = Annotated[str, Path(max_length=32, pattern=r"^[a-z_]+$")]


@router.get("/api/users", tags=["users"], response_model=Items[UserOut])
async def list_users(_admin: AdminUser, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        users = await UserRepository(session).list()
    return {"items": [serialize.user(u) for u in users]}


@router.post("/api/users", tags=["users"], status_code=status.HTTP_201_CREATED, response_model=UserOut)
async def create_user(body: UserCreate, admin: AdminUser, services: ServicesDep) -> dict[str, Any]:
    async with unit_of_work(services) as session:
        user = await UserRepository(session).create(
            body.username, body.password, role=body.role, display_name=body.display_name,
            extension=body.extension, queues=body.queues, active=body.active)
        AuditLog(session, admin.id).record("create", "user", user.username, details={"role": user.role.value})
    await services.publish(UserAccountChanged(username=user.username, active=user.active, extension=user.extension))
    return serialize.user(user)


@router.patch("/api/users/{username}", tags=["users"], response_model=UserOut)
async def update_user(username: Username, body: UserUpdate, admin: AdminUser,
                      services: ServicesDep) -> dict[str, Any]:
    sent = body.model_fields_set
    for field in ("role", "queues", "password", "active", "display_name"):
        if field in sent and getattr(body, field) is None:
            raise InvalidInput(f"{field} cannot be null", {field: "must not be null"})
    async with unit_of_work(services) as session:
        repo = UserRepository(session)
        user = await repo.require(username)
        version = user.token_version
        leaves_admin = (body.role is not None and body.role != Role.ADMIN) or body.active is False
        if user.role == Role.ADMIN and user.active and leaves_admin and await repo.active_admins() <= 1:
            raise Conflict("the last admin cannot be demoted or deactivated; make another admin first",
                           {"role" if body.role is not None else "active": "the last active admin"})
        await repo.update(user, role=body.role, display_name=body.display_name, extension=body.extension,
                          clear_extension="extension" in sent and body.extension is None, queues=body.queues,
                          password=body.password, active=body.active, unlock=bool(body.unlock))
        AuditLog(session, admin.id).record("update", "user", user.username, details={"fields": sorted(sent)})
    if user.token_version != version:  # a new role, password or active flag: the old tokens are dead
        await services.publish(revoked_event(user, "account changed: " + ", ".join(sorted(sent))))
    await services.publish(UserAccountChanged(username=user.username, active=user.active, extension=user.extension))
    return serialize.user(user)


@router.get("/api/config/lists", tags=["config"], response_model=ConfigListsOut)
async def all_lists(_user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    """Every editable list, for the desktop's drop-downs."""
    lists = services.lists
    return {name: lists.dump_list(name) for name in LIST_MODELS}


@router.get("/api/config/lists/{name}", tags=["config"], response_model=ConfigListOut)
async def one_list(name: ListName, _user: CurrentUser, services: ServicesDep) -> dict[str, Any]:
    return services.lists.dump_list(name)


@router.put("/api/config/lists/{name}", tags=["config"], response_model=ConfigListOut)
async def replace_list(name: ListName, admin: AdminUser, services: ServicesDep,
                       data: Annotated[dict[str, Any], Body()]) -> dict[str, Any]:
    """Saved as the list's next version (see ``/versions``), validated with the other lists first;
    a bad edit is 422 naming the key. The installation's files are never written."""
    services.lists.dump_list(name)  # 404 for an unknown list name
    snapshot, version = await save_version(services, admin, name, document=data)
    async with unit_of_work(services) as session:
        AuditLog(session, admin.id).record("update", "config", name, details={"version": version})
    return snapshot.lists.dump_list(name)
