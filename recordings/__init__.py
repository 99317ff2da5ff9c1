"""Call recordings (issue 20): started when an agent answers, stored behind one storage interface
(a local directory, or S3-compatible object storage) with their SHA-256 in the database, played to
those allowed (every playback audited), kept ``retention_days`` and then deleted by a job that says
so in the audit log. A peer of cti, dialer and ivr: it imports domain, store, bus and config.
"""
