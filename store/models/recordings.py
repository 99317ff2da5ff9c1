"""Call recordings (issue 20): one row per recorded call; the bytes live in the recording storage
(a local directory or S3-compatible object storage) under ``storage_key``, checked by ``sha256``."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from store.models.base import Base, IntPk, utcnow


class RecordingStatus(enum.StrEnum):
    REQUESTED = "requested"  # asked the PBX to start
    RECORDING = "recording"  # the PBX is writing it
    STORED = "stored"  # in storage, with its checksum
    FAILED = "failed"  # never started, or the file never came
    DELETED = "deleted"  # past retention: the bytes are gone, the row stays for the audit


class Recording(Base):
    __tablename__ = "recordings"
    __table_args__ = (Index("ix_recordings_status_started", "status", "started_at"),)

    id: Mapped[IntPk]
    call_id: Mapped[str] = mapped_column(String(80), index=True)
    carrier: Mapped[str] = mapped_column(String(16), default="asterisk")
    server: Mapped[str] = mapped_column(String(64), default="default")
    external_ref: Mapped[str] = mapped_column(String(128), unique=True)  # our file name, or Twilio's RecordingSid
    status: Mapped[RecordingStatus] = mapped_column(Enum(RecordingStatus, native_enum=False, length=16))
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    device: Mapped[str | None] = mapped_column(String(128))
    request_id: Mapped[str | None] = mapped_column(String(64), index=True)
    storage_key: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(64), default="audio/wav")
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None]
    duration_ms: Mapped[int | None]
    paused: Mapped[bool] = mapped_column(default=False)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    stored_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    failure: Mapped[str | None] = mapped_column(Text)
