"""FastAGI: our own sans-I/O protocol layer (protocol.py), the renderer (player.py) and the asyncio shell."""
