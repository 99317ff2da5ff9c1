"""The process's log: one configuration for our code and uvicorn alike, text or JSON lines.

``logging_config(log_format, level, worker_id)`` is a :func:`logging.config.dictConfig` dict;
``switchboard serve`` hands it to uvicorn (``log_config``), which applies it once at start, so the
app's lines and uvicorn's (errors, access log) go through one handler on stderr. Each line has:

- the time (UTC), the level, the logger and the message;
- ``worker``: the worker id (``SWITCHBOARD_WORKER_ID``), so it says who holds what;
- ``call_id`` and ``agent`` where they apply: given with ``extra={...}``, or taken from the
  context the bus sets around each event's handlers (:func:`bind_event`) or a caller sets with
  :func:`log_context`;
- any other ``extra`` fields (``lease``, ``holder``, ``server``, ...).

``SWITCHBOARD_LOG_FORMAT=json`` writes one JSON object per line; the default is readable text.
Every message and traceback goes through :func:`runtime.redact.redact` first: no token, password,
PIN or full phone number reaches the log, whoever logged it.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import logging.config
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from runtime.redact import redact

Format = str  # "text" or "json"
_STANDARD = set(vars(logging.LogRecord("x", logging.INFO, "x", 0, "x", None, None))) | {
    "message", "asctime", "worker", "call_id", "agent", "taskName", "color_message"}  # uvicorn: ANSI copy


_Context = tuple[str | None, str | None]  # (call_id, agent)
_CONTEXT: contextvars.ContextVar[_Context] = contextvars.ContextVar("switchboard_log_context", default=(None, None))


@contextlib.contextmanager
def log_context(*, call_id: str | None = None, agent: str | None = None) -> Iterator[None]:
    """Lines logged inside the block (in this task) carry ``call_id`` / ``agent``."""
    current_call, current_agent = _CONTEXT.get()
    token = _CONTEXT.set((call_id or current_call, agent or current_agent))
    try:
        yield
    finally:
        _CONTEXT.reset(token)


def bind_event(event: object) -> contextvars.Token[_Context]:
    """Set the context of ``event``'s handlers: its ``call_id``, and its agent (``username`` or
    ``operator``) if it names one. Undo with :func:`unbind`."""
    call_id = getattr(event, "call_id", None)
    agent = getattr(event, "username", None) or getattr(event, "operator", None)
    return _CONTEXT.set((call_id if isinstance(call_id, str) else None,
                         agent if isinstance(agent, str) else None))


def unbind(token: contextvars.Token[_Context]) -> None:
    _CONTEXT.reset(token)


class ContextFilter(logging.Filter):
    """Adds ``worker``, ``call_id`` and ``agent`` to every record (an ``extra`` value wins)."""

    def __init__(self, worker: str = "-") -> None:
        super().__init__()
        self.worker = worker

    def filter(self, record: logging.LogRecord) -> bool:
        record.worker = self.worker
        call_id, agent = _CONTEXT.get()
        if getattr(record, "call_id", None) is None:
            record.call_id = call_id
        if getattr(record, "agent", None) is None:
            record.agent = agent
        return True


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return redact(str(value))


class _Base(logging.Formatter):
    def _exception(self, record: logging.LogRecord) -> str | None:
        if record.exc_info:
            return redact(self.formatException(record.exc_info))
        if record.exc_text:
            return redact(record.exc_text)
        return None


class JsonFormatter(_Base):
    """One JSON object per line: ts, level, logger, worker, msg, call_id, agent, extras, exc."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "worker": getattr(record, "worker", None),
            "msg": redact(record.getMessage()),
        }
        for key in ("call_id", "agent"):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = _clean(value)
        for key, value in _extras(record).items():
            line.setdefault(key, _clean(value))
        exc = self._exception(record)
        if exc:
            line["exc"] = exc
        return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


class TextFormatter(_Base):
    """``2026-12-06 10:00:00.123 INFO  [w-a1b2] bus.lease: lease ... acquired by ... call_id=...``"""

    def format(self, record: logging.LogRecord) -> str:
        when = datetime.fromtimestamp(record.created, UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]
        fields = [f"{key}={_clean(getattr(record, key))}" for key in ("call_id", "agent")
                  if getattr(record, key, None) is not None]
        text = (f"{when} {record.levelname:<5} [{getattr(record, 'worker', '-')}] {record.name}: "
                f"{redact(record.getMessage())}")
        if fields:
            text += "  " + " ".join(fields)
        exc = self._exception(record)
        return f"{text}\n{exc}" if exc else text


def logging_config(log_format: Format = "text", level: str = "INFO", worker_id: str = "-") -> dict[str, Any]:
    """The :func:`logging.config.dictConfig` of a process (also uvicorn's ``log_config``)."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    quiet: dict[str, Any] = {"level": level, "handlers": [], "propagate": True}
    chatty: dict[str, Any] = {"level": "DEBUG" if level == "DEBUG" else "WARNING", "handlers": [], "propagate": True}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"context": {"()": ContextFilter, "worker": worker_id}},
        "formatters": {"switchboard": {"()": formatter}},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "filters": ["context"], "formatter": "switchboard"}},
        "root": {"level": level, "handlers": ["stderr"]},
        # uvicorn's loggers write through ours (their own handlers would bypass the redaction)
        "loggers": {"uvicorn": dict(quiet), "uvicorn.error": dict(quiet), "uvicorn.access": dict(quiet),
                    "uvicorn.asgi": dict(quiet),
                    # a line per scheduled job run (every second) and per outgoing request: not INFO
                    "apscheduler": dict(chatty), "httpx": dict(chatty)},
    }


def configure_logging(log_format: Format = "text", level: str = "INFO", worker_id: str = "-") -> dict[str, Any]:
    """Apply :func:`logging_config` to this process and return it (for uvicorn's ``log_config``)."""
    config = logging_config(log_format, level, worker_id)
    logging.config.dictConfig(config)
    return config
