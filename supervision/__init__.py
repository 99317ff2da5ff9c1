"""The supervisors' and admins' side: the escalation queue, the configuration with history, and the
reports built from the call log, the agent state log and the notes.

A peer of ``dialer`` and ``cti``: it imports domain, store, bus and config, never another peer;
what it needs from them arrives as typed events on the bus (``domain.events.supervision``).
"""
