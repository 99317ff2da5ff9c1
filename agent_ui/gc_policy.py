"""The garbage collector of a server process: tuned for pause times, not for memory.

CPython's full (generation 2) collection walks every tracked object. A served app holds about
190,000 of them from imports and startup (FastAPI, SQLAlchemy, pydantic, phonenumbers, twilio ...)
plus about 200 per open WebSocket; with 1,000 agents connected one full collection stopped the event
loop for 120-270 ms (bench/pop_latency.py), often enough to decide the pop's p99. So, once the app
has started:

* everything alive is collected once and then frozen (``gc.freeze``): the startup objects live
  as long as the process, and a full collection no longer walks them;
* the young generation's threshold is raised (700 -> ``gen0_threshold`` allocations), so objects
  that live a few milliseconds (one ring's work) die before a young collection sees them and
  fewer of them are promoted towards generation 2, which makes full collections rarer.

Reference counting frees almost everything as before; only reference cycles wait for a collection.
Set ``SWITCHBOARD_GC_TUNING=false`` to keep the interpreter's defaults.
"""

from __future__ import annotations

import gc
import logging
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class GcTuning:
    frozen: int
    thresholds: tuple[int, int, int]


def tune_after_startup(gen0_threshold: int = 10_000) -> GcTuning:
    """Collect, freeze what survived, raise the young threshold; returns what was done."""
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(max(gen0_threshold, 1), gen1, gen2)
    done = GcTuning(frozen=gc.get_freeze_count(), thresholds=gc.get_threshold())
    log.info("gc: %d startup objects frozen; thresholds %s", done.frozen, done.thresholds)
    return done
