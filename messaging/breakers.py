"""A circuit breaker per SMS provider (purgatory), and their states for the supervisor.

A definite failure (refused, 4xx/5xx, cannot route) or an ambiguous one (timeout) counts against
the provider; ``threshold`` of them in a row open its circuit, and the sender then skips it (the
next provider takes the messages at once) until ``reset_seconds`` have passed; the next message
tries it again (half-open): a success closes the circuit, a failure opens it again. A refusal of
the recipient (an invalid number) is not the provider's failure. With Redis configured the state
is shared by every worker (purgatory's Redis store, keys under the installation's prefix).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from purgatory import AsyncCircuitBreakerFactory, AsyncInMemoryUnitOfWork, AsyncRedisUnitOfWork
from purgatory.domain.model import OpenedState

from messaging.providers.base import Accepted, Ambiguous, Outcome, Refused, Skipped


class _Failed(Exception):
    def __init__(self, outcome: Outcome) -> None:
        super().__init__(getattr(outcome, "reason", "failed"))
        self.outcome = outcome


def counts_as_failure(outcome: Outcome) -> bool:
    return isinstance(outcome, Ambiguous) or (isinstance(outcome, Refused) and outcome.elsewhere)


class ProviderBreakers:
    def __init__(self, names: list[str], *, threshold: int, reset_seconds: float, redis_url: str | None = None,
                 prefix: str = "sb:") -> None:
        self.names = list(names)
        self.threshold = threshold
        self.reset_seconds = reset_seconds
        self.prefix = prefix
        uow = AsyncRedisUnitOfWork(redis_url) if redis_url else AsyncInMemoryUnitOfWork()
        self.factory = AsyncCircuitBreakerFactory(default_threshold=threshold, default_ttl=reset_seconds, uow=uow)

    def _circuit(self, name: str) -> str:
        return f"{self.prefix}sms:{name}"

    async def start(self) -> None:
        await self.factory.initialize()

    async def call(self, name: str, send: Callable[[], Awaitable[Outcome]]) -> Outcome:
        """Run ``send`` through the provider's breaker; :class:`Skipped` when its circuit is open."""
        breaker = await self.factory.get_breaker(self._circuit(name))
        try:
            async with breaker:
                outcome = await send()
                if counts_as_failure(outcome):
                    raise _Failed(outcome)
                return outcome
        except _Failed as failed:
            return failed.outcome
        except OpenedState:
            return Skipped(name, f"{name} is switched off for now: it failed {self.threshold} times in a row")

    async def states(self) -> list[dict[str, Any]]:
        """``[{"provider", "state": closed | open | half_open, "failures", "opened_at", "retry_at"}]``."""
        out: list[dict[str, Any]] = []
        async with self.factory.uow as uow:
            for name in self.names:
                context = await uow.contexts.get(self._circuit(name))
                state = "closed" if context is None else context.state.replace("opened", "open").replace("-", "_")
                opened_at = None if context is None else context.opened_at
                retry_at = None if opened_at is None else opened_at + self.reset_seconds
                if state == "open" and retry_at is not None and time.time() >= retry_at:
                    state = "half_open"
                out.append({"provider": name, "state": state,
                            "failures": 0 if context is None else int(context.failure_count or 0),
                            "opened_at": opened_at, "retry_at": retry_at if state == "open" else None})
        return out


def succeeded(outcome: Outcome) -> bool:
    return isinstance(outcome, Accepted)
