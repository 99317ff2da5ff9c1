"""``switchboard sms send-bulk``: a bulk reminder from the command line.

    switchboard sms send-bulk --filter promises-due:tomorrow --template payment_reminder
    switchboard sms send-bulk --filter dpd:1-30 --template overdue_notice [--campaign CODE] [--yes]
    switchboard sms send-bulk --resume 7          # carry on with run 7 after a crash or Ctrl-C

It states the count and the estimated cost and asks for confirmation (``--yes`` answers it), then
queues the messages (each through the compliance gate) and works the outbox itself until the run
is sent, with a progress bar. The sender here is the same as the server's: both may run at once,
and each message still goes out once. Resuming never sends a message twice.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.prompt import Confirm
from sqlalchemy import select

from config.compliance_loader import load_pack
from config.lists import load_lists
from config.settings import Settings
from domain.errors import InvalidInput, NotFound
from messaging.bulk import BulkFilter, BulkReminders
from messaging.service import MessagingService, publish_nothing
from runtime.supervisor import TaskSupervisor
from store.db import Database
from store.models import BulkSend, Role, User

out = Console(highlight=False, soft_wrap=True)


def add_parser(commands: Any) -> None:
    sms = commands.add_parser("sms", help="SMS: bulk reminders")
    actions = sms.add_subparsers(dest="sms_command", required=True, metavar="ACTION")
    bulk = actions.add_parser("send-bulk", help="send a template to a filtered set of customers")
    bulk.add_argument("--filter", help="promises-due:tomorrow | promises-due:YYYY-MM-DD | dpd:MIN-MAX")
    bulk.add_argument("--template", help="an SMS template code from templates.yaml")
    bulk.add_argument("--campaign", help="only customers of this campaign")
    bulk.add_argument("--as", dest="as_user", default="supervisor", help="the supervisor sending it")
    bulk.add_argument("--resume", type=int, help="carry on with this run")
    bulk.add_argument("--yes", action="store_true", help="confirm the count and the cost without asking")
    bulk.add_argument("--no-wait", action="store_true", help="queue only; the server's sender sends them")


async def _user(database: Database, username: str) -> User:
    async with database.session() as session:
        user = await session.scalar(select(User).where(User.username == username))
    if user is None or user.role not in (Role.SUPERVISOR, Role.ADMIN):
        raise InvalidInput(f"{username!r} is not a supervisor or admin (use --as)", {"as": "a supervisor"})
    return user


async def run(settings: Settings, database: Database, args: argparse.Namespace) -> int:
    supervisor = TaskSupervisor()
    lists = load_lists(settings.config_dir)
    service = MessagingService.build(settings, database, lambda: lists, load_pack(settings.compliance_pack),
                                     publish=publish_nothing)
    bulk = BulkReminders(service, service.composer.clock)
    try:
        if args.resume is not None:
            async with database.session() as session:
                run = await session.get(BulkSend, args.resume)
            if run is None:
                raise NotFound(f"no bulk run {args.resume}", {"resume": str(args.resume)})
            out.print(f"Resuming run {run.id}: {run.template} to {run.filter_label} ({run.total} customers).")
        else:
            if not args.filter or not args.template:
                raise InvalidInput("give --filter and --template (or --resume ID)", {"filter": "required"})
            user = await _user(database, args.as_user)
            flt = BulkFilter.parse(args.filter, args.campaign)
            found = await bulk.preview(flt, args.template, user)
            out.print(f"{found['count']} customers ({found['label']}), template {args.template}: about "
                      f"{found['average_segments']} SMS part(s) each, estimated cost {found['currency']} "
                      f"{found['estimated_cost']}.")
            if found["blocked_in_sample"]:
                out.print(f"In a sample of {found['sample_size']}, the gate blocks: {found['blocked_in_sample']}")
            if found["count"] == 0:
                out.print("Nothing to send.")
                return 0
            if not args.yes and not (sys.stdin.isatty() and Confirm.ask("Send them?", console=out)):
                out.print("Not sent (confirm with --yes).")
                return 1
            run = await bulk.start(flt, args.template, user, found["count"])
            out.print(f"Run {run.id} started. If it stops, resume it with: switchboard sms send-bulk --resume {run.id}")
        await service.start(supervisor.spawn)
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=out) as bar:
            queuing = bar.add_task("Queued", total=run.total)
            await bulk.queue_all(run.id, progress=lambda done, total: bar.update(queuing, completed=done, total=total))
            report = await bulk.progress(run.id)
            bar.update(queuing, completed=report["written"], total=report["written"])
            if not args.no_wait:
                sending = bar.add_task("Sent", total=report["written"])
                while report["status"] not in ("done", "cancelled"):
                    await asyncio.sleep(0.5)
                    report = await bulk.progress(run.id)
                    bar.update(sending, completed=report["settled"])
        counts = ", ".join(f"{n} {status}" for status, n in sorted(report["counts"].items()))
        out.print(f"Run {run.id}: {counts or 'nothing'}.")
        return 0
    finally:
        await supervisor.stop()
        await service.close()
