"""M-Pesa payments: money in by itself (C2B), and on request during the call (M-Pesa Express).

A peer of cti, dialer and ivr: it imports domain, store, bus and config, never the others, and
tells them about money with ``PaymentReceived`` on the bus.

* :mod:`payments.c2b_protocol`, :mod:`payments.stk_protocol`: Daraja's shapes, sans-I/O (bytes
  in, typed values out; request bodies out).
* :mod:`payments.client`: the Daraja client over httpx (OAuth cached until it expires, STK push,
  STK query, Register URL). No Daraja SDK on the package index is well kept.
* :mod:`payments.matching`: which customer a payment belongs to, and how we know.
* :mod:`payments.posting`: a matched payment becomes a statement transaction, an ``mpesa``
  activity in the history, a ``payment`` frame on the agents' screens and ``PaymentReceived``.
* :mod:`payments.c2b`: the validation and confirmation webhooks, suspense and replay.
* :mod:`payments.requests`, :mod:`payments.settle`: payment requests (STK push) and their state.
* :mod:`payments.fakes`: a local Daraja that speaks these shapes, for the tests and the benches.
"""
