"""The progressive dialer: calls-to-make tasks, claims, previews, dials, outcomes and approvals.

The dialer never imports ``cti/`` or ``ivr/``: it publishes :class:`DialRequested` and
:class:`AgentStateRequested` on the bus and consumes the carrier's answers and the call events.
``dialer.service.Dialer`` is the one object the application wires in.
"""
