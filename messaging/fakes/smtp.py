"""A fake SMTP server (aiosmtpd) that keeps what it receives and refuses what it is told to."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class FakeSmtp:
    """``refuse``: recipient addresses answered ``550 5.1.1``; ``refuse_data``: the message is
    answered ``554 5.7.1`` (a content refusal). ``received``: the messages, parsed."""

    refuse: set[str] = field(default_factory=set)
    refuse_data: bool = False
    received: list[EmailMessage] = field(default_factory=list)
    port: int = 0
    _controller: Controller | None = None

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in {a.lower() for a in self.refuse}:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.refuse_data:
            return "554 5.7.1 Message rejected as spam"
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 2.0.0 Ok: queued"

    def start(self) -> int:
        if not self.port:
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                self.port = probe.getsockname()[1]
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self.port

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
