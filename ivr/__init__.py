"""The IVR for customers: one menu (config/defaults/ivr.yaml) spoken by Asterisk (FastAGI) and Twilio (TwiML)."""
