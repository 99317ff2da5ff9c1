"""Daraja's shapes without sockets: C2B bodies, the STK push body and Password, push answers,
callbacks and query answers, and reading the payer's MSISDN."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.errors import PaymentOutcomeUnknown, PaymentProviderRejected, ProtocolViolation
from domain.payments import RESULT_WORDS, RequestState, can_move, result_words
from payments.c2b_protocol import NAIROBI, c2b_body, parse_c2b, parse_trans_time
from payments.matching import normalise_ref, phone_hash, read_msisdn
from payments.stk_protocol import (
    StkPush,
    StkResult,
    parse_push_answer,
    parse_query_answer,
    parse_stk_callback,
    stk_callback_body,
)

NOW = datetime(2026, 3, 4, 7, 0, 5, tzinfo=UTC)  # 10:00:05 in Nairobi


def _bytes(data: Any) -> bytes:
    return json.dumps(data).encode()


def test_a_c2b_body_is_read_into_a_payment_in_utc() -> None:
    body = c2b_body(trans_id="rktqdm7w6s", amount="1500", paid_at=NOW, shortcode="600638", bill_ref=" AB 123 ",
                    msisdn="254708374149", first_name="John", last_name="Doe")
    assert body["TransTime"] == "20260304100005"
    payment = parse_c2b(_bytes(body))
    assert (payment.trans_id, payment.amount, payment.paid_at) == ("RKTQDM7W6S", Decimal("1500.00"), NOW)
    assert (payment.bill_ref, payment.msisdn, payment.payer) == ("AB 123", "254708374149", "John Doe")


@pytest.mark.parametrize(("change", "field"), [
    ({"TransID": ""}, "TransID"), ({"TransID": "AB-12"}, "TransID"), ({"TransAmount": "0"}, "TransAmount"),
    ({"TransAmount": "1.005"}, "TransAmount"), ({"TransAmount": "NaN"}, "TransAmount"),
    ({"TransAmount": True}, "TransAmount"), ({"TransTime": "20260230100000"}, "TransTime"),
    ({"TransTime": "2026030410000\u0665"}, "TransTime"),
    ({"TransTime": "20261304100005"}, "TransTime"), ({"TransTime": "20260304246005"}, "TransTime"),
    ({"BusinessShortCode": ""}, "BusinessShortCode"), ({"BillRefNumber": {"a": 1}}, "BillRefNumber"),
])
def test_a_bad_c2b_field_is_named(change: dict[str, Any], field: str) -> None:
    body = {**c2b_body(trans_id="RK1", amount=10, paid_at=NOW, shortcode="1", bill_ref="A", msisdn=""), **change}
    with pytest.raises(ProtocolViolation) as caught:
        parse_c2b(_bytes(body))
    assert field in caught.value.details


@given(st.text(alphabet="0123456789", min_size=14, max_size=14))
def test_trans_time_reads_as_strptime_does(value: str) -> None:
    try:
        expected: datetime | None = datetime.strptime(value, "%Y%m%d%H%M%S").replace(tzinfo=NAIROBI)
        assert expected is not None
        expected.astimezone(UTC)
    except (ValueError, OverflowError):  # no such day, or before UTC's first (0001-01-01 in Nairobi)
        expected = None
    if expected is None:
        with pytest.raises(ProtocolViolation):
            parse_trans_time(value)
    else:
        assert parse_trans_time(value) == expected


@pytest.mark.parametrize("value", ["00010101000000", "20260304100005\n", " 20260304100005", "2026030410000\u0665", "2026-03-04100005"])
def test_trans_time_is_fourteen_ascii_digits_and_nothing_else(value: str) -> None:
    with pytest.raises(ProtocolViolation):
        parse_trans_time(value)


@given(st.binary(max_size=300))
def test_any_bytes_give_a_payment_or_a_protocol_violation(raw: bytes) -> None:
    problem: ProtocolViolation | None = None
    try:
        payment = parse_c2b(raw)
    except ProtocolViolation as exc:  # never another exception: a 400, not a 500
        problem = exc
    if problem is not None:
        assert problem.status == 400 and problem.details
    else:
        assert payment.amount > 0 and payment.trans_id


def test_the_push_body_has_daraja_password_and_timestamp() -> None:
    push = StkPush("174379", "passkey", 2000, "+254712345678", "https://x/webhooks/mpesa/stk/t",
                   "CLIENT-ID-TOO-LONG", "Loan payment for March")
    body = push.body(NOW)
    assert body["Timestamp"] == "20260304100005"
    assert base64.b64decode(body["Password"]).decode() == "174379passkey20260304100005"
    assert (body["PartyA"], body["PhoneNumber"], body["PartyB"]) == ("254712345678", "254712345678", "174379")
    assert (body["AccountReference"], body["TransactionDesc"], body["Amount"]) == ("CLIENT-ID-TO", "Loan payment ",
                                                                                   2000)
    assert body["TransactionType"] == "CustomerPayBillOnline"


def test_push_answers() -> None:
    accepted = parse_push_answer(200, _bytes({"MerchantRequestID": "m1", "CheckoutRequestID": "ws_CO_1",
                                              "ResponseCode": "0", "CustomerMessage": "ok"}))
    assert accepted.checkout_request_id == "ws_CO_1"
    with pytest.raises(PaymentProviderRejected) as refused:
        parse_push_answer(500, _bytes({"requestId": "r", "errorCode": "500.001.1001",
                                       "errorMessage": "Unable to lock subscriber"}))
    assert refused.value.message == "M-Pesa refused the request: Unable to lock subscriber."
    with pytest.raises(PaymentOutcomeUnknown):
        parse_push_answer(502, b"<html>Bad gateway</html>")
    with pytest.raises(PaymentProviderRejected):
        parse_push_answer(200, _bytes({"ResponseCode": "1", "ResponseDescription": "Rejected"}))


def test_callbacks_round_trip_and_a_paid_one_needs_its_receipt() -> None:
    paid = StkResult("ws_CO_1", "m1", 0, "ok", "QK7ABC1234", Decimal("2000.00"), "254712345678", NOW)
    assert parse_stk_callback(_bytes(stk_callback_body(paid))) == paid
    cancelled = StkResult("ws_CO_2", "m2", 1032, "Request cancelled by user")
    assert parse_stk_callback(_bytes(stk_callback_body(cancelled))) == cancelled
    body = stk_callback_body(paid)
    body["Body"]["stkCallback"]["CallbackMetadata"]["Item"] = [{"Name": "Amount", "Value": 5}]
    with pytest.raises(ProtocolViolation):
        parse_stk_callback(_bytes(body))
    with pytest.raises(ProtocolViolation):
        parse_stk_callback(_bytes({"Body": {}}))


def test_query_answers() -> None:
    processing = parse_query_answer(500, _bytes({"errorCode": "500.001.1001",
                                                 "errorMessage": "The transaction is being processed"}), "ws_CO_1")
    assert processing.processing and processing.result is None
    done = parse_query_answer(200, _bytes({"ResponseCode": "0", "ResultCode": "1037", "ResultDesc": "DS timeout",
                                           "MerchantRequestID": "m"}), "ws_CO_1")
    assert done.result is not None and (done.result.code, done.result.receipt) == (1037, None)
    with pytest.raises(PaymentProviderRejected):
        parse_query_answer(400, _bytes({"errorCode": "400.002.02", "errorMessage": "Invalid CheckoutRequestID"}),
                           "x")


def test_results_in_words_and_the_state_machine() -> None:
    for code in (1032, 1037, 2001, 1):
        assert result_words(code) == RESULT_WORDS[code] and not any(ch.isdigit() for ch in RESULT_WORDS[code])
    assert result_words(4999, "Something odd.") == "M-Pesa did not complete the payment: Something odd."
    assert can_move(RequestState.SENT, RequestState.WAITING_PIN)
    assert can_move(RequestState.UNKNOWN, RequestState.PAID)
    assert not can_move(RequestState.PAID, RequestState.FAILED)
    assert not can_move(RequestState.FAILED, RequestState.PAID)
    assert not can_move(RequestState.WAITING_PIN, RequestState.SENT)


def test_reading_the_payers_msisdn() -> None:
    assert read_msisdn("254712345678", "KE").e164 == "+254712345678"
    assert read_msisdn("0712 345 678", "KE").e164 == "+254712345678"
    hashed = read_msisdn(phone_hash("+254712345678").upper(), "KE")
    assert hashed.kind == "hashed" and hashed.sha256 == phone_hash("+254712345678")
    assert phone_hash("+254712345678") == hashlib.sha256(b"254712345678").hexdigest()
    assert read_msisdn("2547*****678", "KE").pattern == "+2547_____678"
    assert read_msisdn("0722000***", "KE").pattern == "+254722000___"
    assert read_msisdn("07XX XXX 123", "KE").pattern == "+2547_____123"
    assert read_msisdn("0722000*", "KE").pattern == "+254722000%"
    assert read_msisdn("", "KE").kind == read_msisdn("not a phone", "KE").kind == "none"
    assert normalise_ref(" ab\t12 3 ") == "AB123"
