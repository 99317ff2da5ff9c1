"""The browser phone (issue 20): agents' WebRTC endpoints on the PBX, their per-session SIP
secrets, the desk's call controls, and Twilio Voice SDK tokens.

A peer of cti, dialer and ivr: it imports domain, store, bus and config, and talks to the PBX with
the typed commands of :mod:`domain.events.phone` (the Asterisk bridge performs them over AMI).
"""
