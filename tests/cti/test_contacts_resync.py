"""The browser phones' registrations after a gap: ``PJSIPShowContacts`` -> ``PhoneRegistrationChanged``.

The pure part over the frames recorded from the test PBX (tests/fixtures/ami/pbx-contacts-resync.ami:
a sipp REGISTER to a dynamic AOR 2091; before it Asterisk answered "No Contacts found"), and the
bridge against the fake AMI server: a phone registered while nobody listened is confirmed at the
next login, one that went away unseen is marked unregistered.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from bus.lease import MemoryLease
from cti.ami.contacts import contacts_snapshot, no_contacts
from cti.ami.framing import AmiMessage, AmiParser
from domain.events import PhoneRegistrationChanged
from tests.cti.ami_streams import fixture_bytes
from tests.cti.test_bridge import Worker, _bridge
from tests.cti.test_connection import FakeAmi, eventually, fake_ami

__all__ = ["fake_ami"]
AT = datetime(2026, 12, 6, 22, 0, tzinfo=UTC)


def _answers() -> dict[str, list[AmiMessage]]:
    """The recorded messages by ActionID (responses and list items)."""
    out: dict[str, list[AmiMessage]] = {}
    for msg in AmiParser().feed(fixture_bytes("pbx-contacts-resync.ami")):
        if msg.banner is None and msg.get("ActionID"):
            out.setdefault(msg.get("ActionID", ""), []).append(msg)
    return out


def _item(name: str, status: str = "NonQualified", endpoint: str = "") -> AmiMessage:
    return AmiMessage.from_text(f"Event: ContactList\r\nObjectName: {name}\r\nEndpoint: {endpoint}\r\nStatus: {status}")


def test_the_recorded_answers() -> None:
    answers = _answers()
    [before] = answers["before-1"]  # nothing registered yet: an Error that means "none"
    assert no_contacts(before) and before.get("Message") == "No Contacts found"
    response, *items = answers["contacts-1"]
    assert response.response == "Success" and [i.event for i in items] == ["ContactList", "ContactListComplete"]
    assert contacts_snapshot(items, "pbx1", AT) == [
        PhoneRegistrationChanged(device="PJSIP/2091", registered=True, status="NonQualified", server="pbx1", at=AT)]
    assert not no_contacts(response) and not no_contacts(AmiMessage.from_text("Response: Error\r\nMessage: Permission denied"))


def test_phones_seen_before_and_not_listed_now_went_away() -> None:
    items = [_item("2001;@aa"), _item("2002;@bb", "Unreachable"), _item("2003;@cc", "Unreachable"),
             _item("2003;@dd", "Reachable"), _item("", endpoint="2004"), _item("trunk/x;@ee")]
    events = contacts_snapshot(items, "pbx1", AT, known={"PJSIP/2001", "PJSIP/2005"})
    assert [(e.device, e.registered, e.status) for e in events] == [
        ("PJSIP/2001", True, "NonQualified"), ("PJSIP/2002", False, "Unreachable"),
        ("PJSIP/2003", True, "Reachable"),  # registered while one of its contacts is
        ("PJSIP/2004", True, "NonQualified"), ("PJSIP/2005", False, "Removed")]
    assert contacts_snapshot([], "pbx1", AT) == []


@pytest.fixture
async def worker(fake_ami: FakeAmi) -> AsyncIterator[tuple[Worker, list[PhoneRegistrationChanged]]]:
    w = _bridge(fake_ami, MemoryLease(), "w1")
    seen: list[PhoneRegistrationChanged] = []

    async def collect(ev: PhoneRegistrationChanged) -> None:
        seen.append(ev)

    w.bus.subscribe(PhoneRegistrationChanged, collect, group="test-registrations")
    await w.bus.start()
    try:
        yield w, seen
    finally:
        await w.bus.stop()
        await w.supervisor.stop()


async def test_registered_during_the_gap_then_gone_during_the_next(
        fake_ami: FakeAmi, worker: tuple[Worker, list[PhoneRegistrationChanged]]) -> None:
    w, seen = worker
    fake_ami.contacts = ["2001"]  # the phone registered before the bridge logged in
    w.bridge.start()
    await eventually(lambda: len(seen) == 1, 5, "the registration from the resync")
    assert (seen[0].device, seen[0].registered, seen[0].status, seen[0].server) == (
        "PJSIP/2001", True, "NonQualified", "pbx1")
    assert w.bridge.registered == {"PJSIP/2001"}
    fake_ami.contacts = []  # the phone went away while the link was down: "No Contacts found"
    fake_ami.kill_connections()
    await eventually(lambda: len(seen) == 2, 10, "the removal from the next resync")
    assert (seen[1].device, seen[1].registered, seen[1].status) == ("PJSIP/2001", False, "Removed")
    assert w.bridge.registered == set() and len(fake_ami.actions("PJSIPShowContacts")) == 2
