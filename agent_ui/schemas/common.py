"""Field types shared by the request bodies.

Every string is bounded to its column and refuses NUL characters and unpaired surrogates (which
PostgreSQL cannot store); numbers are bounded to their columns; times must carry a UTC offset; dates
and times are ISO text within 1970-2100; names, emails and phones follow :mod:`domain.validation`.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from domain.validation import (
    email_address,
    in_calendar,
    instant_in_calendar,
    iso_date_text,
    iso_instant_text,
    person_name,
    phone_text,
)


def clean_text(value: str) -> str:
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must be valid Unicode text") from exc
    return value


def to_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as exc:
        raise ValueError("date and time out of range") from exc


def _text(max_length: int, min_length: int = 0) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


Str16 = Annotated[str, _text(16), AfterValidator(clean_text)]
Str32 = Annotated[str, _text(32), AfterValidator(clean_text)]
Str64 = Annotated[str, _text(64), AfterValidator(clean_text)]
Str80 = Annotated[str, _text(80), AfterValidator(clean_text)]
Str128 = Annotated[str, _text(128), AfterValidator(clean_text)]
Str200 = Annotated[str, _text(200), AfterValidator(clean_text)]
Str255 = Annotated[str, _text(255), AfterValidator(clean_text)]
Name = Annotated[str, _text(200, 1), AfterValidator(clean_text), AfterValidator(person_name)]
Email = Annotated[str, _text(200), AfterValidator(clean_text), AfterValidator(email_address)]
Phone = Annotated[str, _text(32), AfterValidator(clean_text), AfterValidator(phone_text)]  # no extension
LongText = Annotated[str, StringConstraints(max_length=20_000), AfterValidator(clean_text)]
Password = Annotated[str, StringConstraints(min_length=8, max_length=256), AfterValidator(clean_text)]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
PositiveMoney = Annotated[Decimal, Field(gt=0, max_digits=14, decimal_places=2)]
DbId = Annotated[int, Field(ge=1, le=2_147_483_647)]
UtcTime = Annotated[AwareDatetime, BeforeValidator(iso_instant_text), AfterValidator(to_utc),
                    AfterValidator(instant_in_calendar)]
Day = Annotated[date, BeforeValidator(iso_date_text), AfterValidator(in_calendar)]  # YYYY-MM-DD, 1970-2100


class Body(BaseModel):
    """Base of every request body: unknown keys are refused (a typo is an error, not ignored)."""

    model_config = ConfigDict(extra="forbid")
