"""Twilio as a carrier: signed webhooks in (sans-I/O), TwiML and Calls API out, Switchboard as the ACD."""
