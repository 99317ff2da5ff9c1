"""Settings of the messaging package: SMS providers (``SWITCHBOARD_SMS__...``) and SMTP
(``SWITCHBOARD_SMTP__...``). Nested in :class:`config.settings.Settings` as ``sms`` and ``smtp``.

    SWITCHBOARD_SMS__PROVIDERS='["africastalking","infobip"]'   # the order to try; [] = SMS off
    SWITCHBOARD_SMS__AFRICASTALKING__USERNAME / __API_KEY / __SENDER_ID / __BASE_URL
    SWITCHBOARD_SMS__INFOBIP__API_KEY / __SENDER / __BASE_URL
    SWITCHBOARD_SMS__WEBHOOK_TOKEN                               # ?token= of the provider webhooks
    SWITCHBOARD_SMTP__HOST / __PORT / __USERNAME / __PASSWORD / __STARTTLS / __FROM
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr, field_validator

ProviderName = Literal["africastalking", "infobip"]


class AfricasTalkingSettings(BaseModel):
    username: str = ""
    api_key: SecretStr = SecretStr("")
    sender_id: str | None = None
    base_url: str = "https://api.africastalking.com"
    price_per_segment: Decimal = Decimal("0.80")  # for the bulk estimate (KES per SMS part)
    rate_per_second: int = Field(default=50, ge=1, le=10_000)


class InfobipSettings(BaseModel):
    api_key: SecretStr = SecretStr("")
    sender: str | None = None
    base_url: str = "https://api.infobip.com"
    price_per_segment: Decimal = Decimal("1.00")
    rate_per_second: int = Field(default=50, ge=1, le=10_000)


class SmsSettings(BaseModel):
    providers: list[ProviderName] = Field(default_factory=list)
    africastalking: AfricasTalkingSettings = Field(default_factory=AfricasTalkingSettings)
    infobip: InfobipSettings = Field(default_factory=InfobipSettings)
    webhook_token: SecretStr = SecretStr("")
    sender_enabled: bool = True  # this process works the outbox (several processes may)
    concurrency: int = Field(default=32, ge=1, le=1000)  # sends in flight per process
    poll_seconds: float = Field(default=0.2, gt=0, le=10)  # how often an idle sender looks
    connect_timeout: float = Field(default=3.0, gt=0)  # refused/unreachable: nothing was sent
    request_timeout: float = Field(default=10.0, gt=0)  # sent, no answer in time: ``unknown``
    breaker_threshold: int = Field(default=3, ge=1)  # definite failures in a row open the circuit
    breaker_reset_seconds: float = Field(default=30.0, gt=0)  # then one try again (half-open)
    max_attempts: int = Field(default=5, ge=1)  # rounds over every provider before ``failed``
    retry_seconds: float = Field(default=30.0, gt=0)  # wait between rounds (nothing went out)
    claim_seconds: float = Field(default=120.0, gt=0)  # a send older than this: its worker died
    lookup_seconds: float = Field(default=15.0, gt=0)  # how often ``unknown`` messages are looked up
    unknown_grace_seconds: float = Field(default=600.0, gt=0)  # lookup finds nothing this long: not sent

    @field_validator("providers")
    @classmethod
    def _no_repeats(cls, value: list[ProviderName]) -> list[ProviderName]:
        if len(set(value)) != len(value):
            raise ValueError("a provider is named twice")
        return value

    @property
    def enabled(self) -> bool:
        return bool(self.providers)


class SmtpSettings(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    host: str | None = None
    port: int = 587
    username: str | None = None
    password: SecretStr = SecretStr("")
    starttls: bool = True
    from_address: str = Field(default="", validation_alias=AliasChoices("from", "from_address"))
    timeout: float = Field(default=20.0, gt=0)

    @property
    def enabled(self) -> bool:
        return bool(self.host and self.from_address)
