"""Local fake providers for tests and benches (like httpx and starlette ship theirs): an Africa's
Talking and an Infobip SMS API, and an SMTP server. They speak the documented request and answer
shapes; the product talks to them through its real clients, pointed by the base-URL settings.
Loopback only.

    python -m messaging.fakes --kind africastalking --port 9101 --latency 0.05
"""

from messaging.fakes.sms import FakeSms, Mode
from messaging.fakes.smtp import FakeSmtp

__all__ = ["FakeSms", "FakeSmtp", "Mode"]
