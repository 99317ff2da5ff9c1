"""The access matrix's row type (tests/api/test_access_matrix.py), shared by the per-area row files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

Access = Literal["public", "signed_in", "supervisor", "admin", "customer", "customer_in_body", "owned",
                 "twilio", "page", "socket", "webhook", "metrics"]
# "metrics": GET /metrics, for a client on this host or with the metrics token, never by sign-in
# (tests/api/test_metrics.py refuses the others); the matrix's clients are on this host.
MISSING = 999_999
SOON = (datetime.now(UTC) + timedelta(days=3)).replace(microsecond=0).isoformat()
SOON_DAY = (date.today() + timedelta(days=3)).isoformat()


@dataclass(frozen=True)
class Rule:
    access: Access
    body: dict[str, Any] | None = None
    multipart: bool = False
    refused: int | None = None  # "webhook": the status a request without the provider's token/signature gets


LOAN = {"external_ref": "L-1", "product": "solar", "applied_amount": "100.00", "principal": "100.00",
         "balance": "100.00", "start_date": "2026-01-01", "end_date": "2026-12-31"}
TXN = {"external_ref": "T-1", "posted_at": "2026-01-02T10:00:00Z", "direction": "credit",
        "kind": "repayment", "amount": "10.00"}
