"""The ``switchboard`` command.

    switchboard serve [--host H] [--port P]          serve the API (uvicorn)
    switchboard db upgrade [--revision REV]          migrate the database (default: head)
    switchboard user create USERNAME --role ROLE --password PASS [--extension EXT] [--name NAME]
                                                     [--queues q1,q2]
    switchboard demo [--customers N] [--seed S]      load Kenyan demo data (and the demo users)
    switchboard import customers FILE.csv            import customers from CSV
    switchboard run-demo [--host H] [--port P] [--customers N] [--no-serve]
                                                     upgrade + demo data if empty + demo users + serve
    switchboard sms send-bulk --filter F --template T [--yes] | --resume ID
                                                     bulk reminders (messaging/cli.py)
    switchboard mpesa register-urls | replay [--id N]  M-Pesa C2B webhooks (payments/cli.py)
    switchboard pbx provision [--reload]             write the browser phones' PJSIP include, reload it
    switchboard ivr check|simulate|prompts ...       the customers' phone menu (agent_ui/cli_ivr.py)

Settings come from ``SWITCHBOARD_*`` environment variables (see config/settings.py).

Exit codes: 0 success; 1 ``import customers`` reported bad rows (the good rows were imported);
2 nothing was done: bad input, bad configuration, the database is unreachable or not migrated.
Errors print one clear line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from agent_ui import cli_ivr, pbx_cli
from agent_ui.cli_progress import StepProgress, bar_on
from config.lists import load_lists
from config.settings import Settings
from domain.errors import ConfigError, StoreUnavailable, SwitchboardError
from messaging import cli as messaging_cli
from payments import cli as mpesa_cli
from store.db import Database, make_engine
from store.importer import import_customers_csv
from store.migrate import current_revision, head_revision, upgrade
from store.repositories.users import UserRepository
from store.seed.demo import DemoLogin, ensure_demo_users, is_empty, load_demo

EXIT_OK, EXIT_BAD_ROWS, EXIT_ERROR = 0, 1, 2
T = TypeVar("T")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="switchboard", description="Switchboard contact-centre engine")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser("serve", help="serve the API and the agent desktop")
    _host_port(serve)

    db = commands.add_parser("db", help="database schema")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_commands.add_parser("upgrade", help="apply the migrations")
    up.add_argument("--revision", default="head")

    user = commands.add_parser("user", help="users")
    user_commands = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    create = user_commands.add_parser("create", help="create a user")
    create.add_argument("username")
    create.add_argument("--role", required=True, help="agent, supervisor or admin")
    create.add_argument("--password", required=True)
    create.add_argument("--extension", help="the phone device, e.g. PJSIP/1001")
    create.add_argument("--name", help="display name")
    create.add_argument("--queues", default="", help="comma-separated queues, e.g. collections,sales")

    demo = commands.add_parser("demo", help="load Kenyan demo data")
    demo.add_argument("--customers", type=int, default=200)
    demo.add_argument("--seed", type=int, default=254)

    imp = commands.add_parser("import", help="import data")
    imp_commands = imp.add_subparsers(dest="import_command", required=True, metavar="WHAT")
    customers = imp_commands.add_parser("customers", help="import customers from a CSV file")
    customers.add_argument("file", type=Path)

    run_demo = commands.add_parser("run-demo", help="upgrade, load demo data if empty, demo users, serve")
    _host_port(run_demo)
    run_demo.add_argument("--customers", type=int, default=200)
    run_demo.add_argument("--no-serve", action="store_true", help="prepare only, do not serve")
    messaging_cli.add_parser(commands)  # switchboard sms send-bulk (messaging/cli.py)
    mpesa_cli.add_parser(commands)
    pbx_cli.add_parser(commands)  # issue 20
    cli_ivr.add_parsers(commands)  # switchboard ivr check|simulate|prompts
    return parser


def _host_port(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="default: SWITCHBOARD_HOST or 127.0.0.1")
    parser.add_argument("--port", type=int, help="default: SWITCHBOARD_PORT or 8000")


async def _with_database(settings: Settings, action: Callable[[Database], Awaitable[T]]) -> T:
    """Run ``action`` on a migrated database; StoreUnavailable says how to migrate if it is not."""
    current = await current_revision(settings.database_url)
    if current != head_revision():
        raise StoreUnavailable(
            f"the database is not migrated (at {current or 'nothing'}, need {head_revision()}): "
            "run `switchboard db upgrade`", {"database_url": settings.database_url})
    database = Database(make_engine(settings.database_url))
    try:
        return await action(database)
    finally:
        await database.dispose()


def _print_logins(logins: Sequence[DemoLogin]) -> None:
    table = Table(title="Demo logins")
    for column in ("username", "password", "role", "extension", ""):
        table.add_column(column)
    for login in logins:
        note = "new" if login.created else "existing (unless its password was changed)"
        table.add_row(login.username, login.password, login.role, login.extension or "-", note)
    out.print(table)


async def _demo(settings: Settings, database: Database, customers: int, seed: int) -> None:
    with StepProgress(err, "Demo customers", customers) as bar:
        report = await load_demo(database, customers, seed=seed, region=settings.default_region,
                                 timezone=settings.timezone, currency=settings.currency,
                                 progress=lambda done, _total: bar.update(done))
    out.print(f"Loaded {report.customers} customers, {report.loans} loans, {report.transactions} "
              f"statement entries, {report.interactions} notes, {report.promises} promises, "
              f"{report.tasks} tasks.")


def cmd_db_upgrade(settings: Settings, args: argparse.Namespace) -> int:
    revision = upgrade(settings.database_url, args.revision)
    out.print(f"Database at revision {revision} ({_safe_url(settings.database_url)})")
    return EXIT_OK


def cmd_user_create(settings: Settings, args: argparse.Namespace) -> int:
    async def create(database: Database) -> str:
        async with database.session() as session:
            user = await UserRepository(session).create(
                args.username, args.password, args.role, args.name, args.extension,
                [q.strip() for q in args.queues.split(",") if q.strip()])
            return f"Created {user.role.value} {user.username!r}" + (
                f" on {user.extension}" if user.extension else "")

    out.print(asyncio.run(_with_database(settings, create)))
    return EXIT_OK


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    async def run(database: Database) -> list[DemoLogin]:
        logins = await ensure_demo_users(database)
        await _demo(settings, database, args.customers, args.seed)
        return logins

    _print_logins(asyncio.run(_with_database(settings, run)))
    return EXIT_OK


def cmd_import_customers(settings: Settings, args: argparse.Namespace) -> int:
    async def run(database: Database) -> Any:
        with bar_on(err) as bar:
            task = bar.add_task(f"Importing {args.file.name}", total=None)
            return await import_customers_csv(
                database, args.file, settings.default_region, settings.timezone,
                progress=lambda done, total: bar.update(task, completed=done, total=total))

    report = asyncio.run(_with_database(settings, run))
    if report.ignored_columns:
        out.print(f"Ignored columns: {', '.join(report.ignored_columns)}")
    for bad in report.bad_rows:
        out.print(bad.describe(), markup=False)
    out.print(f"Imported {report.imported} of {report.rows} rows; {len(report.bad_rows)} bad, "
              f"{report.blank} blank.")
    return EXIT_OK if report.ok else EXIT_BAD_ROWS


def cmd_run_demo(settings: Settings, args: argparse.Namespace) -> int:
    err.print("Setting up: migrating the database …")
    upgrade(settings.database_url)

    async def prepare(database: Database) -> list[DemoLogin]:
        err.print("Setting up: the demo users …")
        logins = await ensure_demo_users(database)
        if await is_empty(database):
            await _demo(settings, database, args.customers, 254)
        else:
            out.print("The database has customers: demo data not loaded again.")
        return logins

    _print_logins(asyncio.run(_with_database(settings, prepare)))
    if args.no_serve:
        return EXIT_OK
    return cmd_serve(settings, args)


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    from agent_ui.app import create_app
    from agent_ui.serving import serve
    from runtime.logging import logging_config

    host, port = args.host or settings.host, args.port if args.port is not None else settings.port
    load_lists(settings.config_dir)  # a bad list file: one clear line now, not a failed startup
    asyncio.run(_with_database(settings, _nothing))  # reachable and migrated
    app = create_app(settings, tune_gc=settings.gc_tuning)
    out.print(f"Serving on http://{host}:{port} (API docs at /docs)")
    serve(app, host, port, log_config=logging_config(settings.log_format, settings.log_level, settings.worker_id))
    return EXIT_OK


async def _nothing(_database: Database) -> None:
    return None


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


COMMANDS: dict[tuple[str, ...], Callable[[Settings, argparse.Namespace], int]] = {
    ("serve",): cmd_serve,
    ("db", "upgrade"): cmd_db_upgrade,
    ("user", "create"): cmd_user_create,
    ("demo",): cmd_demo,
    ("import", "customers"): cmd_import_customers,
    ("run-demo",): cmd_run_demo,
    ("sms", "send-bulk"): lambda settings, args: asyncio.run(_with_database(
        settings, lambda database: messaging_cli.run(settings, database, args))),
    ("mpesa", "register-urls"): mpesa_cli.cmd_register_urls,
    ("mpesa", "replay"): lambda settings, args: mpesa_cli.cmd_replay(settings, args, _with_database),
    ("pbx", "provision"): lambda settings, args: pbx_cli.cmd_pbx_provision(settings, args, _with_database, out),
    **cli_ivr.COMMANDS,
}


def _key(args: argparse.Namespace) -> tuple[str, ...]:
    sub = getattr(args, "db_command", None) or getattr(args, "user_command", None) or getattr(
        args, "import_command", None) or getattr(args, "sms_command", None) or getattr(args, "mpesa_command", None) \
        or getattr(args, "pbx_command", None) or getattr(args, "ivr_command", None)
    return (args.command, sub) if sub else (args.command,)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:
        problems = "; ".join(f"SWITCHBOARD_{'__'.join(str(p) for p in e['loc']).upper()}: {e['msg']}"
                             for e in exc.errors())
        err.print(f"configuration error: {problems}", markup=False)
        return EXIT_ERROR
    try:
        return COMMANDS[_key(args)](settings, args)
    except ConfigError as exc:
        err.print(f"configuration error: {exc.message}", markup=False)
    except SwitchboardError as exc:
        details = "; ".join(f"{k}: {v}" for k, v in exc.details.items()
                            if k not in ("database_url", "reason"))
        err.print(f"error: {exc.message}" + (f" ({details})" if details else ""), markup=False)
    except KeyboardInterrupt:
        err.print("interrupted")
        return 130
    return EXIT_ERROR


if __name__ == "__main__":
    sys.exit(main())
