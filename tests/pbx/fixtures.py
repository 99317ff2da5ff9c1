"""pytest plugin for the loopback test PBX. Register with
``pytest_plugins = ["tests.pbx.fixtures"]``.

Fixtures:
  pbx         session: a running Asterisk 22 (chroot root built on first use, ~1 min).
              Skips only when not root or SWITCHBOARD_SKIP_PBX=1; any build/start
              failure is a test error (never a skip), in CI and locally.
  pbx_clean   function: the same Pbx, with channels hung up and dynamic queue
              members removed before and after the test.
  phones      function: factory for sipp phones that are all stopped at teardown:
              phones.agent(1001), phones.customer_call(...), phones.customer_uas(...).
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator

import pytest

from tests.pbx import harness
from tests.pbx.harness import Pbx, PbxError, SippPhone


def _skip_reason() -> str | None:
    if os.environ.get("SWITCHBOARD_SKIP_PBX") == "1":
        return "SWITCHBOARD_SKIP_PBX=1"
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "the test PBX needs root (chroot + debootstrap)"
    return None


LOCK_PATH = "/run/switchboard-pbx.lock"


@pytest.fixture(scope="session")
def pbx() -> Iterator[Pbx]:
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    # One Asterisk serves the machine: test sessions of other checkouts wait for this one's turn.
    lock = open(LOCK_PATH, "w")  # noqa: SIM115 - held for the whole session
    fcntl.flock(lock, fcntl.LOCK_EX)
    handle = Pbx()
    was_running = handle.is_running()  # e.g. a developer's `make pbx`: leave it up after
    try:
        handle.start()
    except PbxError as exc:
        ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
        pytest.fail(f"test PBX failed to build/start{' in CI' if ci else ''}:\n{exc}", pytrace=False)
    try:
        yield handle
    finally:
        if not was_running:
            handle.stop()
        lock.close()


@pytest.fixture
def pbx_clean(pbx: Pbx) -> Iterator[Pbx]:
    pbx.reset()
    yield pbx
    pbx.reset()


class Phones:
    """Starts sipp phones and remembers them so teardown stops every one."""

    def __init__(self) -> None:
        self.started: list[SippPhone] = []

    def _keep(self, phone: SippPhone) -> SippPhone:
        self.started.append(phone)
        return phone

    def agent(self, ext: int = 1001, scenario: str = "uas_answer", **kw) -> SippPhone:
        return self._keep(harness.agent_phone(ext, scenario, **kw))

    def customer_call(self, caller: str = "0712345678", did: str = harness.DID_DIRECT, **kw) -> SippPhone:
        return self._keep(harness.customer_call(caller, did, **kw))

    def customer_uas(self, scenario: str = "uas_answer_hangup", **kw) -> SippPhone:
        return self._keep(harness.customer_phone_uas(scenario, **kw))

    def stop_all(self) -> None:
        for phone in reversed(self.started):
            phone.cleanup()  # a failed check() already put the sipp logs in the test report
        self.started.clear()


@pytest.fixture
def phones() -> Iterator[Phones]:
    factory = Phones()
    try:
        yield factory
    finally:
        factory.stop_all()
