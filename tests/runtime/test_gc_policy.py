"""The served process's collector: startup objects frozen, the young threshold raised (run in a
child interpreter, so the test process keeps its own collector as it is)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

CHILD = """
import gc, json
from agent_ui.app import create_app            # the imports a served process holds
from config.settings import Settings
from agent_ui.gc_policy import tune_after_startup
create_app(Settings(database_url="sqlite+aiosqlite:///:memory:"))
before = len(gc.get_objects())
done = tune_after_startup(25_000)
print(json.dumps({"tracked_before": before, "frozen": done.frozen, "thresholds": done.thresholds,
                  "left_tracked": len(gc.get_objects())}))
"""


def run_child() -> dict[str, object]:
    out = subprocess.run([sys.executable, "-c", CHILD], cwd=REPO, capture_output=True, text=True, timeout=120,
                         check=True)
    result: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_startup_objects_are_frozen_and_no_longer_walked_by_a_full_collection() -> None:
    got = run_child()
    tracked, frozen, left = got["tracked_before"], got["frozen"], got["left_tracked"]
    assert isinstance(tracked, int) and isinstance(frozen, int) and isinstance(left, int)
    assert frozen > 50_000  # the app's imports: FastAPI, SQLAlchemy, pydantic, twilio, phonenumbers ...
    assert frozen >= 0.9 * tracked
    assert left < tracked / 10  # what a full collection still walks
    assert got["thresholds"] == [25_000, 10, 10]
