"""Prometheus metrics of one app, on the app's own registry (never the process-global one).

``build_services`` makes one :class:`Metrics` per app (tests build several apps in one process,
each counts its own). Counters and histograms are updated where things happen (the HTTP
middleware, the pop, the dialer); the gauges that describe a state (bus lag per group, the AMI
links, the outbox depth) are read by *samplers*, async functions that components register and
:meth:`Metrics.render` awaits before each scrape, so nothing polls between scrapes.

``GET /metrics`` (``agent_ui.routes.metrics``) serves :meth:`render`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    generate_latest,
)

log = logging.getLogger(__name__)

CONTENT_TYPE = CONTENT_TYPE_LATEST
Sampler = Callable[[], Awaitable[None]]
FAST = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        ProcessCollector(registry=registry)  # process_cpu_seconds_total, process_resident_memory_bytes, ...
        self.http_latency = Histogram(
            "switchboard_http_request_duration_seconds", "HTTP request time by method, route template and status",
            ["method", "route", "status"], registry=registry, buckets=FAST)
        self.pops = Counter("switchboard_pops", "Screen pops sent to a ringing agent (matched: a customer found)",
                            ["matched"], registry=registry)
        self.pop_latency = Histogram(
            "switchboard_pop_latency_seconds",
            "From the ring reaching the pop to the call.ringing frame in the agent's stream (lookup, grants, send)",
            registry=registry, buckets=FAST)
        self.bus_lag = Gauge("switchboard_bus_lag_events",
                             "Events published that a bus group has not done yet (in process: queued; Redis: "
                             "undelivered plus unacknowledged), at the scrape",
                             ["group"], registry=registry)
        self.ami_connected = Gauge("switchboard_ami_connected",
                                   "1 when this worker's AMI connection to the server is up (actions: every worker; "
                                   "events: the lease holder only)", ["server", "connection"], registry=registry)
        self.dialer_claims = Counter("switchboard_dialer_claims", "Call tasks the progressive dialer claimed for "
                                     "an agent", registry=registry)
        self.dialer_blocks = Counter("switchboard_dialer_blocks", "Dials the compliance gate blocked, by rule",
                                     ["rule"], registry=registry)
        self.outbox_depth = Gauge("switchboard_outbox_depth", "Messages queued in the messaging outbox, not yet "
                                  "handed to a provider (at the scrape)", ["channel"], registry=registry)
        for matched in ("true", "false"):
            self.pops.labels(matched=matched)
        self._samplers: dict[str, Sampler] = {}

    def add_sampler(self, name: str, sampler: Sampler) -> None:
        """Run ``sampler`` before each scrape (a later one of the same name replaces it)."""
        self._samplers[name] = sampler

    def remove_sampler(self, name: str) -> None:
        self._samplers.pop(name, None)

    async def render(self) -> bytes:
        """The exposition text; a sampler that fails leaves its gauges as they were (logged)."""
        for name, sampler in list(self._samplers.items()):
            try:
                await sampler()
            except Exception:
                log.exception("metrics: the %s sampler failed", name)
        return generate_latest(self.registry)
