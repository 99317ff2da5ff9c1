"""``switchboard mpesa ...``:

    switchboard mpesa register-urls [--response-type Completed|Cancelled]
        register {PUBLIC_URL}/webhooks/mpesa/c2b/{confirmation,validation}/{TOKEN} with Daraja's
        Register URL API. ``Completed`` (the default): if our validation URL cannot be reached,
        M-Pesa completes the payment anyway, so no payment is refused because we were down.
    switchboard mpesa replay [--id N ...]
        run matching again over the stored C2B confirmations: those never processed (or that
        failed) are processed, those in suspense are posted if they now match a customer.

With ``SWITCHBOARD_REDIS_URL`` set, replayed payments are published on the shared bus, so the
served process's dialer, wallboard and agents' screens hear about them as about any payment.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from rich.console import Console

from bus.factory import build_bus
from config.compliance_loader import load_pack
from config.settings import Settings
from domain.errors import ConfigError
from payments.c2b import ReplayReport
from payments.client import DarajaClient
from payments.service import build_payments
from runtime.supervisor import TaskSupervisor
from store.db import Database

T = TypeVar("T")
WithDatabase = Callable[[Settings, Callable[[Database], Awaitable[T]]], Coroutine[Any, Any, T]]
out = Console(highlight=False, soft_wrap=True)


def add_parser(commands: Any) -> None:
    """Add ``mpesa`` and its actions to the ``switchboard`` command's sub-parsers."""
    mpesa = commands.add_parser("mpesa", help="M-Pesa payments (Safaricom Daraja)")
    actions = mpesa.add_subparsers(dest="mpesa_command", required=True, metavar="ACTION")
    register = actions.add_parser("register-urls", help="register the C2B webhooks with Daraja")
    register.add_argument("--response-type", choices=["Completed", "Cancelled"], default="Completed",
                          help="what M-Pesa does when our validation URL cannot be reached")
    replay = actions.add_parser("replay", help="run matching again over the stored confirmations")
    replay.add_argument("--id", type=int, action="append", dest="ids", metavar="CALLBACK_ID",
                        help="only this stored callback (repeatable)")


def webhook_urls(settings: Settings) -> tuple[str, str]:
    base, token = settings.public_url.rstrip("/"), settings.mpesa.callback_token.get_secret_value()
    return f"{base}/webhooks/mpesa/c2b/confirmation/{token}", f"{base}/webhooks/mpesa/c2b/validation/{token}"


async def register_urls(settings: Settings, response_type: str = "Completed") -> dict[str, Any]:
    missing = settings.mpesa.missing_for_stk()
    if missing:
        raise ConfigError(f"set {', '.join(missing)} first", {"missing": missing})
    if not settings.public_url.startswith("https://"):
        out.print(f"note: Daraja calls https URLs only; SWITCHBOARD_PUBLIC_URL is {settings.public_url}")
    confirmation, validation = webhook_urls(settings)
    client = DarajaClient(settings.mpesa)
    try:
        return await client.register_urls(confirmation, validation, response_type)
    finally:
        await client.aclose()


async def replay(settings: Settings, database: Database, ids: list[int] | None = None) -> ReplayReport:
    supervisor = TaskSupervisor()
    bus = outbox = None
    if settings.redis_url is not None:
        bus, outbox, _lease = build_bus(settings, supervisor)
        await bus.start()
    try:
        publish = bus.publish_many if bus is not None else _nowhere
        hub = build_payments(settings, database, outbox, publish, load_pack(settings.compliance_pack))
        try:
            return await hub.c2b.replay(ids=ids)
        finally:
            await hub.aclose()
    finally:
        if bus is not None:
            await bus.stop()
        await supervisor.stop()


async def _nowhere(_events: object) -> None:
    return None


def cmd_register_urls(settings: Settings, args: argparse.Namespace) -> int:
    answer = asyncio.run(register_urls(settings, args.response_type))
    confirmation, validation = webhook_urls(settings)
    out.print(f"Registered with Daraja ({answer.get('ResponseDescription', 'ok')}):\n"
              f"  confirmation {confirmation}\n  validation   {validation}", markup=False)
    return 0


def cmd_replay(settings: Settings, args: argparse.Namespace, with_database: WithDatabase[ReplayReport]) -> int:
    async def run(database: Database) -> ReplayReport:
        return await replay(settings, database, args.ids)

    report = asyncio.run(with_database(settings, run))
    out.print(f"Replayed {report.seen} stored confirmation(s): {report.posted} posted, {report.suspense} in "
              f"suspense, {report.unchanged} unchanged, {report.rejected} malformed, {report.failed} failed.")
    if settings.redis_url is None and report.posted:
        out.print("note: without SWITCHBOARD_REDIS_URL the served process does not hear about these payments "
                  "until its dialer's next pass.")
    return 0 if report.failed == 0 else 1
