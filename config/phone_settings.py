"""Settings of the browser phone and of call recording (issue 20), nested in :class:`Settings` as
``phone`` and ``recordings`` (``SWITCHBOARD_PHONE__WS_URL``, ``SWITCHBOARD_RECORDINGS__STORAGE`` ...)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr

MAX_TOKEN_TTL = 3600  # Twilio access tokens: at most one hour, refreshed before they expire


class PhoneSettings(BaseModel):
    """The agents' WebRTC endpoints on Asterisk, and Twilio Voice SDK tokens."""

    ws_url: str = "ws://127.0.0.1:8088/ws"  # the browser's SIP WebSocket (wss://... in production)
    sip_domain: str = "127.0.0.1"  # the domain of the agents' SIP URIs (sip:2001@<domain>)
    realm: str = "switchboard"  # digest realm: must match the hashes written into the PBX
    pjsip_include: Path | None = None  # where `pbx provision` writes the endpoints (None: not provisioned)
    dialplan_include: Path | None = None  # where it writes the recording-notice context
    transport: str = "transport-ws"
    context: str = "switchboard-phones"  # the endpoints' own context: they cannot dial out by themselves
    codecs: str = "opus,ulaw"
    rtp_timeout: int = Field(default=30, ge=5, le=600)  # a browser that vanished without BYE: hang up
    media_address: str | None = None  # bind the phones' RTP to this address (the loopback test PBX: 127.0.0.1)
    ice_servers: list[str] = Field(default_factory=list)  # STUN/TURN URLs for the browsers (none on a LAN)
    loopback_ice: bool = False  # tests on one machine: offer only 127.0.0.1 candidates
    early_ice: bool = True  # answer at the first usable ICE candidate instead of waiting for all
    audio_processing: bool = True  # the browser's echo cancellation, noise suppression and gain control
    register_expires: int = Field(default=300, ge=60, le=3600)
    queue_transfer_context: str = "switchboard-xfer-queue"
    agent_transfer_context: str = "switchboard-xfer-agent"
    number_transfer_context: str = "switchboard-xfer-number"
    # Twilio agents (extension client:<name>): the Voice SDK's access tokens
    twilio_api_key_sid: str = ""
    twilio_api_key_secret: SecretStr = SecretStr("")
    twilio_app_sid: str = ""  # TwiML App for calls the browser starts (optional)
    token_ttl_seconds: int = Field(default=MAX_TOKEN_TTL, ge=60, le=MAX_TOKEN_TTL)


class RecordingSettings(BaseModel):
    """Every answered call recorded (when ``enabled``), stored behind one interface, kept ``retention_days``."""

    enabled: bool = True
    retention_days: int = Field(default=180, ge=1, le=36_500)
    retention_check_seconds: float = Field(default=3600.0, gt=0)
    storage: Literal["local", "s3"] = "local"
    local_dir: Path = Path("./data/recordings")
    s3_bucket: str = ""
    s3_prefix: str = "recordings/"
    s3_endpoint_url: str | None = None  # S3-compatible servers (MinIO, Ceph ...); None: AWS
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: SecretStr = SecretStr("")
    asterisk_dir: str = "/var/spool/asterisk/monitor/switchboard"  # where MixMonitor writes, as Asterisk sees it
    pickup_dir: Path | None = None  # the same directory as this process sees it (None: asterisk_dir)
    ingest_wait_seconds: float = Field(default=20.0, gt=0)  # how long a finished call's file may take to close
    notice_prompt: str = "switchboard/recording-notice"  # Asterisk sound played before the queue
    notice_text: str = "This call may be recorded for quality and compliance."  # Twilio <Say> before <Enqueue>


class MonitorSettings(BaseModel):
    """Live monitoring (issue 22): ``SWITCHBOARD_MONITOR__NOTIFY_AGENT`` and the PBX's ChanSpy context."""

    notify_agent: bool = True  # the agent's screen says "A supervisor is listening" (a pack may require it)
    context: str = "switchboard-monitor"  # Asterisk: exten listen / whisper / barge run ChanSpy (README)
    ring_seconds: int = Field(default=30, ge=5, le=120)  # how long the supervisor's phone rings
