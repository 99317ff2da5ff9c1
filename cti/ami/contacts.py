"""AMI contacts -> ``PhoneRegistrationChanged`` (pure; the normaliser's handler and the resync's).

Asterisk reports each registration of a PJSIP AOR: ``Created`` / ``Updated`` / ``Reachable`` /
``NonQualified`` while a phone is registered, ``Removed`` / ``Unreachable`` when it went away (a
closed tab unregisters within ~0.1 s; an expired registration too).

While no AMI connection listens (a lost lease, an Asterisk restart, a failover) those events are
missed, so after each login the bridge asks ``PJSIPShowContacts`` and :func:`contacts_snapshot`
turns its answer into the same events. Asterisk 22 answers (recorded in
tests/fixtures/ami/pbx-contacts-resync.ami): one ``ContactList`` item per registered contact,
``ObjectName: 2091;@<hash>`` (the AOR before ``;@``), ``Endpoint: 2091``, ``Status: NonQualified``
(no ``AOR`` field, unlike ``ContactStatus``), then ``ContactListComplete``; with no contact at all
it answers ``Response: Error`` / ``Message: No Contacts found``, which means none. Static contacts
(``contact =`` in an AOR, the sipp desk phones) are not listed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from datetime import UTC, datetime

from cti.ami.calltable import CallTable
from cti.ami.framing import AmiMessage
from domain.events import Event, PhoneRegistrationChanged, utcnow

GONE = frozenset({"Removed", "Unreachable"})
NO_CONTACTS = "no contacts found"
ABSENT = "Removed"  # a phone registered before the gap and not listed after it: as if its removal was seen


def contact_status(_table: CallTable, h: Mapping[str, str], server: str) -> list[Event]:
    aor = h.get("AOR") or h.get("EndpointName") or ""
    status = h.get("ContactStatus") or ""
    if not aor or not status or "/" in aor:
        return []
    return [PhoneRegistrationChanged(device=f"PJSIP/{aor}", registered=status not in GONE, status=status,
                                     server=server, at=_time(h))]


def no_contacts(response: AmiMessage) -> bool:
    """Whether a refused ``PJSIPShowContacts`` only means that no phone is registered."""
    return response.response == "Error" and NO_CONTACTS in response.get("Message", "").lower()


def contacts_snapshot(items: Iterable[AmiMessage], server: str, at: datetime, *,
                      known: Collection[str] = ()) -> list[PhoneRegistrationChanged]:
    """One event per AOR of a ``PJSIPShowContacts`` answer (registered unless its ``Status`` says
    it is gone), then ``registered=False`` for each device of ``known`` (the devices seen registered
    on this server before) that the answer does not list."""
    listed: dict[str, str] = {}
    for item in items:
        if item.event != "ContactList":
            continue
        aor = (item.get("ObjectName") or "").partition(";@")[0] or item.get("Endpoint") or ""
        status = item.get("Status") or "Unknown"
        if not aor or "/" in aor:
            continue
        device = f"PJSIP/{aor}"
        if listed.get(device) not in (None, *GONE) and status in GONE:
            continue  # an AOR with several contacts is registered while one of them is
        listed[device] = status
    out = [PhoneRegistrationChanged(device=device, registered=status not in GONE, status=status, server=server,
                                    at=at) for device, status in listed.items()]
    out += [PhoneRegistrationChanged(device=device, registered=False, status=ABSENT, server=server, at=at)
            for device in sorted(set(known) - set(listed))]
    return out


def _time(h: Mapping[str, str]) -> datetime:
    try:
        return datetime.fromtimestamp(float(h.get("Timestamp") or ""), UTC)
    except (ValueError, OverflowError, OSError):
        return utcnow()
