"""Messaging: SMS through Africa's Talking with Infobip failover, email over SMTP, one conversation
per customer. A peer of cti, dialer and ivr: it imports domain, store, bus and config, never them.

- :mod:`messaging.segments`: GSM-7 / UCS-2 length and SMS parts (what the customer is charged).
- :mod:`messaging.templates`: template variables filled from the customer's record.
- :mod:`messaging.gate`: the compliance gate for messages, fed from the store.
- :mod:`messaging.outbox`: a message is a row written in the caller's transaction (``queued`` or
  ``blocked``); nothing is sent there.
- :mod:`messaging.sender`: workers that claim queued rows and send each once, failing over
  between providers (:mod:`messaging.providers`) behind circuit breakers (:mod:`messaging.breakers`).
- :mod:`messaging.receipts`: delivery reports and inbound SMS (STOP) applied to the store.
- :mod:`messaging.email`: SMTP with checked attachments. :mod:`messaging.bulk`: bulk reminders.
- :mod:`messaging.fakes`: local Africa's Talking, Infobip and SMTP servers for tests and benches.
"""
