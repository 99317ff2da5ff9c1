"""The app's components, one module each: start, stop and the routes it adds (see agent_ui/wiring.py)."""
