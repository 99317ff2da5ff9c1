"""Daraja M-Pesa Express (STK push), sans-I/O: the push and query bodies, and Daraja's answers and
callbacks read into typed values.

Push (``POST /mpesa/stkpush/v1/processrequest``)::

    {"BusinessShortCode": "174379", "Password": base64(shortcode + passkey + timestamp),
     "Timestamp": "20260304100000", "TransactionType": "CustomerPayBillOnline", "Amount": 2000,
     "PartyA": "254712345678", "PartyB": "174379", "PhoneNumber": "254712345678",
     "CallBackURL": "https://.../webhooks/mpesa/stk/TOKEN", "AccountReference": "AB123",
     "TransactionDesc": "Loan payment"}

Accepted: ``{"MerchantRequestID", "CheckoutRequestID", "ResponseCode": "0", ...}``; refused: an
HTTP error with ``{"requestId", "errorCode", "errorMessage"}``. The result comes to the CallBackURL
as ``{"Body": {"stkCallback": {"MerchantRequestID", "CheckoutRequestID", "ResultCode",
"ResultDesc", "CallbackMetadata": {"Item": [{"Name": "Amount", "Value": 2000}, {"Name":
"MpesaReceiptNumber", ...}, {"Name": "TransactionDate", ...}, {"Name": "PhoneNumber", ...}]}}}}``,
or from the query API (``/mpesa/stkpushquery/v1/query``) as ``ResultCode``/``ResultDesc`` only,
while a request still being processed is answered 500 with ``errorCode`` ``500.001.1001``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from domain.errors import PaymentOutcomeUnknown, PaymentProviderRejected, ProtocolViolation
from payments.c2b_protocol import NAIROBI, load_object, parse_trans_time

PAYBILL = "CustomerPayBillOnline"
PROCESSING_ERROR = "500.001.1001"  # "The transaction is being processed"


def timestamp(now: datetime) -> str:
    """Daraja's ``Timestamp``: the Nairobi wall clock as ``YYYYMMDDHHmmss``."""
    return now.astimezone(NAIROBI).strftime("%Y%m%d%H%M%S")


def password(shortcode: str, passkey: str, stamp: str) -> str:
    return base64.b64encode(f"{shortcode}{passkey}{stamp}".encode()).decode()


def daraja_phone(e164: str) -> str:
    """``+254712345678`` -> ``254712345678`` (Daraja's MSISDN form)."""
    return e164.lstrip("+")


@dataclass(frozen=True, slots=True)
class StkPush:
    shortcode: str
    passkey: str
    amount: int  # whole shillings
    phone: str  # E.164
    callback_url: str
    account_reference: str  # at most 12 characters
    description: str

    def body(self, now: datetime) -> dict[str, Any]:
        stamp = timestamp(now)
        return {"BusinessShortCode": self.shortcode, "Password": password(self.shortcode, self.passkey, stamp),
                "Timestamp": stamp, "TransactionType": PAYBILL, "Amount": self.amount,
                "PartyA": daraja_phone(self.phone), "PartyB": self.shortcode, "PhoneNumber": daraja_phone(self.phone),
                "CallBackURL": self.callback_url, "AccountReference": self.account_reference[:12],
                "TransactionDesc": self.description[:13]}


def query_body(shortcode: str, passkey: str, checkout_request_id: str, now: datetime) -> dict[str, Any]:
    stamp = timestamp(now)
    return {"BusinessShortCode": shortcode, "Password": password(shortcode, passkey, stamp), "Timestamp": stamp,
            "CheckoutRequestID": checkout_request_id}


@dataclass(frozen=True, slots=True)
class PushAccepted:
    merchant_request_id: str
    checkout_request_id: str
    customer_message: str


@dataclass(frozen=True, slots=True)
class StkResult:
    """The settled result of one push: code 0 is paid (the receipt is known from a callback only)."""

    checkout_request_id: str
    merchant_request_id: str
    code: int
    description: str
    receipt: str | None = None
    amount: Decimal | None = None
    phone: str | None = None
    paid_at: datetime | None = None


def _json_or_none(body: bytes) -> dict[str, Any] | None:
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return data if isinstance(data, dict) else None


def error_message(data: dict[str, Any] | None, status: int) -> str:
    if data and isinstance(data.get("errorMessage"), str) and data["errorMessage"].strip():
        return str(data["errorMessage"]).strip()
    return f"HTTP {status}"


def parse_push_answer(status: int, body: bytes) -> PushAccepted:
    """Daraja's answer to a push. A Daraja error body is a refusal (nothing reached the phone);
    a server error without one (a gateway page) may hide a push that went out: outcome unknown."""
    data = _json_or_none(body)
    if status >= 400 or data is None:
        if data is not None and "errorCode" in data:
            raise PaymentProviderRejected(f"M-Pesa refused the request: {error_message(data, status)}.",
                                          {"status": status, "error_code": str(data.get("errorCode"))})
        if status >= 500 or data is None:
            raise PaymentOutcomeUnknown("M-Pesa's answer to the request could not be read.", {"status": status})
        raise PaymentProviderRejected(f"M-Pesa refused the request (HTTP {status}).", {"status": status})
    code = str(data.get("ResponseCode", "")).strip()
    checkout = data.get("CheckoutRequestID")
    if code != "0" or not isinstance(checkout, str) or not checkout:
        said = str(data.get("ResponseDescription") or data.get("CustomerMessage") or "no reason given")
        raise PaymentProviderRejected(f"M-Pesa refused the request: {said}.", {"response_code": code})
    return PushAccepted(str(data.get("MerchantRequestID", "")), checkout, str(data.get("CustomerMessage", "")))


def _code(value: Any, field: str) -> int:
    if isinstance(value, bool):
        raise ProtocolViolation(f"{field} must be a number", {field: "expected a number"})
    try:
        return int(str(value).strip())
    except (TypeError, ValueError) as exc:
        raise ProtocolViolation(f"{field} must be a number", {field: "expected a number"}) from exc


def _items(meta: Any) -> dict[str, Any]:
    if meta is None:
        return {}
    items = meta.get("Item") if isinstance(meta, dict) else None
    if not isinstance(items, list):
        raise ProtocolViolation("CallbackMetadata.Item must be a list", {"CallbackMetadata": "expected Item[]"})
    return {str(i.get("Name")): i.get("Value") for i in items if isinstance(i, dict) and "Name" in i}


def parse_stk_callback(body: bytes) -> StkResult:
    """The ``Body.stkCallback`` Daraja posts to our CallBackURL."""
    data = load_object(body)
    callback = data.get("Body", {}).get("stkCallback") if isinstance(data.get("Body"), dict) else None
    if not isinstance(callback, dict):
        raise ProtocolViolation("Body.stkCallback is missing", {"Body.stkCallback": "required"})
    checkout = callback.get("CheckoutRequestID")
    if not isinstance(checkout, str) or not checkout.strip() or len(checkout) > 64:
        raise ProtocolViolation("CheckoutRequestID is missing", {"CheckoutRequestID": "required"})
    code = _code(callback.get("ResultCode"), "ResultCode")
    items = _items(callback.get("CallbackMetadata"))
    receipt = amount = paid_at = phone = None
    if code == 0:
        receipt = str(items.get("MpesaReceiptNumber") or "").strip().upper()
        if not receipt or len(receipt) > 32 or not receipt.isalnum():
            raise ProtocolViolation("a paid result needs MpesaReceiptNumber", {"MpesaReceiptNumber": "required"})
        try:
            amount = Decimal(str(items.get("Amount"))).quantize(Decimal("0.01"))
        except InvalidOperation as exc:
            raise ProtocolViolation("Amount is not a number", {"Amount": "not a number"}) from exc
        if not amount.is_finite() or amount <= 0:
            raise ProtocolViolation("Amount must be positive", {"Amount": "must be positive"})
        when = items.get("TransactionDate")
        paid_at = parse_trans_time(str(when), "TransactionDate") if when is not None else None
        phone = str(items["PhoneNumber"]) if items.get("PhoneNumber") is not None else None
    return StkResult(checkout.strip(), str(callback.get("MerchantRequestID") or ""), code,
                     str(callback.get("ResultDesc") or "")[:300], receipt, amount, phone, paid_at)


@dataclass(frozen=True, slots=True)
class QueryAnswer:
    """``processing``: M-Pesa has no result yet; else ``result`` (no receipt: the query API has none)."""

    processing: bool
    result: StkResult | None = None


def parse_query_answer(status: int, body: bytes, checkout_request_id: str) -> QueryAnswer:
    data = _json_or_none(body)
    if data is not None and str(data.get("errorCode", "")) == PROCESSING_ERROR:
        return QueryAnswer(processing=True)
    if status >= 400 or data is None or "ResultCode" not in data:
        raise PaymentProviderRejected(f"M-Pesa could not answer the query: {error_message(data, status)}.",
                                      {"status": status})
    code = _code(data.get("ResultCode"), "ResultCode")
    return QueryAnswer(False, StkResult(checkout_request_id, str(data.get("MerchantRequestID") or ""), code,
                                        str(data.get("ResultDesc") or "")[:300]))


def stk_callback_body(result: StkResult, paid_at: datetime | None = None) -> dict[str, Any]:
    """The callback Daraja posts for ``result`` (for the fake server)."""
    callback: dict[str, Any] = {"MerchantRequestID": result.merchant_request_id,
                                "CheckoutRequestID": result.checkout_request_id,
                                "ResultCode": result.code, "ResultDesc": result.description}
    if result.code == 0:
        when = paid_at or result.paid_at
        callback["CallbackMetadata"] = {"Item": [
            {"Name": "Amount", "Value": float(result.amount or 0)},
            {"Name": "MpesaReceiptNumber", "Value": result.receipt},
            {"Name": "Balance"},
            {"Name": "TransactionDate", "Value": int(timestamp(when)) if when else None},
            {"Name": "PhoneNumber", "Value": int(result.phone) if result.phone else None}]}
    return {"Body": {"stkCallback": callback}}
