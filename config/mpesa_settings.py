"""M-Pesa (Safaricom Daraja) settings: ``SWITCHBOARD_MPESA__*``.

With none of them set the feature is off: the webhooks answer 404 and the desktop says that
payments are not set up instead of offering a button that fails. C2B (payments to the paybill)
needs only ``CALLBACK_TOKEN`` (the secret part of the webhook paths); M-Pesa Express (STK push)
also needs the consumer key and secret, the shortcode and the passkey.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, field_validator

DARAJA_URLS = {"production": "https://api.safaricom.co.ke", "sandbox": "https://sandbox.safaricom.co.ke"}
IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class MpesaSettings(BaseModel):
    consumer_key: str = ""
    consumer_secret: SecretStr = SecretStr("")
    shortcode: str = ""  # the paybill number (BusinessShortCode, PartyB)
    passkey: SecretStr = SecretStr("")  # the Lipa na M-Pesa Online passkey (STK push Password)
    base_url: str | None = None  # default: the Daraja API of ``environment`` (production)
    callback_token: SecretStr = SecretStr("")  # the secret path segment of every M-Pesa webhook
    allowed_ips: list[str] = Field(default_factory=list)  # addresses or networks; empty: any address
    environment: Literal["production", "sandbox"] = "production"
    reject_unknown_accounts: bool = False  # C2B validation refuses an account number we do not know
    max_requests_per_day: int = Field(default=3, ge=1, le=50)  # STK pushes per customer per local day
    max_amount: int = Field(default=250_000, ge=1)  # M-Pesa's own limit per transaction, in shillings
    query_after_seconds: float = Field(default=60.0, gt=0)  # no callback by then: ask the query API
    query_every_seconds: float = Field(default=15.0, gt=0)  # between queries while M-Pesa is processing
    give_up_after_seconds: float = Field(default=300.0, gt=0)  # still unsettled: the state is unknown
    sweep_seconds: float = Field(default=5.0, gt=0)  # how often a worker looks for overdue requests
    http_timeout_seconds: float = Field(default=15.0, gt=0)
    transaction_desc: str = Field(default="Loan payment", min_length=1, max_length=13)

    @field_validator("allowed_ips")
    @classmethod
    def _networks(cls, values: list[str]) -> list[str]:
        for value in values:
            try:
                ipaddress.ip_network(value.strip(), strict=False)
            except ValueError as exc:
                raise ValueError(f"{value!r} is not an IP address or network") from exc
        return [v.strip() for v in values]

    def networks(self) -> list[IpNetwork]:
        return [ipaddress.ip_network(value, strict=False) for value in self.allowed_ips]

    def api_base(self) -> str:
        return (self.base_url or DARAJA_URLS[self.environment]).rstrip("/")

    def missing_for_c2b(self) -> list[str]:
        return [] if self.callback_token.get_secret_value() else ["SWITCHBOARD_MPESA__CALLBACK_TOKEN"]

    def missing_for_stk(self) -> list[str]:
        names = {"CONSUMER_KEY": self.consumer_key, "CONSUMER_SECRET": self.consumer_secret.get_secret_value(),
                 "SHORTCODE": self.shortcode, "PASSKEY": self.passkey.get_secret_value(),
                 "CALLBACK_TOKEN": self.callback_token.get_secret_value()}
        return [f"SWITCHBOARD_MPESA__{name}" for name, value in names.items() if not value]

    @property
    def c2b_ready(self) -> bool:
        return not self.missing_for_c2b()

    @property
    def stk_ready(self) -> bool:
        return not self.missing_for_stk()
