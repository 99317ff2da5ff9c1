"""Encode events to JSON-safe dicts and back, for buses that cross processes."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import date, datetime
from typing import Any

from domain.errors import ProtocolViolation
from domain.events.base import EVENT_TYPES, Event


def _encode(value: Any) -> Any:
    if isinstance(value, date):  # datetimes too
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_encode(v) for v in list(value)]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def encode_event(event: Event) -> dict[str, Any]:
    """``{"type": ..., "data": {...}}`` with dates and datetimes as ISO strings and enums as values."""
    data = {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return {"type": event.type_name, "data": data}


Decoder = typing.Callable[[Any], Any]
_DECODERS: dict[str, tuple[type[Event], tuple[tuple[str, Decoder | None], ...]]] = {}


def _identity(value: Any) -> Any:
    return value


def _decoder(hint: Any) -> Decoder | None:
    """How to turn the JSON value of a field typed ``hint`` back into it (None: as it is); worked
    out once per event type, so decoding an event reads no type hints."""
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decoder(args[0]) if len(args) == 1 else None
    if origin is tuple:
        targs = typing.get_args(hint)
        inner = (_decoder(targs[0]) if targs else None) or _identity
        return lambda value: tuple(inner(v) for v in value)
    if hint is datetime:
        return datetime.fromisoformat
    if hint is date:
        return date.fromisoformat
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint
    return None


def _decoders(type_name: str) -> tuple[type[Event], tuple[tuple[str, Decoder | None], ...]]:
    found = _DECODERS.get(type_name)
    if found is None:
        cls = EVENT_TYPES[type_name]
        hints = typing.get_type_hints(cls)
        found = _DECODERS[type_name] = (cls, tuple((f.name, _decoder(hints[f.name])) for f in dataclasses.fields(cls)))
    return found


def decode_event(payload: dict[str, Any]) -> Event:
    """Inverse of :func:`encode_event`; raises ProtocolViolation on an unknown or bad payload."""
    try:
        cls, fields = _decoders(payload["type"])
        data = payload["data"]
        kwargs = {}
        for name, decode in fields:
            if name in data:
                value = data[name]
                kwargs[name] = value if decode is None or value is None else decode(value)
        return cls(**kwargs)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolViolation(f"undecodable event: {exc}") from exc
