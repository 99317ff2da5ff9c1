"""``switchboard ivr ...``: check a menu file, walk a menu in the terminal, render the prompts.

    switchboard ivr check FILE                       the menu checks (as the admin API runs them)
    switchboard ivr simulate [--file FILE] [--caller NUMBER] [--at ISO-TIME]
                                                     walk the menu: each prompt's text, then read
                                                     digits (Enter alone: no input; "q": hang up)
    switchboard ivr prompts --out DIR [--file FILE] [--recorded DIR] [--jobs N]
                                                     every prompt of every language as 8 kHz WAV

``simulate`` reads the customers from the database (``SWITCHBOARD_DATABASE_URL``) and writes
nothing: a promise or a callback is only said, never saved. It is how a menu author tries a change
before saving it.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from rich.console import Console

from config.compliance_loader import load_pack
from config.lists import load_lists
from config.lists.files import load_model
from config.lists.ivr_menu import IvrMenu
from config.settings import Settings
from domain.errors import InvalidInput, StoreUnavailable
from domain.events import Event, utcnow
from ivr.data import CallRef, StoreIvrData
from ivr.engine import IvrEngine
from ivr.instructions import BookCallback, Collect, Digits, HungUp, Input, NoInput, Request, Route, SavePromise, Step
from ivr.prompts import render_prompts
from ivr.speech import sentence
from ivr.unit import Units
from store.db import Database, make_engine
from store.migrate import current_revision, head_revision

out = Console(highlight=False, soft_wrap=True)


def add_parsers(commands: Any) -> None:
    ivr = commands.add_parser("ivr", help="the customers' phone menu")
    sub = ivr.add_subparsers(dest="ivr_command", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="check a menu file (ivr.yaml)")
    check.add_argument("file", type=Path)
    simulate = sub.add_parser("simulate", help="walk the menu in the terminal")
    simulate.add_argument("--file", type=Path, help="a menu file to try (default: the configured ivr.yaml)")
    simulate.add_argument("--caller", default="", help="the caller's number, e.g. 0712345678")
    simulate.add_argument("--at", type=datetime.fromisoformat, help="the time it is (ISO, with a zone)")
    prompts = sub.add_parser("prompts", help="render every prompt to 8 kHz WAV files")
    prompts.add_argument("--out", type=Path, required=True)
    prompts.add_argument("--file", type=Path, help="a menu file (default: the configured ivr.yaml)")
    prompts.add_argument("--recorded", type=Path, help="recorded files (<lang>/<name>.wav) that replace rendered ones")
    prompts.add_argument("--jobs", type=int, default=2)


def _menu(settings: Settings, file: Path | None) -> IvrMenu:
    return load_model(file, IvrMenu) if file is not None else load_lists(settings.config_dir).ivr


def cmd_check(settings: Settings, args: argparse.Namespace) -> int:
    menu = load_model(args.file, IvrMenu)  # ConfigError: the file, the line, the node and the field
    languages = ", ".join(lang.code for lang in menu.languages)
    out.print(f"{args.file}: menu {menu.menu!r} is valid: {len(menu.nodes)} nodes, {len(menu.prompts)} prompts "
              f"in {languages}; start {menu.start!r}, agents in {menu.queue!r}.", markup=False)
    return 0


def cmd_prompts(settings: Settings, args: argparse.Namespace) -> int:
    menu = _menu(settings, args.file)
    recorded = args.recorded or settings.ivr.recordings_dir
    report = render_prompts(menu, args.out, recorded=recorded, jobs=args.jobs,
                            progress=lambda done, total: out.print(f"  {done}/{total}", end="\r"))
    out.print(f"{report.total} files in {args.out}: {len(report.rendered)} rendered, {len(report.recorded)} "
              f"recorded, {len(report.unchanged)} unchanged.", markup=False)
    return 0


async def walk(engine: IvrEngine, data: StoreIvrData, database: Database, read: Callable[[str], str],
               say: Callable[[str], None]) -> None:
    """The simulation loop (no I/O of its own: ``read`` and ``say`` are the terminal)."""
    call = CallRef("simulate", "cli")
    units = Units(database, _nothing)
    step: Step = engine.start()
    while True:
        speech = list(step.say)
        while isinstance(step.then, Request):
            if data.dry_run and isinstance(step.then, SavePromise | BookCallback):
                say(f"[simulation: the {type(step.then).__name__} is not saved]")
            async with units.open() as unit:
                step = engine.feed(await data.answer(step.then, call, unit))
            speech += step.say
        then = step.then
        if isinstance(then, Collect):
            speech += then.speech
        if speech:
            say(sentence(speech))
        if isinstance(then, Route):
            say(f"[to agents in queue {then.queue}{f' ({then.note})' if then.note else ''}]")
            return
        if not isinstance(then, Collect):
            say("[the menu hangs up]")
            return
        finish = f", then {then.finish_on}" if then.finish_on else ""
        typed = read(f"[{then.node}: {then.min_digits}-{then.max_digits} keys{finish}; Enter: no input; q: hang up] ")
        item: Input
        if typed.strip().lower() == "q":
            item = HungUp()
        elif typed.strip() == "":
            item = NoInput()
        else:
            item = Digits(typed.strip().rstrip(then.finish_on or "\x00"))
        step = engine.feed(item)
        if isinstance(item, HungUp):
            say(f"[hung up at {engine.state.node}]")
            return


def cmd_simulate(settings: Settings, args: argparse.Namespace) -> int:
    menu = _menu(settings, args.file)
    at = args.at
    if at is not None and at.tzinfo is None:
        raise InvalidInput("--at needs a time zone, e.g. 2026-12-07T10:00+03:00", {"at": "naive"})

    async def run() -> None:
        current = await current_revision(settings.database_url)
        if current != head_revision():
            raise StoreUnavailable(f"the database is not migrated (at {current or 'nothing'}): run "
                                   "`switchboard db upgrade`", {"database_url": settings.database_url})
        database = Database(make_engine(settings.database_url))
        try:
            lists = load_lists(settings.config_dir)
            data = StoreIvrData(settings, lambda: lists, load_pack(settings.compliance_pack),
                                clock=(lambda: at) if at is not None else utcnow, dry_run=True)
            await walk(IvrEngine(menu, args.caller), data, database, input, lambda text: out.print(text, markup=False))
        finally:
            await database.dispose()

    try:
        asyncio.run(run())
    except EOFError:
        out.print("[hung up]")
    return 0


async def _nothing(_event: Event) -> None:
    return None


COMMANDS: dict[tuple[str, ...], Callable[[Settings, argparse.Namespace], int]] = {
    ("ivr", "check"): cmd_check,
    ("ivr", "simulate"): cmd_simulate,
    ("ivr", "prompts"): cmd_prompts,
}
