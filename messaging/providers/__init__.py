"""SMS providers: Africa's Talking and Infobip over HTTP (aiohttp) against their documented HTTP APIs.

Each provider is a sans-I/O pair (build the request, interpret the answer: pure, tested without
sockets) and a thin HTTP shell that turns transport errors into a definite failure (nothing was
sent) or an ambiguous outcome (the request went out and no answer came back).
"""

from messaging.providers.base import Accepted, Ambiguous, Outcome, Refused, Skipped, SmsProvider, SmsRequest

__all__ = ["Accepted", "Ambiguous", "Outcome", "Refused", "Skipped", "SmsProvider", "SmsRequest"]
