"""Loopback test PBX (Asterisk 22 in a Debian sid chroot) and sipp phones for tests.

Everything listens on 127.0.0.1 only. The chroot lifecycle lives in scripts/pbx.sh;
this module wraps it for pytest and runs sipp processes as SIP phones.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PBX_SH = REPO / "scripts" / "pbx.sh"
SIPP_DIR = Path(__file__).resolve().parent / "sipp"

LOOPBACK = "127.0.0.1"
SIP_PORT = 5060
AMI_PORT = 5038
AGENT_PORTS = {1001: 5010, 1002: 5020, 1003: 5030, 1004: 5040}
CUSTOMER_UAC_PORTS = tuple(range(5070, 5080))  # identified as endpoint "trunk"
CUSTOMER_UAS_PORT = 5080  # contact of the trunk: outbound calls land here
DID_IVR = "0800123456"
DID_DIRECT = "0800123457"
AST_CONF = "/etc/asterisk-test/asterisk.conf"


class PbxError(RuntimeError):
    """The test PBX could not be built, started or stopped."""


class Pbx:
    """Handle on the chroot Asterisk managed by scripts/pbx.sh."""

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
            os.name == "posix"
            and hasattr(os, "geteuid")
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

    @property
    def log_path(self) -> Path:
        return self.root / "var/log/asterisk-test/messages.log"

    def log_tail(self, lines: int = 40) -> str:
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
        proc = subprocess.run(["bash", str(self.script), "status"], capture_output=True, timeout=15)
        return proc.returncode == 0

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
        proc = subprocess.run(
            ["chroot", str(self.root), "/usr/sbin/asterisk", "-C", AST_CONF, "-rx", command],
            capture_output=True, text=True, timeout=timeout,
        )
        return proc.stdout + proc.stderr

    def reset(self) -> None:
        """Hang up every channel and remove every dynamic queue member (between tests)."""
        self.cli("channel request hangup all")
        queue = ""
        for line in self.cli("queue show").splitlines():
            if "calls (max" in line:
                queue = line.split()[0]
            elif queue and (m := re.search(r"\((?:PJSIP|Local|SIP)/[^)\s]+\)", line)):
                self.cli(f"queue remove member {m.group(0)[1:-1]} from {queue}")
        self.cli("queue reset stats")
        deadline = time.monotonic() + 5
        while "0 active channels" not in self.cli("core show channels count"):
            if time.monotonic() > deadline:
                break
            time.sleep(0.1)


def _udp_bound(port: int) -> bool:
    want = f"0100007F:{port:04X}"
    try:
        with open("/proc/net/udp") as fh:
            return any(line.split()[1] == want for line in fh.readlines()[1:])
    except OSError:
        return True


class SippPhone:
    """One sipp process playing a phone (UAS) or placing calls (UAC)."""

    def __init__(self, scenario: str, *, local_port: int, remote: str | None = None,
                 service: str | None = None, keys: dict[str, str] | None = None,
                 calls: int | None = None, duration_ms: int | None = None,
                 timeout_s: float = 120, replace: dict[str, str] | None = None, name: str = ""):
        self.scenario = scenario
        self.local_port = local_port
        self.name = name or f"{scenario}@{local_port}"
        self.workdir = Path(tempfile.mkdtemp(prefix=f"sipp-{local_port}-"))
        src = SIPP_DIR / f"{scenario}.xml"
        if not src.exists():
            raise FileNotFoundError(src)
        text = src.read_text()
        for old, new in (replace or {}).items():
            if old not in text:
                raise ValueError(f"{old!r} not in {src.name}")
            text = text.replace(old, new)
        self.scenario_file = self.workdir / src.name
        self.scenario_file.write_text(text)
        self.out_path = self.workdir / "stdout.log"
        self.err_path = self.workdir / "errors.log"
        self.msg_path = self.workdir / "messages.log"
        cmd = ["sipp"] + ([remote] if remote else [])
        cmd += ["-sf", str(self.scenario_file), "-i", LOOPBACK, "-p", str(local_port),
                "-mi", LOOPBACK, "-mp", str(local_port + 10000), "-nostdin",
                "-timeout", f"{int(timeout_s)}s",
                "-trace_err", "-error_file", str(self.err_path),
                "-trace_msg", "-message_file", str(self.msg_path)]
        if service:
            cmd += ["-s", service]
        if calls is not None:
            cmd += ["-m", str(calls)]
        if remote:
            cmd += ["-l", "1", "-r", "1"]
        if duration_ms is not None:
            cmd += ["-d", str(int(duration_ms))]
        for key, value in (keys or {}).items():
            cmd += ["-key", key, str(value)]
        self.cmd = cmd
        self.proc: subprocess.Popen | None = None

    def start(self, ready_timeout: float = 5) -> "SippPhone":
        if shutil.which("sipp") is None:
            raise PbxError("sipp not installed (Debian package sip-tester; scripts/pbx.sh build installs it)")
        if _udp_bound(self.local_port):
            raise PbxError(f"127.0.0.1:{self.local_port} is already in use (a stray sipp?)")
        with open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(self.cmd, cwd=self.workdir, stdin=subprocess.DEVNULL,
                                         stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + ready_timeout
        while not _udp_bound(self.local_port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise PbxError(f"sipp {self.name} did not bind 127.0.0.1:{self.local_port}\n{self.logs()}")
            time.sleep(0.05)
        return self

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def wait(self, timeout: float = 60) -> int:
        assert self.proc is not None, "not started"
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired as exc:
            raise TimeoutError(f"sipp {self.name} still running after {timeout}s\n{self.logs()}") from exc

    def check(self, timeout: float = 60) -> None:
        """Wait for exit and raise with the logs unless every call succeeded (rc 0)."""
        rc = self.wait(timeout)
        if rc != 0:
            raise AssertionError(f"sipp {self.name} exited rc={rc}\n{self.logs()}")

    def stop(self, grace: float = 2) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return self.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(5)

    def messages(self) -> str:
        return self.msg_path.read_text(errors="replace") if self.msg_path.exists() else ""

    def logs(self, lines: int = 60) -> str:
        parts = [f"cmd: {' '.join(self.cmd)}"]
        for label, path in (("errors", self.err_path), ("messages", self.msg_path)):
            if path.exists():
                body = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {label} ({path}) ---\n" + "\n".join(body))
        return "\n".join(parts)

    def __enter__(self) -> "SippPhone":
        return self if self.proc else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def agent_phone(ext: int = 1001, scenario: str = "uas_answer", calls: int | None = None,
                timeout_s: float = 300, hold_seconds: float | None = None) -> SippPhone:
    """Start the sipp phone of agent `ext` (1001-1004) on its fixed port; returns it running."""
    return SippPhone(scenario, local_port=AGENT_PORTS[ext], calls=calls, timeout_s=timeout_s,
                     duration_ms=None if hold_seconds is None else int(hold_seconds * 1000),
                     name=f"agent-{ext}").start()


def customer_call(caller: str = "0712345678", did: str = DID_DIRECT, scenario: str | None = None,
                  hold_seconds: float = 2.0, digit: str | None = None, local_port: int = 5070,
                  calls: int = 1, timeout_s: float = 90) -> SippPhone:
    """Place a customer call through the trunk. scenario: uac_call (default), uac_ivr (when
    digit is given), or uac_abandon (hold_seconds = ringing time before CANCEL)."""
    if scenario is None:
        scenario = "uac_ivr" if digit is not None else "uac_call"
    replace = None
    if digit is not None:
        tone = {"#": "pound", "*": "star"}.get(digit, digit)
        replace = {"dtmf_2833_1.pcap": f"dtmf_2833_{tone}.pcap"}
    return SippPhone(scenario, local_port=local_port, remote=f"{LOOPBACK}:{SIP_PORT}", service=did,
                     keys={"caller": caller}, calls=calls, duration_ms=int(hold_seconds * 1000),
                     timeout_s=timeout_s, replace=replace, name=f"customer-{caller}").start()


def customer_phone_uas(scenario: str = "uas_answer_hangup", hold_seconds: float = 2.0,
                       calls: int | None = None, port: int = CUSTOMER_UAS_PORT,
                       timeout_s: float = 300) -> SippPhone:
    """Start the customer's phone that outbound (trunk) calls reach: answers, talks, hangs up.
    Use scenario="uas_busy" / "uas_noanswer" / "uas_answer" for the other outcomes."""
    return SippPhone(scenario, local_port=port, calls=calls, timeout_s=timeout_s,
                     duration_ms=int(hold_seconds * 1000), name="customer-uas").start()
