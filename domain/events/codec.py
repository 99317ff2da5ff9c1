"""Encode events to JSON-safe dicts and back, for buses that cross processes."""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from datetime import datetime
from typing import Any

from domain.errors import ProtocolViolation
from domain.events.base import EVENT_TYPES, Event


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_encode(v) for v in list(value)]
    if isinstance(value, dict):
        return {k: _encode(v) for k, v in value.items()}
    return value


def encode_event(event: Event) -> dict[str, Any]:
    """``{"type": ..., "data": {...}}`` with datetimes as ISO strings and enums as values."""
    data = {f.name: _encode(getattr(event, f.name)) for f in dataclasses.fields(event)}
    return {"type": event.type_name, "data": data}


_HINTS: dict[str, dict[str, Any]] = {}


def _hints(cls: type[Event]) -> dict[str, Any]:
    hints = _HINTS.get(cls.type_name)
    if hints is None:
        hints = _HINTS[cls.type_name] = typing.get_type_hints(cls)
    return hints


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return _decode(args[0], value) if len(args) == 1 else value
    if origin is tuple:
        targs = typing.get_args(hint)
        inner = targs[0] if targs else Any
        return tuple(_decode(inner, v) for v in value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return hint(value)
    return value


def decode_event(payload: dict[str, Any]) -> Event:
    """Inverse of :func:`encode_event`; raises ProtocolViolation on an unknown or bad payload."""
    try:
        cls = EVENT_TYPES[payload["type"]]
        hints = _hints(cls)
        data = payload["data"]
        kwargs = {
            f.name: _decode(hints[f.name], data[f.name])
            for f in dataclasses.fields(cls)
            if f.name in data
        }
        return cls(**kwargs)
    except (KeyError, TypeError, ValueError) as exc:
        raise ProtocolViolation(f"undecodable event: {exc}") from exc
