"""Password checks: an unknown user costs the same argon2 verification as a wrong password, and the
dummy hash that makes it so is built at the first check, not when the module is imported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from store.repositories.users import check_password, hash_password

REPO = Path(__file__).resolve().parents[2]


def test_checks_accept_only_the_right_password() -> None:
    stored = hash_password("correct horse")
    assert check_password(stored, "correct horse")
    assert not check_password(stored, "wrong horse")
    assert not check_password(None, "correct horse")  # unknown user: verified against the dummy hash
    assert not check_password("not-an-argon2-hash", "correct horse")


def test_importing_the_module_hashes_nothing() -> None:
    probe = ("import store.repositories.users as u; print(u.dummy_hash.cache_info().currsize); "
             "u.check_password(None, 'x'); print(u.dummy_hash.cache_info().currsize)")
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["0", "1"]
