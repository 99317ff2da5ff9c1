"""The REST routes, one module per feature; :data:`ROUTERS` lists them in mounting order."""
