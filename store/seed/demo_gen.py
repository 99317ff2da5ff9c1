"""Deterministic generator of demo rows: profiles, loans with schedules and statements, past work.

Pure apart from the ORM objects it returns: :mod:`store.seed.demo` adds them in a session. Given the
same seed and ``today`` it produces the same data.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from domain.phone import to_e164
from store.models import Installment, Loan, Relation, StatementTransaction, TxnDirection
from store.seed.demo_data import (
    FEMALE_NAMES,
    MALE_NAMES,
    MOBILE_PREFIXES,
    PRODUCTS,
    REGIONS,
    RELATIONSHIP_OFFICERS,
    RELATIONSHIPS,
    WELL_KNOWN_GUARANTOR,
    WELL_KNOWN_NAME,
    WELL_KNOWN_PHONE,
    Product,
)

_ALNUM = string.ascii_uppercase + string.digits
_LOCAL = ZoneInfo("Africa/Nairobi")


@dataclass
class Profile:
    """Everything ``CustomerRepository.create`` needs, plus the plan for the rest."""

    index: int
    name: str
    phones: list[str]
    government_id: str
    client_id: str
    region: str
    email: str | None
    overdue: bool
    campaign: str
    risk_score: float
    contacts: list[dict[str, str]]
    products: list[tuple[Product, str]] = field(default_factory=list)  # (product, loan state)
    serials: list[str] = field(default_factory=list)


@dataclass
class LoanRows:
    loan: Loan
    transactions: list[StatementTransaction]
    payments: list[StatementTransaction]  # the credits that paid installments, oldest first


def client_id_for(index: int) -> str:
    return f"CL-{100001 + index}"


class DemoGenerator:
    def __init__(self, seed: int, today: date, currency: str = "KES", region: str = "KE") -> None:
        self.rng = random.Random(seed)
        self.today = today
        self.currency = currency
        self.region = region
        self.now = datetime.now(UTC)
        reserved = [WELL_KNOWN_PHONE, WELL_KNOWN_GUARANTOR[1], *(p for _, p in RELATIONSHIP_OFFICERS)]
        self.used_phones: set[str] = {self._e164(p) for p in reserved}
        self.used_ids: set[str] = set()
        self.receipts: set[str] = set()
        self.txn_seq = 0

    # --- small parts ------------------------------------------------------------------------------

    def _e164(self, local: str) -> str:
        e164 = to_e164(local, self.region)
        if e164 is None:
            raise ValueError(f"demo phone {local!r} is not valid")
        return e164

    def phone(self) -> str:
        """A fresh, valid Kenyan mobile number in E.164."""
        for _ in range(1000):
            local = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randrange(1_000_000):06d}"
            e164 = to_e164(local, self.region)
            if e164 is not None and e164 not in self.used_phones:
                self.used_phones.add(e164)
                return e164
        raise RuntimeError("could not draw a fresh demo phone number")

    def receipt(self, day: date) -> str:
        """An M-Pesa style receipt code, e.g. ``SK12ABC3DE``: year letter, month letter, 8 chars."""
        year = chr(ord("Q") + (day.year - 2022) % 10)
        month = chr(ord("A") + day.month - 1)
        while True:
            code = year + month + "".join(self.rng.choice(_ALNUM) for _ in range(8))
            if code not in self.receipts:
                self.receipts.add(code)
                return code

    def at(self, day: date, lo: int = 8, hi: int = 18) -> datetime:
        """A moment during Nairobi working hours on ``day``, in UTC, never in the future."""
        local = datetime.combine(day, time(self.rng.randint(lo, hi), self.rng.randrange(60)), _LOCAL)
        return min(local.astimezone(UTC), self.now - timedelta(minutes=1))

    def person(self, surnames: tuple[str, ...]) -> str:
        first = self.rng.choice(FEMALE_NAMES if self.rng.random() < 0.5 else MALE_NAMES)
        return f"{first} {self.rng.choice(surnames)}"

    # --- customers --------------------------------------------------------------------------------

    def profile(self, index: int) -> Profile:
        rng = self.rng
        region = rng.choices(REGIONS, weights=[r.weight for r in REGIONS])[0]
        well_known = index == 0
        name = WELL_KNOWN_NAME if well_known else self.person(region.surnames)
        if well_known:
            region = REGIONS[0]
        phones = [self._e164(WELL_KNOWN_PHONE) if well_known else self.phone()]
        if rng.random() < 0.3:
            phones.append(self.phone())
        while True:
            gov_id = str(rng.randint(10_000_000, 39_999_999))
            if gov_id not in self.used_ids:
                self.used_ids.add(gov_id)
                break
        overdue = well_known or rng.random() < 0.45
        first, last = name.split(" ", 1)
        email = f"{first}.{last}{rng.randint(1, 99)}@gmail.com".lower() if rng.random() < 0.3 else None
        campaign = "collections" if overdue else ("sales" if rng.random() < 0.2 else "customer_service")
        risk = round(rng.uniform(0.45, 0.95) if overdue else rng.uniform(0.02, 0.4), 3)
        profile = Profile(index=index, name=name, phones=phones, government_id=gov_id,
                          client_id=client_id_for(index), region=region.name, email=email,
                          overdue=overdue, campaign=campaign, risk_score=risk, contacts=[])
        self._plan_loans(profile, well_known)
        self._plan_contacts(profile, region.surnames, well_known)
        return profile

    def _plan_loans(self, profile: Profile, well_known: bool) -> None:
        rng = self.rng
        main = PRODUCTS[0] if well_known else rng.choice(PRODUCTS)
        profile.products.append((main, "overdue" if profile.overdue else "current"))
        if well_known or rng.random() < 0.3:
            profile.products.append((PRODUCTS[3] if well_known else rng.choice(PRODUCTS), "closed"))
        year = self.today.year % 100
        for number, (product, _) in enumerate(profile.products, start=1):
            if product.serial_prefix is not None:
                profile.serials.append(f"{product.serial_prefix}{year:02d}{profile.index:06d}{number}")

    def _plan_contacts(self, profile: Profile, surnames: tuple[str, ...], well_known: bool) -> None:
        rng = self.rng
        if well_known:
            name, phone = WELL_KNOWN_GUARANTOR
            profile.contacts.append({"name": name, "phone": self._e164(phone), "relationship": "brother",
                                     "relation": Relation.GUARANTOR.value})
        elif any(p.serial_prefix is None for p, _ in profile.products) or rng.random() < 0.6:
            profile.contacts.append({"name": self.person(surnames), "phone": self.phone(),
                                     "relationship": rng.choice(RELATIONSHIPS),
                                     "relation": Relation.GUARANTOR.value})
        ro_name, ro_phone = RELATIONSHIP_OFFICERS[profile.index % len(RELATIONSHIP_OFFICERS)]
        profile.contacts.append({"name": ro_name, "phone": self._e164(ro_phone),
                                 "relationship": "relationship officer",
                                 "relation": Relation.RELATIONSHIP_OFFICER.value})
        if well_known or rng.random() < 0.4:
            profile.contacts.append({"name": self.person(surnames), "phone": self.phone(),
                                     "relationship": rng.choice(RELATIONSHIPS),
                                     "relation": Relation.ALTERNATIVE_CONTACT.value})

    # --- loans, schedules and statements ----------------------------------------------------------

    def _txn(self, customer_id: int, when: datetime, direction: TxnDirection, kind: str, amount: Decimal,
             description: str, receipt: bool = False) -> StatementTransaction:
        self.txn_seq += 1
        return StatementTransaction(
            customer_id=customer_id, external_ref=f"DEMO-T{self.txn_seq:08d}", posted_at=when,
            direction=direction, kind=kind, amount=amount, description=description,
            receipt_code=self.receipt(when.date()) if receipt else None)

    def loan(self, customer_id: int, client_id: str, number: int, product: Product, state: str,
             serial: str | None) -> LoanRows:
        """A loan in ``state`` (current, overdue, closed) with a consistent schedule and statement:
        debits minus credits on the statement equal the loan's balance."""
        rng, period, count = self.rng, product.period_days, product.installments
        principal = Decimal(rng.randrange(product.low, product.high + 1, 500))
        interest = (principal * product.rate).quantize(Decimal("1"))
        fee = (principal * product.fee_rate).quantize(Decimal("1"))
        if state == "closed":
            due_count = count
            start = self.today - timedelta(days=count * period + rng.randint(30, 300))
        else:
            due_count = rng.randint(1 if state == "overdue" else 0, count - 1)
            start = self.today - timedelta(days=due_count * period + rng.randint(1, period - 1))
        missed = rng.randint(1, min(due_count, 6)) if state == "overdue" else 0
        paid_through = due_count - missed
        loan = Loan(customer_id=customer_id, external_ref=f"DEMO-{client_id}-L{number}", product=product.code,
                    applied_amount=principal, principal=principal, interest_amount=interest,
                    start_date=start, end_date=start + timedelta(days=count * period),
                    status="closed" if state == "closed" else "active", currency=self.currency)
        rows: list[StatementTransaction] = []
        what = f"{product.code.replace('_', ' ')} {serial}" if serial else "loan to M-Pesa"
        opened = self.at(start, 9, 12)
        rows.append(self._txn(customer_id, opened, TxnDirection.DEBIT, "disbursement", principal,
                              f"Disbursement: {what}"))
        rows.append(self._txn(customer_id, opened, TxnDirection.DEBIT, "interest", interest, "Flat interest"))
        if fee:
            rows.append(self._txn(customer_id, opened, TxnDirection.DEBIT, "loan_fee", fee, "Loan fee"))
            rows.append(self._txn(customer_id, opened + timedelta(minutes=5), TxnDirection.CREDIT,
                                  "mpesa_deposit", fee, "M-Pesa deposit: loan fee", receipt=True))
        payments: list[StatementTransaction] = []
        paid_total = Decimal(0)
        for k in range(1, count + 1):
            p_k = principal // count + (principal % count if k == count else 0)
            i_k = interest // count + (interest % count if k == count else 0)
            due = start + timedelta(days=k * period)
            inst = Installment(number=k, due_date=due, principal=p_k, interest=i_k, paid_amount=Decimal(0))
            loan.installments.append(inst)
            amount, day = Decimal(0), due
            if k <= paid_through:
                amount = p_k + i_k
                day = min(due + timedelta(days=rng.randint(-3, 4)), self.today - timedelta(days=1))
            elif k == paid_through + 1 and state == "overdue" and rng.random() < 0.3:
                amount = ((p_k + i_k) * Decimal(rng.uniform(0.2, 0.6)) / 10).quantize(Decimal("1")) * 10
                day = min(due + timedelta(days=rng.randint(0, 3)), self.today - timedelta(days=1))
            if amount:
                when = self.at(max(day, start))
                mpesa = rng.random() < 0.9
                txn = self._txn(customer_id, when, TxnDirection.CREDIT,
                                "mpesa_deposit" if mpesa else "repayment", amount,
                                f"M-Pesa deposit: instalment {k}" if mpesa else f"Bank agent: instalment {k}",
                                receipt=mpesa)
                inst.paid_amount, inst.paid_at = amount, when
                payments.append(txn)
                rows.append(txn)
                paid_total += amount
        loan.balance = principal + interest - paid_total
        overdue_rows = [i for i in loan.installments if paid_through < i.number <= due_count]
        loan.overdue_amount = sum((i.principal + i.interest - i.paid_amount for i in overdue_rows),
                                  Decimal(0))
        loan.days_past_due = (self.today - overdue_rows[0].due_date).days if overdue_rows else 0
        return LoanRows(loan=loan, transactions=rows, payments=payments)
