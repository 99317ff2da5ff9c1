"""The payments part of a process, built from the settings: C2B, payment requests and their
settlement, and the two loops it runs under the task supervisor (the late-callback sweep, and
hashing new customer numbers for Daraja's hashed MSISDNs)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from bus.base import Outbox
from config.settings import Settings
from domain.compliance import Pack
from domain.events import utcnow
from payments.batch_c2b import BatchC2B
from payments.c2b import C2BService, Publish
from payments.client import DarajaClient
from payments.fast_c2b import FastC2B
from payments.matching import refresh_hashes
from payments.notify import Notifier
from payments.requests import PaymentRequests
from payments.settle import Settlement
from store.db import Database

log = logging.getLogger(__name__)
HASH_EVERY_SECONDS = 600.0


@dataclass
class PaymentsHub:
    settings: Settings
    c2b: C2BService
    requests: PaymentRequests
    settlement: Settlement
    client: DarajaClient | None

    def status(self) -> dict[str, Any]:
        mpesa = self.settings.mpesa
        return {"c2b": mpesa.c2b_ready, "requests": mpesa.stk_ready and self.client is not None,
                "missing": sorted(set(mpesa.missing_for_c2b()) | set(mpesa.missing_for_stk())),
                "currency": self.settings.currency, "max_requests_per_day": mpesa.max_requests_per_day}

    async def sweep_forever(self) -> None:
        """The late-callback sweep (under the supervisor, which logs and restarts it on failure)."""
        while True:
            await asyncio.sleep(self.settings.mpesa.sweep_seconds)
            await self.settlement.sweep()

    async def hash_forever(self, every: float = HASH_EVERY_SECONDS) -> None:
        while True:
            await self.hash_phones()
            await asyncio.sleep(every)

    async def hash_phones(self, rounds: int = 1000) -> int:
        done = 0
        for _ in range(rounds):
            async with self.c2b.database.session() as session:
                added = await refresh_hashes(session)
            done += added
            if not added:
                break
        return done

    async def aclose(self) -> None:
        if self.client is not None:
            await self.client.aclose()
        if self.c2b.fast is not None:
            await self.c2b.fast.aclose()


def build_payments(settings: Settings, database: Database, outbox: Outbox | None,
                   publish: Publish, pack: Pack, *,
                   clock: Callable[[], datetime] = utcnow,
                   transport: httpx.AsyncBaseTransport | None = None) -> PaymentsHub:
    """Everything wired; the Daraja client only when payment requests are configured."""
    mpesa = settings.mpesa
    notifier = Notifier(outbox)
    client = DarajaClient(mpesa, clock=clock, transport=transport) if mpesa.stk_ready else None
    c2b = C2BService(database, mpesa, region=settings.default_region, currency=settings.currency,
                     notifier=notifier, publish=publish, clock=clock)
    engine = database.engine
    if engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg":
        c2b.fast = FastC2B(engine, region=settings.default_region, currency=settings.currency, clock=clock)
        c2b.batch = BatchC2B(c2b.fast, currency=settings.currency, clock=clock, announce=c2b.announce_batch)
    requests = PaymentRequests(database, settings, client=client, pack=pack, notifier=notifier, clock=clock)
    settlement = Settlement(database, settings, client=client, notifier=notifier, store=c2b.store,
                            announce=c2b.announce, clock=clock)
    requests.on_checkout = settlement.apply_stored
    if not mpesa.c2b_ready:
        log.info("mpesa: off (set %s)", ", ".join(mpesa.missing_for_c2b()))
    elif not mpesa.stk_ready:
        log.info("mpesa: C2B on; payment requests off (set %s)", ", ".join(mpesa.missing_for_stk()))
    return PaymentsHub(settings, c2b, requests, settlement, client)
