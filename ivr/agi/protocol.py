"""Sans-I/O FastAGI: bytes in, :class:`AgiEnvironment` / :class:`AgiReply` / :class:`AgiHangup` out;
commands encoded with :func:`encode_command`. The asyncio shell is :mod:`ivr.agi.server`.

Asterisk opens the connection and sends its environment (``agi_network_script: ivr``,
``agi_arg_1: main`` ... then a blank line); we send one command per line and read one reply each.
What this layer does that panoramisk 1.4's FastAGI does not:

- the script is matched on its path only (``ivr?x=1`` is ``ivr`` with query ``x=1``), and the
  arguments (``agi_arg_N``) are kept in order;
- the ``HANGUP`` line Asterisk sends when the caller hangs up (AGISIGHUP) is its own message, never
  taken for a command's reply;
- ``200 result=<digits> (timeout)`` keeps both the digits and ``(timeout)``; ``endpos=`` is parsed;
- 510/511 replies and the multi-line ``520-...`` usage reply are whole replies;
- a connection closed during the environment, a line that is too long or a line that is no reply
  is a :class:`~domain.errors.ProtocolViolation` (the shell closes that connection), never a spin.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from domain.errors import ProtocolViolation

MAX_LINE = 16 * 1024
MAX_ENVIRONMENT = 64 * 1024
_REPLY = re.compile(r"^(\d{3})(?: result=(\S*))?(.*)$")
_ENDPOS = re.compile(r"\s*endpos=(-?\d+)\s*$")
_DATA = re.compile(r"^\s*\((.*)\)\s*$", re.DOTALL)
_UNSAFE = re.compile(r"[\r\n\x00]")


@dataclass(frozen=True, slots=True)
class AgiEnvironment:
    values: dict[str, str]

    def get(self, key: str, default: str = "") -> str:
        return self.values.get(key, default)

    @property
    def script(self) -> str:
        """``agi_network_script`` without its query string (``ivr`` for ``ivr?menu=main``)."""
        return self.get("agi_network_script").split("?", 1)[0].strip("/")

    @property
    def query(self) -> dict[str, str]:
        _, _, query = self.get("agi_network_script").partition("?")
        return dict(parse_qsl(query, keep_blank_values=True))

    @property
    def args(self) -> list[str]:
        out: list[str] = []
        while f"agi_arg_{len(out) + 1}" in self.values:
            out.append(self.values[f"agi_arg_{len(out) + 1}"])
        return out

    @property
    def caller(self) -> str:
        number = self.get("agi_callerid")
        return "" if number in ("", "unknown") else number


@dataclass(frozen=True, slots=True)
class AgiReply:
    """One reply: ``code`` 200 with ``result`` (and ``data`` in parentheses, ``endpos``), or an error
    (510 unknown command, 511 dead channel, 520 usage)."""

    code: int
    result: str | None = None
    data: str | None = None
    endpos: int | None = None
    text: str = field(default="", repr=False)

    @property
    def ok(self) -> bool:
        return self.code == 200

    @property
    def number(self) -> int | None:
        try:
            return int(self.result) if self.result not in (None, "") else None
        except ValueError:
            return None

    @property
    def channel_gone(self) -> bool:
        """The channel hung up: 511, or 200 with result -1 (a playback or wait that failed)."""
        return self.code == 511 or (self.code == 200 and self.number == -1)

    @property
    def timed_out(self) -> bool:
        return self.data == "timeout"

    @property
    def digit(self) -> str | None:
        """The key pressed during STREAM FILE / SAY * / WAIT FOR DIGIT (result is its ASCII code)."""
        value = self.number
        if self.code != 200 or value is None or value <= 0:
            return None
        key = chr(value) if value < 128 else ""
        return key if key and key in "0123456789*#ABCD" else None


@dataclass(frozen=True, slots=True)
class AgiHangup:
    """Asterisk's ``HANGUP`` line: the caller hung up (a pending command's reply still follows)."""


AgiMessage = AgiEnvironment | AgiReply | AgiHangup


@dataclass(frozen=True, slots=True)
class AgiCommand:
    name: str
    args: tuple[str, ...] = ()
    timeout: float | None = None  # the shell's bound for the reply (None: its default)

    def encode(self) -> bytes:
        return encode_command(self.name, *self.args)


def _quote(arg: str) -> str:
    if arg == "" or any(ch in arg for ch in ' \t"\\'):
        return '"' + arg.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return arg


def encode_command(name: str, *args: str) -> bytes:
    """``STREAM FILE greeting "0123456789*#"`` as bytes; CR, LF or NUL anywhere is refused."""
    for part in (name, *args):
        if _UNSAFE.search(part):
            raise ProtocolViolation("an AGI command may not contain CR, LF or NUL", {"command": name})
    return (" ".join([name, *(_quote(a) for a in args)]) + "\n").encode()


def parse_reply(line: str) -> AgiReply:
    match = _REPLY.match(line)
    if match is None:
        raise ProtocolViolation("not an AGI reply", {"line": line[:80]})
    code, result, rest = int(match[1]), match[2], match[3]
    endpos = None
    if (found := _ENDPOS.search(rest)) is not None:
        endpos, rest = int(found[1]), rest[: found.start()]
    data = found_data[1] if (found_data := _DATA.match(rest)) is not None else None
    return AgiReply(code=code, result=result, data=data, endpos=endpos, text=line)


class AgiParser:
    """Feed it bytes; it returns the messages completed so far, in order."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._environment: dict[str, str] | None = {}
        self._environment_bytes = 0
        self._usage: list[str] | None = None  # lines of a 520 reply in progress

    @property
    def has_environment(self) -> bool:
        return self._environment is None

    def feed(self, data: bytes) -> list[AgiMessage]:
        self._buffer += data
        out: list[AgiMessage] = []
        while (end := self._buffer.find(b"\n")) >= 0:
            raw = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            message = self._line(raw.decode("utf-8", "replace").rstrip("\r"))
            if message is not None:
                out.append(message)
        if len(self._buffer) > MAX_LINE:
            raise ProtocolViolation("an AGI line is too long", {"bytes": len(self._buffer)})
        return out

    def _line(self, line: str) -> AgiMessage | None:
        if self._environment is not None:
            self._environment_bytes += len(line) + 1
            if self._environment_bytes > MAX_ENVIRONMENT:
                raise ProtocolViolation("the AGI environment is too large")
            if line == "":
                values, self._environment = self._environment, None
                if not values:
                    raise ProtocolViolation("an empty AGI environment")
                return AgiEnvironment(values)
            key, sep, value = line.partition(":")
            if sep and key.strip():
                self._environment[key.strip()] = value.strip()
            return None
        if self._usage is not None:
            self._usage.append(line)
            if line.startswith("520 "):
                text, self._usage = "\n".join(self._usage), None
                return AgiReply(code=520, text=text)
            return None
        if line.strip() == "":
            return None
        if line.strip() == "HANGUP":
            return AgiHangup()
        if line.startswith("520-"):
            self._usage = [line]
            return None
        return parse_reply(line)
