"""The IVR over signed TwiML requests, on the real app (the Twilio tests' world) and the real store.

Wanjiku Kamau (+254712345678) gets what the menu needs: an ID number ending 4321, client ID
CL-100777, agent amina, and a loan of KES 40,000 with an instalment of 2,500 due on 18 December.
The IVR's clock is fixed: Monday 7 December 2026, 10:00 in Nairobi.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from agent_ui.components.ivr import ivr_parts
from store.models import Customer, Installment, Loan
from tests.twilio.helpers import PUBLIC_URL, call_sid, voice_form
from tests.twilio_app.conftest import (  # noqa: F401 - the Twilio world's fixtures
    CUSTOMER_NUMBER,
    TwilioWorld,
    fake_twilio,
    twilio_app,
)

NOW = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)  # Monday 10:00 in Nairobi
IVR_URL = f"{PUBLIC_URL}/twilio/voice?ivr=main"
ID_LAST4 = "4321"
ACCOUNT = "100777"


@dataclass
class TwilioCaller:
    """One caller on Twilio, as Twilio would drive our TwiML: Gather actions with Digits, the
    fall-through Redirect when nothing is pressed, the Redirect to the ACD, the final status."""

    world: TwilioWorld
    caller: str = CUSTOMER_NUMBER
    sid: str = field(default_factory=call_sid)
    doc: ET.Element | None = None
    said: list[str] = field(default_factory=list)

    @property
    def call_id(self) -> str:
        return f"twilio/{self.sid}"

    async def _post(self, url: str, **form: str) -> str:
        response = await self.world.twilio(url, voice_form(self.sid, status="in-progress", caller=self.caller,
                                                           **form))
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("application/xml")
        self.doc = ET.fromstring(response.text)
        self.said = [say.text or "" for say in self.doc.iter("Say")]
        return " ".join(self.said)

    async def dial(self) -> str:
        response = await self.world.twilio(IVR_URL, voice_form(self.sid, caller=self.caller))
        assert response.status_code == 200, response.text
        self.doc = ET.fromstring(response.text)
        self.said = [say.text or "" for say in self.doc.iter("Say")]
        return " ".join(self.said)

    @property
    def gather(self) -> ET.Element:
        assert self.doc is not None
        found = self.doc.find("Gather")
        assert found is not None, ET.tostring(self.doc)
        return found

    @property
    def redirect(self) -> str:
        assert self.doc is not None
        found = self.doc.find("Redirect")
        assert found is not None and found.text, ET.tostring(self.doc)
        return found.text

    async def press(self, digits: str) -> str:
        return await self._post(self.gather.attrib["action"], Digits=digits)

    async def silence(self) -> str:
        return await self._post(self.redirect)

    async def to_agents(self) -> ET.Element:
        """Follow the redirect to the ACD (``/twilio/voice?queue=...``): its answer."""
        url = self.redirect
        assert url.startswith(f"{PUBLIC_URL}/twilio/voice?queue="), url
        await self._post(url)
        assert self.doc is not None
        return self.doc

    async def hang_up(self) -> None:
        response = await self.world.twilio(f"{PUBLIC_URL}/twilio/status", voice_form(
            self.sid, status="completed", caller=self.caller, CallDuration="20"))
        assert response.status_code == 200, response.text

    async def verified(self, language: str = "1") -> None:
        await self.dial()
        await self.press(language)
        assert self.gather.attrib["numDigits"] == "4"  # the verification
        await self.press(ID_LAST4)
        assert "For your balance, press 1" in " ".join(self.said)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.fixture
async def ivr_world(twilio_app: TwilioWorld) -> TwilioWorld:  # noqa: F811
    database = twilio_app.running.services.database
    async with database.session() as session:
        await session.execute(update(Customer).where(Customer.id == twilio_app.customer_id).values(
            government_id="28764321", client_id="CL-" + ACCOUNT, assigned_agent_id=twilio_app.users["amina"].id))
        loan = await session.scalar(select(Loan).where(Loan.customer_id == twilio_app.customer_id))
        assert loan is not None
        session.add(Installment(loan_id=loan.id, number=1, due_date=date(2026, 11, 18), principal=Decimal(2500),
                                interest=Decimal(0), paid_amount=Decimal(2500)))
        session.add(Installment(loan_id=loan.id, number=2, due_date=date(2026, 12, 18), principal=Decimal(2500),
                                interest=Decimal(0)))
    ivr_parts(twilio_app.running.services).data.clock = lambda: NOW
    return twilio_app
