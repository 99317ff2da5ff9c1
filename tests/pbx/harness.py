"""Loopback test PBX (Asterisk 22 in a Debian sid chroot) and sipp phones for tests.

Everything listens on 127.0.0.1 only. The chroot lifecycle lives in pbx/pbx.sh;
this module wraps it for pytest and runs sipp processes as SIP phones.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

from tests.pbx.phones import (  # re-exported: the harness API
    AGENT_PORTS,
    AMI_PORT,
    CUSTOMER_UAC_PORTS,
    CUSTOMER_UAS_PORT,
    DID_DIRECT,
    DID_IVR,
    LOOPBACK,
    SIP_PORT,
    SippError,
    SippPhone,
    agent_phone,
    customer_call,
    customer_phone_uas,
)

REPO = Path(__file__).resolve().parents[2]
PBX_SH = REPO / "pbx" / "pbx.sh"
AST_CONF = "/etc/asterisk-test/asterisk.conf"

__all__ = [
    "AGENT_PORTS",
    "AMI_PORT",
    "CUSTOMER_UAC_PORTS",
    "CUSTOMER_UAS_PORT",
    "DID_DIRECT",
    "DID_IVR",
    "LOOPBACK",
    "SIP_PORT",
    "Pbx",
    "PbxError",
    "SippError",
    "SippPhone",
    "agent_phone",
    "customer_call",
    "customer_phone_uas",
]


class PbxError(RuntimeError):
    """The test PBX could not be built, started or stopped."""


class Pbx:
    """Handle on the chroot Asterisk managed by pbx/pbx.sh."""

    ami_host = LOOPBACK
    ami_port = AMI_PORT
    ami_username = "switchboard"
    ami_secret = "switchboard-test"
    sip_host = LOOPBACK
    sip_port = SIP_PORT

    def __init__(self, script: Path = PBX_SH):
        self.script = Path(script)
        self._root: Path | None = None

    @staticmethod
    def available() -> bool:
        """True when this process can run the PBX (Linux, root, the script present)."""
        if os.environ.get("SWITCHBOARD_SKIP_PBX") == "1":
            return False
        return (
            hasattr(os, "geteuid")
            and os.geteuid() == 0
            and PBX_SH.exists()
            and shutil.which("chroot") is not None
        )

    def _run(self, *args: str, timeout: float = 120) -> str:
        try:
            proc = subprocess.run(
                ["bash", str(self.script), *args],
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            raise PbxError(f"pbx.sh {' '.join(args)} timed out after {timeout}s") from exc
        if proc.returncode != 0:
            raise PbxError(
                f"pbx.sh {' '.join(args)} failed (rc={proc.returncode}):\n{proc.stdout}{proc.stderr}"
                f"\n--- asterisk log tail ---\n{self.log_tail()}"
            )
        return proc.stdout + proc.stderr

    @property
    def root(self) -> Path:
        if self._root is None:
            self._root = Path(self._run("root", timeout=10).strip())
        return self._root

    def log_tail(self, lines: int = 40) -> str:
        """Last lines of the Asterisk log (ROOT/var/log/asterisk-test/messages.log)."""
        try:
            path = self.root / "var/log/asterisk-test/messages.log"
            return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, PbxError):
            return "(no asterisk log)"

    def ensure_root(self) -> None:
        """Build the cached chroot (debootstrap, about a minute) if it is missing."""
        self._run("build", timeout=1500)

    def start(self, timeout: float = 30) -> None:
        self._run("start", timeout=1500)  # builds the root first when needed
        self.wait_ready(timeout)

    def stop(self) -> None:
        self._run("stop", timeout=30)

    def kill(self) -> None:
        """SIGKILL Asterisk (by its pidfile): for reconnect tests."""
        self._run("kill", timeout=15)

    def restart(self, timeout: float = 30) -> None:
        self.stop()
        self.start(timeout)

    def is_running(self) -> bool:
        return (
            subprocess.run(["bash", str(self.script), "status"], capture_output=True, timeout=15).returncode
            == 0
        )

    def wait_ready(self, timeout: float = 15) -> str:
        """Wait until AMI sends its banner; returns the banner line."""
        deadline = time.monotonic() + timeout
        last: Exception | None = None
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.ami_host, self.ami_port), timeout=2) as s:
                    s.settimeout(2)
                    banner = s.makefile("rb").readline().decode().strip()
                    if banner.startswith("Asterisk Call Manager/"):
                        return banner
            except OSError as exc:
                last = exc
            time.sleep(0.1)
        raise PbxError(f"AMI not ready on {self.ami_host}:{self.ami_port} after {timeout}s: {last}")

    def cli(self, command: str, timeout: float = 10) -> str:
        """Run an Asterisk CLI command (e.g. 'queue show collections') for debugging."""
        cmd = ["chroot", str(self.root), "/usr/sbin/asterisk", "-C", AST_CONF, "-rx", command]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        return proc.stdout + proc.stderr

    def reset(self) -> None:
        """Hang up every channel and remove every dynamic queue member (between tests)."""
        self.cli("channel request hangup all")
        queue = ""
        for line in self.cli("queue show").splitlines():
            if "calls (max" in line:
                queue = line.split()[0]
            # "Agent 1001 (PJSIP/1001) (dynamic) ..." or, added without a name, "PJSIP/1001 (dynamic) ..."
            elif queue and (m := re.search(r"(?:PJSIP|Local|SIP)/[^)\s]+", line)):
                self.cli(f"queue remove member {m.group(0)} from {queue}")
        self.cli("queue reset stats")
        deadline = time.monotonic() + 5
        while "0 active channels" not in self.cli("core show channels count"):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)
