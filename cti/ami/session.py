"""Sans-I/O AMI connection state (like h11): bytes and the time in, messages and decisions out.

The I/O shell owns the socket and the clock. It calls:

- :meth:`AmiSession.connection_made` and writes the Login bytes it returns;
- :meth:`AmiSession.receive_data` with every read: it returns unsolicited events (for the
  normaliser) and :class:`ActionResult` for finished actions (``EventList`` lists such as
  CoreShowChannels/QueueStatus are collected until their ``...Complete`` event);
- :meth:`AmiSession.send_action` to get an action's bytes (it is then pending by ActionID);
- :meth:`AmiSession.ping_due` / :meth:`AmiSession.make_ping` and :meth:`AmiSession.is_dead` on a
  timer (:meth:`AmiSession.next_deadline` says when): dead = no bytes for ``dead_after`` seconds,
  or a Ping unanswered for ``dead_after``;
- :meth:`AmiSession.connection_lost` when the socket closes: it returns the pending actions so the
  shell FAILS them. Nothing is ever re-sent; an Originate pending then has an UNKNOWN outcome.
"""

from __future__ import annotations

import enum
import itertools
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from cti.ami.framing import DEFAULT_MAX_MESSAGE_BYTES, AmiMessage, AmiParser, encode_action
from domain.errors import CarrierUnavailable

log = logging.getLogger(__name__)

#: Actions whose effect is outside Asterisk's memory: if the connection drops before the response,
#: whether they happened is unknown (never re-send them).
UNSAFE_ACTIONS = frozenset({"originate", "redirect", "hangup", "queueadd", "queueremove", "queuepause"})


class SessionState(enum.StrEnum):
    IDLE = "idle"
    LOGGING_IN = "logging_in"
    LOGGED_IN = "logged_in"
    LOGIN_FAILED = "login_failed"
    CLOSED = "closed"


@dataclass
class PendingAction:
    action_id: str
    name: str
    sent_at: float
    response: AmiMessage | None = None
    items: list[AmiMessage] = field(default_factory=list)

    @property
    def outcome_unknown(self) -> bool:
        """True if the action may have taken effect (e.g. an Originate): reconcile, never re-send."""
        return self.name.lower() in UNSAFE_ACTIONS


@dataclass(frozen=True)
class ActionResult:
    """A finished action: its response and, for list actions, the items between start and Complete."""

    action_id: str
    name: str
    response: AmiMessage
    items: tuple[AmiMessage, ...] = ()
    complete: AmiMessage | None = None

    @property
    def success(self) -> bool:
        return self.response.response in ("Success", "Follows", "Goodbye")

    @property
    def message(self) -> str:
        return self.response.get("Message", "")


class AmiSession:
    def __init__(
        self,
        username: str,
        secret: str,
        *,
        ping_interval: float = 5.0,
        dead_after: float = 15.0,
        id_prefix: str = "sb",
        events: str = "on",
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
    ) -> None:
        self.username, self._secret, self._events = username, secret, events
        self.ping_interval, self.dead_after = ping_interval, dead_after
        self.parser = AmiParser(max_message_bytes=max_message_bytes)
        self.state = SessionState.IDLE
        self.pending: dict[str, PendingAction] = {}
        self.login_message: str | None = None
        self.malformed_count = 0
        self._ids = itertools.count(1)
        self._prefix = id_prefix
        self._login_id: str | None = None
        self._last_rx = 0.0
        self._last_ping = 0.0
        self._ping_id: str | None = None

    # -- connection lifecycle -------------------------------------------------------------------
    def connection_made(self, now: float) -> bytes:
        """A fresh connection: reset and return the Login action to write."""
        self.parser = AmiParser(max_message_bytes=self.parser.max_message_bytes)
        self.pending.clear()
        self._ping_id = None
        self._last_rx = self._last_ping = now
        self.state = SessionState.LOGGING_IN
        fields = {"Username": self.username, "Secret": self._secret, "Events": self._events}
        self._login_id, data = self._register("Login", fields, now)
        return data

    def connection_lost(self) -> list[PendingAction]:
        """The connection is gone: return (and forget) every pending action. Never re-send them."""
        lost = [p for p in self.pending.values() if p.action_id != self._ping_id]
        self.pending.clear()
        self._ping_id = None
        self.state = SessionState.CLOSED
        return lost

    # -- sending --------------------------------------------------------------------------------
    def next_action_id(self) -> str:
        return f"{self._prefix}-{next(self._ids)}"

    def send_action(
        self,
        name: str,
        fields: Mapping[str, str] | Iterable[tuple[str, str]],
        now: float,
        *,
        action_id: str | None = None,
    ) -> tuple[str, bytes]:
        """Register an action as pending and return (ActionID, bytes to write).

        Raises CarrierUnavailable when not logged in (nothing was sent), ProtocolViolation for
        CR/LF in a value.
        """
        if self.state is not SessionState.LOGGED_IN:
            raise CarrierUnavailable(f"AMI session is {self.state}, action {name} not sent")
        return self._register(name, fields, now, action_id)

    def _register(
        self,
        name: str,
        fields: Mapping[str, str] | Iterable[tuple[str, str]],
        now: float,
        action_id: str | None = None,
    ) -> tuple[str, bytes]:
        action_id = action_id or self.next_action_id()
        if action_id in self.pending:
            raise ValueError(f"ActionID {action_id!r} is already pending")
        data = encode_action(name, fields, action_id)  # raises before anything is pending
        self.pending[action_id] = PendingAction(action_id, name, now)
        return action_id, data

    # -- liveness -------------------------------------------------------------------------------
    def ping_due(self, now: float) -> bool:
        return (
            self.state is SessionState.LOGGED_IN
            and self._ping_id is None
            and now - self._last_ping >= self.ping_interval
        )

    def make_ping(self, now: float) -> bytes:
        self._ping_id, data = self._register("Ping", {}, now)
        self._last_ping = now
        return data

    def is_dead(self, now: float) -> bool:
        """No bytes for ``dead_after`` s, or our Ping unanswered that long: declare the link dead."""
        if self.state in (SessionState.IDLE, SessionState.CLOSED):
            return False
        if now - self._last_rx >= self.dead_after:
            return True
        return self._ping_id is not None and now - self._last_ping >= self.dead_after

    def next_deadline(self, now: float) -> float:
        """Seconds until the shell should next call ping_due/is_dead (never negative)."""
        times = [self._last_rx + self.dead_after]
        if self._ping_id is None:
            times.append(self._last_ping + self.ping_interval)
        else:
            times.append(self._last_ping + self.dead_after)
        return max(0.0, min(times) - now)

    # -- receiving ------------------------------------------------------------------------------
    def receive_data(self, data: bytes, now: float) -> list[AmiMessage | ActionResult]:
        """Feed bytes; return unsolicited events and finished actions, in stream order."""
        if data:
            self._last_rx = now
        out: list[AmiMessage | ActionResult] = []
        for msg in self.parser.feed(data):
            if msg.banner is not None:
                continue
            if msg.event is not None and not msg.may_have("ActionID"):
                out.append(msg)  # fast path: an unsolicited event, left unparsed for the normaliser
                continue
            if msg.malformed is not None and not msg.fields:
                self.malformed_count += 1
                log.warning("AMI malformed message rejected: %s", msg.malformed)
                continue
            result = self._route(msg)
            if result is not None:
                out.append(result)
        return out

    def _route(self, msg: AmiMessage) -> AmiMessage | ActionResult | None:
        h = msg.headers
        action_id = h.get("ActionID")
        pending = self.pending.get(action_id) if action_id is not None else None
        if pending is None:
            return msg if "Event" in h else None  # a response to nothing we sent is dropped
        if "Response" in h and pending.response is None:
            pending.response = msg
            if h.get("EventList", "").lower() == "start" and h["Response"] == "Success":
                return None  # items follow until the ...Complete event
            return self._finish(pending, None)
        if "Event" in h and pending.response is not None:
            if h.get("EventList", "").lower() == "complete":
                return self._finish(pending, msg)
            pending.items.append(msg)
            return None
        return msg if "Event" in h else None

    def _finish(self, pending: PendingAction, complete: AmiMessage | None) -> ActionResult | None:
        del self.pending[pending.action_id]
        response = pending.response
        assert response is not None
        result = ActionResult(pending.action_id, pending.name, response, tuple(pending.items), complete)
        if pending.action_id == self._ping_id:
            self._ping_id = None
            if not result.success:
                log.warning("AMI Ping answered %r", result.response.response)
            return None
        if pending.action_id == self._login_id:
            self._login_id = None
            self.login_message = result.message
            self.state = SessionState.LOGGED_IN if result.success else SessionState.LOGIN_FAILED
        return result
