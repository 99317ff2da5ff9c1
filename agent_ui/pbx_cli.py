"""``switchboard pbx provision [--reload]``: write the browser phones' PJSIP include (and the
recording-notice dialplan) from the database, then reload them over AMI on every configured
Asterisk server (the AMI user needs the ``system`` write class for ``Reload``).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Callable

from rich.console import Console

from config.settings import Settings
from cti.ami.connection import AmiConnection
from domain.errors import CarrierRejected, CarrierUnavailable, ConfigError
from domain.events import Event, PbxReloadRequested
from phone.provisioner import Provisioner, ProvisionReport
from store.db import Database

CONNECT_SECONDS = 10.0


def add_parser(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    pbx = commands.add_parser("pbx", help="the PBX's provisioned files")
    actions = pbx.add_subparsers(dest="pbx_command", required=True, metavar="ACTION")
    provision = actions.add_parser("provision", help="write the browser phones' PJSIP include and reload it")
    provision.add_argument("--reload", action="store_true", help="reload even if no file changed")


async def _reload(settings: Settings, modules: tuple[str, ...]) -> list[str]:
    servers = settings.ami.all_servers()
    if not servers:
        raise ConfigError("no Asterisk server to reload: set SWITCHBOARD_AMI__HOST", {"ami.host": "not set"})
    done = []
    for server in servers:
        connection = AmiConnection(server, events=False)
        task = asyncio.create_task(connection.run())
        try:
            if not await connection.wait_connected(CONNECT_SECONDS):
                raise CarrierUnavailable(f"cannot log in to AMI on {server.host}:{server.port}")
            for module in modules:
                result = await connection.action("Reload", [("Module", module)])
                if not result.success:
                    raise CarrierRejected(f"Reload {module} refused on {server.name}: {result.message}")
            done.append(server.name)
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return done


def cmd_pbx_provision(settings: Settings, args: argparse.Namespace,
                      with_database: Callable[..., object], out: Console) -> int:
    asked: list[PbxReloadRequested] = []

    async def collect(event: Event) -> None:
        if isinstance(event, PbxReloadRequested):
            asked.append(event)

    async def run(database: Database) -> ProvisionReport:
        return await Provisioner(database, settings, collect, None).provision(force_reload=args.reload)

    report: ProvisionReport = asyncio.run(with_database(settings, run))  # type: ignore[arg-type]
    out.print(f"{report.endpoints} browser phone(s); wrote {', '.join(report.written) or 'nothing (unchanged)'}")
    modules = tuple(dict.fromkeys(m for event in asked for m in event.modules))
    if modules:
        servers = asyncio.run(_reload(settings, modules))
        out.print(f"Reloaded {', '.join(modules)} on {', '.join(servers)}")
    return 0
