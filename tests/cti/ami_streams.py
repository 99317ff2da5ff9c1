"""Recorded AMI streams for the cti tests: our committed fixtures and the team's shared examples."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ami"
SHARED = Path(__file__).parents[3] / "shared" / "ami-examples"

INBOUND = "shared-inbound-queue-call.ami"
ORIGINATE = "shared-originate-click-to-call.ami"


def fixture_bytes(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def shared_bytes(name: str) -> bytes:
    path = SHARED / name
    if not path.exists():
        pytest.skip(f"{path} not present")
    return path.read_bytes()


def all_fixture_names() -> list[str]:
    return sorted(p.name for p in FIXTURES.glob("*.ami"))
