"""Compliance pack files (YAML), loaded by :mod:`config.compliance_loader`. Kept a package so the
YAML ships with the wheel (package-data ``*.yaml``)."""
