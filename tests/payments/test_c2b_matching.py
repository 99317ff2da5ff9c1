"""How a C2B payment finds its customer (and says how), validation's optional refusal, the
allowed addresses, replay over stored callbacks, and the feature switched off."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from payments.batch_c2b import BatchC2B
from payments.c2b import C2BService
from payments.c2b_protocol import c2b_body
from payments.matching import phone_hash
from store.db import Database
from store.models import MpesaCallback, MpesaPayment, Relation
from tests.payments.conftest import PayWorld, pay_world_for

PAID_AT = datetime(2026, 3, 4, 7, 5, tzinfo=UTC)


def confirmation(trans_id: str, bill_ref: str, msisdn: str, amount: int = 500) -> dict[str, Any]:
    return c2b_body(trans_id=trans_id, amount=amount, paid_at=PAID_AT, shortcode="174379", bill_ref=bill_ref,
                    msisdn=msisdn, first_name="JANE")


async def _payment(pay: PayWorld, receipt: str) -> MpesaPayment:
    async with pay.services.database.session() as s:
        row = await s.scalar(select(MpesaPayment).where(MpesaPayment.receipt == receipt))
    assert row is not None
    return row


async def _confirm(pay: PayWorld, body: dict[str, Any]) -> None:
    response = await pay.http.post(pay.webhook("c2b/confirmation"), json=body)
    assert response.status_code == 200 and response.json()["ResultCode"] == 0, response.text


async def test_each_way_of_matching_says_how_it_matched(pay: PayWorld) -> None:
    wanjiku = await pay.customer("Wanjiku Kamau", "+254712345678", client_id="WK 001", loan_ref="LN-0042")
    otieno = await pay.customer("Otieno Odhiambo", "+254722111222", client_id="OO-2")
    await pay.customer("Twin One", "+254733000111", client_id=None)
    await pay.customer("Twin Two", "+254733000111", client_id=None, agent="brian")
    cases = [
        ("RK01", "wk001", "", wanjiku, "client_id"),  # case and spaces do not matter
        ("RK02", "ln-0042 ", "", wanjiku, "loan_account"),
        ("RK03", "", "254722111222", otieno, "phone"),  # no account: the phone in clear
        ("RK04", "nobody", "0722111222", otieno, "phone"),  # an unknown account falls back to the phone
        ("RK05", "", phone_hash("+254722111222"), otieno, "phone_hash"),  # Daraja's SHA-256 of 2547...
        ("RK06", "", "254733000111", None, "ambiguous_phone"),  # a number of two customers
        ("RK07", "", "2547*****222", None, "no_match"),  # masked: candidates only, never posted
        ("RK08", "", "", None, "no_match"),
    ]
    for receipt, ref, msisdn, customer, how in cases:
        await _confirm(pay, confirmation(receipt, ref, msisdn))
        row = await _payment(pay, receipt)
        assert (row.customer_id, row.match_how) == (customer, how), (receipt, row.match_detail)
        assert row.status == ("posted" if customer else "suspense")
        assert row.match_detail
    assert len((await _payment(pay, "RK06")).candidates) == 2
    assert (await _payment(pay, "RK07")).candidates == [otieno]
    suspense = (await pay.http.get("/api/payments/suspense", headers=pay.as_("sup"))).json()["items"]
    assert [i["receipt"] for i in suspense] == ["RK06", "RK07", "RK08"]
    assert [c["name"] for c in suspense[0]["candidates"]] == ["Twin One", "Twin Two"]


async def test_a_guarantors_phone_does_not_match_the_customer(pay: PayWorld) -> None:
    await pay.customer(client_id="G1", contacts=((Relation.GUARANTOR, "Guarantor", "+254711999888"),))
    await _confirm(pay, confirmation("RKG1", "", "254711999888"))
    row = await _payment(pay, "RKG1")
    assert row.status == "suspense" and row.customer_id is None


async def test_an_account_shared_by_two_customers_is_suspense_with_both(pay: PayWorld) -> None:
    first = await pay.customer("Ann", "+254711000001", client_id="X1", loan_ref="Shared 1")
    second = await pay.customer("Ben", "+254711000002", client_id="SHARED1")
    await _confirm(pay, confirmation("RKS1", "shared 1", ""))
    row = await _payment(pay, "RKS1")
    assert (row.status, row.match_how, sorted(row.candidates)) == ("suspense", "ambiguous_account",
                                                                  sorted([first, second]))


async def test_the_normalised_account_indexes_exist(database: Database) -> None:
    """The BillRefNumber lookups have their expression indexes (created from the models here, by
    the migration in production: tests/store/test_migrations.py compares the two)."""
    async with database.engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            from sqlalchemy import text
            names = set((await conn.execute(text("SELECT indexname FROM pg_indexes"))).scalars())
        else:
            from sqlalchemy import text
            names = set((await conn.execute(text("SELECT name FROM sqlite_master WHERE type='index'"))).scalars())
    assert {"ix_customers_client_id_norm", "ix_loans_external_ref_norm"} <= names


async def test_validation_accepts_everything_by_default(pay: PayWorld) -> None:
    response = await pay.http.post(pay.webhook("c2b/validation"), json=confirmation("RKV1", "nobody", ""))
    assert response.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}
    async with pay.services.database.session() as s:
        [stored] = (await s.scalars(select(MpesaCallback))).all()
    assert (stored.kind, stored.status, stored.outcome, stored.reference) == ("c2b_validation", "processed",
                                                                              "accepted", "RKV1")


async def test_validation_can_refuse_an_unknown_account(database: Database, database_url: str,
                                                        tmp_path: Path) -> None:
    async with pay_world_for(database_url, tmp_path, reject_unknown_accounts=True) as pay:
        await pay.customer(client_id="AB123")
        unknown = await pay.http.post(pay.webhook("c2b/validation"), json=confirmation("RKV2", "nobody", ""))
        assert unknown.json() == {"ResultCode": "C2B00012", "ResultDesc": "Rejected"}
        known = await pay.http.post(pay.webhook("c2b/validation"), json=confirmation("RKV3", "ab 123", ""))
        assert known.json() == {"ResultCode": 0, "ResultDesc": "Accepted"}


@pytest.mark.parametrize(("allowed", "status"), [(["196.201.214.0/24", "196.201.213.114"], 403),
                                                 (["196.201.214.0/24", "127.0.0.0/8"], 200)])
async def test_only_allowed_addresses_may_call_back(database: Database, database_url: str, tmp_path: Path,
                                                    allowed: list[str], status: int) -> None:
    async with pay_world_for(database_url, tmp_path, allowed_ips=allowed) as pay:
        response = await pay.http.post(pay.webhook("c2b/confirmation"), json=confirmation("RKIP", "AB123", ""))
        assert response.status_code == status
        async with pay.services.database.session() as s:
            stored = (await s.scalars(select(MpesaCallback))).all()
        assert len(stored) == (1 if status == 200 else 0)  # a refused caller's body is not stored


async def test_a_bug_in_matching_loses_nothing_and_replay_posts_it(pay: PayWorld,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    customer = await pay.customer(client_id="AB123")

    async def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("a bug in matching")

    monkeypatch.setattr(C2BService, "process", broken)  # matching or posting, on either path,
    monkeypatch.setattr(BatchC2B, "_post", broken)  # and PostgreSQL's batch, which stores and posts together
    await _confirm(pay, confirmation("RKBUG", "AB123", ""))  # still answered 0: it is stored
    async with pay.services.database.session() as s:
        [stored] = (await s.scalars(select(MpesaCallback))).all()
        assert (await s.scalars(select(MpesaPayment))).all() == []
    assert stored.status == "failed" and "a bug in matching" in (stored.error or "")
    monkeypatch.undo()
    report = await pay.hub.c2b.replay()
    assert (report.seen, report.posted) == (1, 1)
    row = await _payment(pay, "RKBUG")
    assert (row.status, row.customer_id, row.callback_id) == ("posted", customer, stored.id)
    again = await pay.hub.c2b.replay()
    assert (again.seen, again.posted, again.unchanged) == (1, 0, 1)


async def test_replay_posts_suspense_that_now_matches(pay: PayWorld) -> None:
    await _confirm(pay, confirmation("RKLATE", "NEW-9", ""))
    assert (await _payment(pay, "RKLATE")).status == "suspense"
    customer = await pay.customer(client_id="new-9")  # the customer is created after the payment
    report = await pay.hub.c2b.replay()
    assert (report.posted, report.suspense) == (1, 0)
    row = await _payment(pay, "RKLATE")
    assert (row.status, row.customer_id, row.match_how) == ("posted", customer, "client_id")
    frames = await pay.messages("supervisors", "payment.suspense")
    assert [f.data["status"] for f in frames] == ["suspense", "posted"]


async def test_with_no_mpesa_settings_the_feature_is_off(database: Database, database_url: str,
                                                         tmp_path: Path) -> None:
    async with pay_world_for(database_url, tmp_path, callback_token="", consumer_key="", passkey="") as pay:
        status = await pay.http.get("/api/payments/status", headers=pay.as_("amina"))
        assert status.json()["c2b"] is False and status.json()["requests"] is False
        assert "SWITCHBOARD_MPESA__CALLBACK_TOKEN" in status.json()["missing"]
        response = await pay.http.post("/webhooks/mpesa/c2b/confirmation/anything", json={})
        assert response.status_code == 404 and response.json()["error_id"] == "not-found"
        customer = await pay.customer()
        refused = await pay.http.post(f"/api/customers/{customer}/payment-requests", json={},
                                      headers=pay.as_("amina"))
        assert refused.status_code == 409
        assert refused.json()["message"] == "M-Pesa payment requests are not set up on this server."
