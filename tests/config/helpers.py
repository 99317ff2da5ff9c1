"""Helpers for the config list tests: a private copy of config/defaults/ to break and edit."""

from __future__ import annotations

import shutil
from pathlib import Path

from config.settings import CONFIG_DIR

DEFAULTS_DIR = CONFIG_DIR / "defaults"


def copy_defaults(target: Path) -> Path:
    """Copy every default list file into ``target``/lists and return that directory."""
    config_dir = target / "lists"
    shutil.copytree(DEFAULTS_DIR, config_dir)
    return config_dir


def replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
