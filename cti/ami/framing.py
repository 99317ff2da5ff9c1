"""Sans-I/O framing of the Asterisk Manager Interface: bytes in, :class:`AmiMessage` out.

Fixes the flaws of panoramisk 1.4's protocol:

- bytes are buffered and each *complete* message is decoded on its own, so a UTF-8 character split
  across two reads stays exact; invalid UTF-8 is replaced, never raised;
- the buffer is scanned from where the last search stopped (linear in the message size);
- malformed input never raises out of :meth:`AmiParser.feed`: it yields a message whose
  ``malformed`` says why, and parsing goes on with the next message;
- a message larger than ``max_message_bytes`` is dropped and the parser resyncs on the next blank
  line.

Both ``\\r\\n`` and bare ``\\n`` line ends are accepted. :func:`encode_action` serialises actions and
refuses CR/LF inside names and values (header injection).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from typing import Final, TypeVar, overload

from domain.errors import ProtocolViolation

log = logging.getLogger(__name__)

BANNER_PREFIX: Final = b"Asterisk Call Manager/"
DEFAULT_MAX_MESSAGE_BYTES: Final = 16 * 1024 * 1024
_EXCERPT = 80
_T = TypeVar("_T")


class AmiMessage(Mapping[str, str]):
    """One AMI message (event or response): immutable, case-preserving, repeated keys kept.

    ``msg["Key"]`` and :meth:`get` return the first value of a key (exact case first, then any
    case); :meth:`getall` returns every value, in order. ``malformed`` is None for a good message
    and a short reason otherwise (a rejected block has no fields; a message with some lines
    lacking ':' keeps its good fields).

    Messages from the parser are parsed lazily: :attr:`event` reads only the first line, so a
    chatty event that nobody looks into (VarSet...) costs no header parsing.
    """

    __slots__ = ("_fields", "_first", "_lower", "_malformed", "_text", "banner")

    def __init__(
        self,
        fields: Iterable[tuple[str, str]] = (),
        *,
        malformed: str | None = None,
        banner: str | None = None,
    ) -> None:
        pairs = tuple(fields)
        first: dict[str, str] = {}
        for key, value in pairs:
            first.setdefault(key, value)
        self._text: str | None = None
        self._fields: tuple[tuple[str, str], ...] | None = pairs
        self._first: dict[str, str] | None = first
        self._malformed = malformed
        self._lower: dict[str, str] | None = None
        self.banner = banner

    @classmethod
    def from_text(cls, text: str) -> AmiMessage:
        """A message over one block of text (no blank line inside), parsed on first access."""
        msg = cls.__new__(cls)
        msg._text = text
        msg._fields = msg._first = msg._lower = msg._malformed = None
        msg.banner = None
        return msg

    def _parse(self) -> dict[str, str]:
        pairs, first, bad = _parse_lines(self._text or "")
        self._fields, self._first, self._text = tuple(pairs), first, None
        if bad:
            self._malformed = f"{bad} line(s) without ':' dropped"
        return first

    @property
    def headers(self) -> Mapping[str, str]:
        """First value of each key, exact case (the fast path for hot code)."""
        first = self._first
        return first if first is not None else self._parse()

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        if self._fields is None:
            self._parse()
        assert self._fields is not None
        return self._fields

    @property
    def malformed(self) -> str | None:
        if self._first is None:
            self._parse()
        return self._malformed

    def _fold(self, key: str) -> str | None:
        if self._lower is None:
            lower: dict[str, str] = {}
            for k, v in self.fields:
                lower.setdefault(k.lower(), v)
            self._lower = lower
        return self._lower.get(key.lower())

    def __getitem__(self, key: str) -> str:
        value = self.headers.get(key)
        if value is None:
            value = self._fold(key)
            if value is None:
                raise KeyError(key)
        return value

    @overload
    def get(self, key: str, /) -> str | None: ...
    @overload
    def get(self, key: str, default: str, /) -> str: ...
    @overload
    def get(self, key: str, default: _T, /) -> str | _T: ...

    def get(self, key: str, default: object = None, /) -> object:
        value = self.headers.get(key)
        if value is None:
            value = self._fold(key)
        return default if value is None else value

    def getall(self, key: str) -> list[str]:
        folded = key.lower()
        return [v for k, v in self.fields if k == key or k.lower() == folded]

    def __iter__(self) -> Iterator[str]:
        return iter(self.headers)

    def __len__(self) -> int:
        return len(self.headers)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (key in self.headers or self._fold(key) is not None)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, AmiMessage):
            return NotImplemented
        return (self.fields, self.malformed, self.banner) == (other.fields, other.malformed, other.banner)

    def __hash__(self) -> int:
        return hash((self.fields, self.malformed, self.banner))

    def __repr__(self) -> str:
        if self.banner is not None:
            return f"AmiMessage(banner={self.banner!r})"
        if self.malformed is not None:
            return f"AmiMessage(malformed={self.malformed!r}, fields={len(self.fields)})"
        head = self.event or self.response or "?"
        return f"AmiMessage({head!r}, fields={len(self.fields)})"

    @property
    def event(self) -> str | None:
        text = self._text
        if text is not None and text.startswith("Event: "):  # Asterisk puts Event first
            end = text.find("\n")
            name = text[7:] if end < 0 else text[7:end]
            return name[:-1] if name.endswith("\r") else name
        return self.headers.get("Event")

    @property
    def response(self) -> str | None:
        return self.headers.get("Response")

    @property
    def action_id(self) -> str | None:
        return self.headers.get("ActionID")

    def may_have(self, key: str) -> bool:
        """Cheap test without parsing: False means ``key`` is surely absent (exact case)."""
        text = self._text
        if text is None:
            return key in self.headers
        return f"\n{key}:" in text or text.startswith(f"{key}:")


def _parse_lines(text: str) -> tuple[list[tuple[str, str]], dict[str, str], int]:
    """Parse one message's lines: (pairs, first value per key, count of lines without ':')."""
    pairs: list[tuple[str, str]] = []
    first: dict[str, str] = {}
    bad = 0
    if text[-1:] == "\r":  # the block ends where its blank line starts: drop the last CR
        text = text[:-1]
    if "\r\n" in text:
        lines = text.split("\r\n")
        if text.count("\n") == len(lines) - 1:  # clean CRLF message (Asterisk's): fast path
            append = pairs.append
            for line in lines:
                key, sep, value = line.partition(": ")
                if not sep or ":" in key:
                    key, sep, value = line.partition(":")
                    if not sep or not key:
                        bad += line.strip() != ""
                        continue
                    value = value[1:] if value[:1] == " " else value
                append((key, value))
                if key not in first:
                    first[key] = value
            return pairs, first, bad
    else:
        lines = text.split("\n")
    for line in lines:
        key, sep, value = line.partition(":")
        if "\n" in value or "\n" in key:  # mixed line ends inside one message: split further
            for sub in line.split("\n"):
                k2, s2, v2 = sub.rstrip("\r").partition(":")
                if not s2 or not k2:
                    bad += sub.strip() != ""
                    continue
                v2 = v2[1:] if v2[:1] == " " else v2
                pairs.append((k2, v2))
                first.setdefault(k2, v2)
            continue
        if not sep or not key:
            bad += line.strip() != ""
            continue
        if value[:1] == " ":
            value = value[1:]
        if value[-1:] == "\r":
            value = value[:-1]
        pairs.append((key, value))
        if key not in first:
            first[key] = value
    return pairs, first, bad


def _block(text: str) -> AmiMessage | None:
    """One block between blank lines -> a lazy message, a rejection marker, or None (blank)."""
    if text[:1] in ("\r", "\n"):  # Asterisk 22 ends "No Contacts found" with LF + CRLF CRLF: the
        text = text.lstrip("\r\n")  # next message starts with a stray CRLF (pbx-contacts-resync.ami)
    eol = text.find("\n")
    head = text if eol < 0 else text[:eol]
    if head.find(":") > 0:
        return AmiMessage.from_text(text)
    if not text.strip():
        return None  # only blank space between messages
    pairs, _, bad = _parse_lines(text)  # the first line is bad: decide now
    if not pairs:
        return AmiMessage(malformed=f"no 'Key: Value' line in {text[:_EXCERPT]!r}")
    return AmiMessage(pairs, malformed=f"{bad} line(s) without ':' dropped")


class AmiParser:
    """Incremental AMI parser: ``feed(bytes) -> list[AmiMessage]``; never raises on input."""

    __slots__ = ("_banner_checked", "_buf", "_discarding", "_scan", "banner", "max_message_bytes", "scanned")

    def __init__(self, *, max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES) -> None:
        self._buf = bytearray()
        self._scan = 0  # offset in _buf where the next separator search starts
        self._banner_checked = False
        self._discarding = False
        self.banner: str | None = None
        self.max_message_bytes = max_message_bytes
        #: Bytes handed to the separator search so far (an operation count: stays ~ bytes fed).
        self.scanned = 0

    @property
    def buffered(self) -> int:
        """Bytes held waiting for the end of a message."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[AmiMessage]:
        out: list[AmiMessage] = []
        if not data:
            return out
        buf = self._buf
        buf += data
        if not self._banner_checked and not self._check_banner(out):
            return out
        pos = 0  # start of the current message in buf
        scan = self._scan
        self.scanned += len(buf) - scan
        find = buf.find
        end_buf = len(buf)
        while True:
            a = find(b"\n\r\n", scan)
            b = find(b"\n\n", scan, a + 2 if a >= 0 else end_buf)
            if b >= 0 and (a < 0 or b <= a):
                sep, nxt = b, b + 2
            elif a >= 0:
                sep, nxt = a, a + 3
            else:
                break
            if self._discarding:
                self._discarding = False
            elif sep > pos:
                if sep - pos > self.max_message_bytes:
                    out.append(self._oversize(sep - pos))
                else:
                    msg = _block(buf[pos:sep].decode("utf-8", "replace"))
                    if msg is not None:
                        out.append(msg)
            pos = scan = nxt
        # keep the unfinished tail; remember how far it was searched (a separator is <= 3 bytes)
        if pos:
            del buf[:pos]
            scan -= pos
        scan = max(scan, len(buf) - 2, 0)
        if len(buf) > self.max_message_bytes:
            if not self._discarding:
                out.append(self._oversize(len(buf)))
                self._discarding = True
            del buf[: len(buf) - 2]
            scan = 0
        self._scan = scan
        return out

    def _oversize(self, size: int) -> AmiMessage:
        log.warning("AMI message of %d+ bytes exceeds %d: dropped", size, self.max_message_bytes)
        return AmiMessage(malformed=f"message exceeds {self.max_message_bytes} bytes")

    def _check_banner(self, out: list[AmiMessage]) -> bool:
        """Consume the ``Asterisk Call Manager/x.y.z`` line; False while undecided."""
        buf = self._buf
        head = bytes(buf[: len(BANNER_PREFIX)])
        if not BANNER_PREFIX.startswith(head[: len(BANNER_PREFIX)]) or len(buf) == 0:
            self._banner_checked = True
            return True
        if len(head) < len(BANNER_PREFIX):
            return False  # could still be the banner: wait for more bytes
        eol = buf.find(b"\n")
        if eol < 0:
            if len(buf) > 1024:  # not a sane banner line
                self._banner_checked = True
                return True
            return False
        line = buf[:eol].decode("utf-8", "replace").rstrip("\r")
        del buf[: eol + 1]
        self._banner_checked = True
        self.banner = line
        out.append(AmiMessage(banner=line))
        return True


def _check_token(text: str, what: str) -> None:
    if "\r" in text or "\n" in text:
        raise ProtocolViolation(f"CR/LF in AMI action {what}: {text[:_EXCERPT]!r}", {"field": what})


def encode_action(name: str, fields: Mapping[str, str] | Iterable[tuple[str, str]], action_id: str) -> bytes:
    """Serialise ``Action: name`` with ``ActionID`` and fields; CR/LF anywhere -> ProtocolViolation.

    ``fields`` may be a mapping or pairs (repeat a key, e.g. ``Variable``, with pairs).
    """
    items = fields.items() if isinstance(fields, Mapping) else fields
    _check_token(name, "Action")
    _check_token(action_id, "ActionID")
    parts = [f"Action: {name}\r\nActionID: {action_id}\r\n"]
    for key, value in items:
        value = str(value)
        _check_token(key, "key")
        _check_token(value, key)
        if not key or ":" in key or key.strip() != key:
            raise ProtocolViolation(f"bad AMI header name {key!r}", {"field": key})
        if key.lower() in ("action", "actionid"):
            raise ProtocolViolation(f"{key} is set by encode_action", {"field": key})
        parts.append(f"{key}: {value}\r\n")
    parts.append("\r\n")
    return "".join(parts).encode("utf-8")
