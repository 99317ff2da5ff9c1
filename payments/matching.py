"""Which customer a C2B payment belongs to, and how we know it.

1. ``BillRefNumber`` (the account the customer typed) against the customers' client IDs and their
   loans' account numbers, ignoring case and spaces (``ab 123`` is ``AB123``).
2. Otherwise the payer's phone, when Daraja sends it in clear, against the customers' own numbers;
   or when it sends a SHA-256 of it (``2547XXXXXXXX``), against the hashes of those numbers.
3. A masked phone (``2547*****126``) matches thousands of numbers in a large book: it never posts
   a payment by itself, but the customers whose numbers fit it are listed as candidates for the
   supervisor who assigns the payment from suspense.

No match, or more than one customer, is suspense. Every :class:`Match` says how it was made.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.phone import to_e164
from store.repositories.payments import MpesaRepository

HASH_BATCH = 5000
CANDIDATE_LIMIT = 20
_SPACES = re.compile(r"\s+")
_SHA256 = re.compile(r"^[0-9a-fA-F]{64}$")
_MASK = re.compile(r"^\+?[0-9*xX•]{6,16}$")

Kind = Literal["clear", "masked", "hashed", "none"]


def normalise_ref(text: str) -> str:
    """An account number as we compare it: no whitespace, upper case."""
    return _SPACES.sub("", text).upper()


def phone_hash(e164: str) -> str:
    """Daraja's hash of a number: SHA-256 (hex) of ``2547XXXXXXXX`` (E.164 without the plus)."""
    return hashlib.sha256(e164.lstrip("+").encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class Payer:
    """The payer's MSISDN read: ``e164`` when in clear, ``sha256`` when hashed, a SQL ``LIKE``
    ``pattern`` over E.164 numbers when masked."""

    kind: Kind
    e164: str | None = None
    sha256: str | None = None
    pattern: str | None = None


def read_msisdn(raw: str, region: str) -> Payer:
    text = raw.strip().replace(" ", "")
    if not text:
        return Payer("none")
    if _SHA256.match(text):
        return Payer("hashed", sha256=text.lower())
    if any(c in text for c in "*xX•") and _MASK.match(text):
        return Payer("masked", pattern=_mask_pattern(text))
    e164 = to_e164(text, region)
    return Payer("clear", e164=e164) if e164 else Payer("none")


def _mask_pattern(text: str) -> str:
    """``2547*****126`` -> ``+2547_____126``; ``0722000***`` -> ``+254722000___``; a mask shorter
    than a whole number ends with ``%`` after its last known digit."""
    digits = text.lstrip("+")
    if digits.startswith("0"):
        digits = "254" + digits[1:]
    pattern = "+" + re.sub(r"[*xX•]", "_", digits)
    if len(digits) < 12:  # Kenyan E.164 numbers have 12 digits: the mask left some out
        pattern = pattern.rstrip("_") + "%"
    return pattern


@dataclass(frozen=True, slots=True)
class Match:
    customer_id: int | None
    how: str  # client_id, loan_account, phone, phone_hash; or why not: ambiguous_account, ambiguous_phone, no_match
    detail: str
    candidates: tuple[int, ...] = field(default=())

    @property
    def matched(self) -> bool:
        return self.customer_id is not None


def by_account(bill_ref: str, found: list[tuple[int, str]]) -> Match | None:
    """The match for the customers an account number found ``(id, client_id|loan_account)``;
    None when it found no one (then the phone is tried)."""
    ids = sorted({cid for cid, _ in found})
    if len(ids) == 1:
        what = "client ID" if found[0][1] == "client_id" else "loan account number"
        return Match(ids[0], found[0][1], f"account {bill_ref!r} is the customer's {what}")
    if ids:
        return Match(None, "ambiguous_account", f"account {bill_ref!r} belongs to {len(ids)} customers", tuple(ids))
    return None


def before_phone(bill_ref: str) -> str:
    return f"account {bill_ref!r} matches no customer; " if normalise_ref(bill_ref) else "no account number; "


def by_phone(e164: str, ids: list[int], how: str, said: str) -> Match:
    """The match for the customers whose own number is ``e164``."""
    if len(ids) == 1:
        return Match(ids[0], how, said + f"{e164}, the customer's own number")
    if ids:
        return Match(None, "ambiguous_phone", said + f"{e164}, a number of {len(ids)} customers", tuple(ids))
    return Match(None, "no_match", said + f"{e164}, no customer's number")


class Matcher:
    def __init__(self, region: str) -> None:
        self.region = region

    async def match(self, session: AsyncSession, bill_ref: str, msisdn: str) -> Match:
        repo = MpesaRepository(session)
        reference = normalise_ref(bill_ref)
        if reference:
            found = by_account(bill_ref, await repo.customers_by_account(reference))
            if found is not None:
                return found
        payer = read_msisdn(msisdn, self.region)
        said = before_phone(bill_ref)
        if payer.kind == "hashed" and payer.sha256 is not None:
            e164 = await repo.e164_by_hash(payer.sha256) or await self._hash_missing(session, payer.sha256)
            if e164 is not None:
                return by_phone(e164, await repo.customers_by_phone(e164), "phone_hash", said + "the hashed phone is ")
            return Match(None, "no_match", said + "the hashed phone is no customer's number")
        if payer.kind == "clear" and payer.e164 is not None:
            return by_phone(payer.e164, await repo.customers_by_phone(payer.e164), "phone",
                            said + "the payer's phone is ")
        if payer.kind == "masked" and payer.pattern is not None:
            fits = await repo.phones_like(payer.pattern, CANDIDATE_LIMIT + 1)
            fitting = tuple(sorted({cid for cid, _ in fits}))[:CANDIDATE_LIMIT]
            return Match(None, "no_match", said + f"the masked phone {msisdn!r} fits "
                         f"{len(fitting)}{'+' if len(fits) > CANDIDATE_LIMIT else ''} customer number(s): "
                         "a masked number is never enough to post", fitting)
        return Match(None, "no_match", said + "no usable phone")

    async def _hash_missing(self, session: AsyncSession, sha256: str, *, rounds: int = 200) -> str | None:
        """Hash the customer numbers not hashed yet (bounded), then look again."""
        repo = MpesaRepository(session)
        for _ in range(rounds):
            if not await refresh_hashes(session):
                break
            found = await repo.e164_by_hash(sha256)
            if found is not None:
                return found
        return None


async def refresh_hashes(session: AsyncSession, batch: int = HASH_BATCH) -> int:
    """Hash up to ``batch`` customer numbers that have no hash yet; returns how many."""
    repo = MpesaRepository(session)
    phones = await repo.unhashed_phones(batch)
    await repo.add_hashes((phone_hash(e164), e164) for e164 in phones)
    return len(phones)
