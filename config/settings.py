"""Settings: built once at start (``Settings()``) and passed into constructors.

Environment variables use the prefix ``SWITCHBOARD_`` and ``__`` for nesting, e.g.
``SWITCHBOARD_AMI__HOST`` or ``SWITCHBOARD_DIALER__DIAL_TEMPLATE``.
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from config.messaging_settings import SmsSettings, SmtpSettings
from config.mpesa_settings import MpesaSettings
from config.phone_settings import MonitorSettings, PhoneSettings, RecordingSettings

CONFIG_DIR = Path(__file__).resolve().parent
_DEV_KEY_PREFIX = "dev-insecure-"


class MetricsSettings(BaseModel):
    """``GET /metrics``: a client on this host (loopback) may scrape it without a token when
    ``loopback`` is on; any client with ``Authorization: Bearer <token>`` when a token is set."""

    token: SecretStr = SecretStr("")
    loopback: bool = True


class AmiServer(BaseModel):
    """One Asterisk server's AMI login. ``name`` prefixes its call ids."""

    name: str = "default"
    host: str
    port: int = 5038
    username: str = "switchboard"
    secret: SecretStr = SecretStr("")


class AmiSettings(BaseModel):
    host: str | None = None
    port: int = 5038
    username: str = "switchboard"
    secret: SecretStr = SecretStr("")
    name: str = "default"
    servers: list[AmiServer] = Field(default_factory=list)  # extra servers, as JSON
    ping_interval: float = 5.0
    dead_after: float = 12.0  # no bytes for this long: the connection is dead
    reconnect_max_backoff: float = 5.0
    # The event connection's lease: a holder that dies is replaced within about
    # lease_seconds + lease_renew_seconds (+ the AMI login); see bus/lease.py.
    lease_seconds: float = Field(default=2.0, gt=0)
    lease_renew_seconds: float = Field(default=0.5, gt=0)
    # The lease holder compares open calls and busy agents in the store with Asterisk this often
    # (and after every login); cheap when nothing is stale (cti/ami/reconcile.py).
    reconcile_seconds: float = Field(default=30.0, gt=0)
    queues: list[str] = Field(default_factory=lambda: ["collections", "customer_service"])

    @model_validator(mode="after")
    def _renew_well_within_the_lease(self) -> AmiSettings:
        if self.lease_renew_seconds * 2 > self.lease_seconds:
            raise ValueError("ami.lease_renew_seconds must be at most half of ami.lease_seconds")
        return self

    def all_servers(self) -> list[AmiServer]:
        main = [AmiServer(name=self.name, host=self.host, port=self.port,
                          username=self.username, secret=self.secret)] if self.host else []
        return main + list(self.servers)


class DialerSettings(BaseModel):
    enabled: bool = True  # the progressive dialer runs in this process (click-to-call works either way)
    dial_template: str = "PJSIP/{national}@trunk"
    preview_seconds: float = 5.0
    preview_mode: Literal["auto", "click"] = "auto"
    callback_grace_minutes: int = 10
    approval_minutes: int = 30
    approval_timeout_seconds: int = 300
    originate_timeout_seconds: int = 30
    tick_seconds: float = 1.0


class TwilioSettings(BaseModel):
    account_sid: str = ""
    auth_token: SecretStr = SecretStr("")
    caller_id: str = ""
    api_base: str | None = None  # tests point the REST client at a local server
    # Twilio's own default hold music (see the <Enqueue waitUrl> docs); any public MP3/WAV URL
    hold_music_url: str = "http://com.twilio.music.classical.s3.amazonaws.com/BusyStrings.mp3"
    ring_timeout: int = Field(default=20, ge=5, le=600)  # seconds an agent's device rings per offer
    autopause_on_no_answer: bool = False  # an agent who lets an offer ring out is paused ("no-answer")


class LoginSettings(BaseModel):
    """Sign-in limits (agent_ui/login_limits.py): failures per account and per client address in a
    moving window (shared through Redis when set), then a growing lock of the account."""

    window_seconds: int = Field(default=900, ge=1)
    account_failures: int = Field(default=10, ge=1)  # per username in the window, then 429
    address_failures: int = Field(default=50, ge=1)  # per client address in the window, then 429
    lock_after: int = Field(default=5, ge=1)  # consecutive failures that lock the account ...
    lock_seconds: int = Field(default=60, ge=1)  # ... for this long, doubling with each further failure
    lock_max_seconds: int = Field(default=3600, ge=1)
    hash_threads: int = Field(default=1, ge=1, le=16)  # argon2 runs on its own bounded pool
    hash_queue: int = Field(default=16, ge=1)  # sign-ins hashing or waiting to; more are answered 429
class IvrSettings(BaseModel):
    """The customers' phone menu (``ivr/``; the menu itself is config/defaults/ivr.yaml)."""

    agi_host: str = "127.0.0.1"
    agi_port: int | None = Field(default=None, ge=1, le=65535)  # set: serve FastAGI (the usual port is 4573)
    sounds: str = "switchboard"  # where Asterisk finds the rendered prompts: under its sounds dir, or absolute
    recordings_dir: Path | None = None  # recorded prompts (<lang>/<name>.wav) that Twilio's <Play> fetches
    asterisk_server: str = "default"  # the AMI server whose calls reach this FastAGI server (call ids)
    command_timeout: float = Field(default=60.0, gt=0)  # seconds a FastAGI command may take (playback too)
    header_timeout: float = Field(default=5.0, gt=0)  # seconds for Asterisk's AGI environment


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="SWITCHBOARD_", env_nested_delimiter="__", extra="ignore"
    )

    env: Literal["development", "test", "production"] = "development"
    database_url: str = "sqlite+aiosqlite:///./switchboard.db"
    redis_url: str | None = None
    redis_prefix: str = "sb:"  # every Redis key of this installation starts with it (several may share a Redis)
    # PostgreSQL: the ring path's own asyncpg pool (store/hot.py), and whether its commits wait
    # for the WAL flush (off: a PostgreSQL crash may lose their last ~0.6 s; never corrupts).
    hot_pool_size: int = Field(default=10, ge=1, le=100)
    hot_durable_commits: bool = False
    secret_key: SecretStr = Field(default_factory=lambda: SecretStr(_DEV_KEY_PREFIX + secrets.token_hex(16)))
    token_ttl_hours: int = Field(default=8, ge=1, le=24)  # a shift; sign-out ends it sooner (agent_ui/sessions)
    default_region: str = "KE"
    timezone: str = "Africa/Nairobi"
    currency: str = "KES"
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    config_dir: Path = CONFIG_DIR / "defaults"
    attachments_dir: Path = Path("./data/attachments")
    attachment_max_bytes: int = 10 * 1024 * 1024
    compliance_pack: str = "kenya"
    wrapup_seconds: int = 60
    service_level_seconds: int = 20
    worker_id: str = Field(default_factory=lambda: "w-" + secrets.token_hex(4))
    log_format: Literal["text", "json"] = "text"  # runtime/logging.py: one line per record, JSON or text
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    gc_tuning: bool = True  # freeze startup objects, raise the young threshold (agent_ui/gc_policy.py)
    gc_gen0_threshold: int = Field(default=10_000, ge=1)
    ami: AmiSettings = Field(default_factory=AmiSettings)
    dialer: DialerSettings = Field(default_factory=DialerSettings)
    twilio: TwilioSettings = Field(default_factory=TwilioSettings)
    login: LoginSettings = Field(default_factory=LoginSettings)
    sms: SmsSettings = Field(default_factory=SmsSettings)  # config/messaging_settings.py
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    mpesa: MpesaSettings = Field(default_factory=MpesaSettings)  # M-Pesa payments (config/mpesa_settings.py)
    phone: PhoneSettings = Field(default_factory=PhoneSettings)  # issue 20: the browser phone
    recordings: RecordingSettings = Field(default_factory=RecordingSettings)
    ivr: IvrSettings = Field(default_factory=IvrSettings)
    metrics: MetricsSettings = Field(default_factory=MetricsSettings)  # GET /metrics (agent_ui/routes/metrics.py)
    monitor: MonitorSettings = Field(default_factory=MonitorSettings)  # issue 22: live monitoring

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _production_needs_real_key(self) -> Settings:
        key = self.secret_key.get_secret_value()
        if self.env == "production" and (key.startswith(_DEV_KEY_PREFIX) or len(key) < 32):
            raise ValueError("SWITCHBOARD_SECRET_KEY must be set to a random key of 32+ chars in production")
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
