"""sipp processes as SIP phones for the loopback test PBX (all on 127.0.0.1).

Agents are UAS phones on fixed ports (1001 on 5010 ... 1004 on 5040); customers call in
as UACs from 5070-5079 (identified as the trunk) or answer outbound calls on 5080.
Scenarios are the XML files in pbx/sipp/.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

SIPP_DIR = Path(__file__).resolve().parents[2] / "pbx" / "sipp"

LOOPBACK = "127.0.0.1"
SIP_PORT = 5060
AMI_PORT = 5038
AGENT_PORTS = {1001: 5010, 1002: 5020, 1003: 5030, 1004: 5040}
CUSTOMER_UAC_PORTS = tuple(range(5070, 5080))  # identified as endpoint "trunk"
CUSTOMER_UAS_PORT = 5080  # contact of the trunk: outbound calls land here
DID_IVR = "0800123456"
DID_DIRECT = "0800123457"


class SippError(RuntimeError):
    """A sipp phone could not start (sipp missing, port taken)."""


def _udp_bound(port: int) -> bool:
    want = f"0100007F:{port:04X}"
    try:
        with open("/proc/net/udp") as fh:
            return any(line.split()[1] == want for line in fh.readlines()[1:])
    except OSError:
        return True


class SippPhone:
    """One sipp process playing a phone (UAS) or placing calls (UAC)."""

    def __init__(
        self,
        scenario: str,
        *,
        local_port: int,
        remote: str | None = None,
        service: str | None = None,
        keys: dict[str, str] | None = None,
        calls: int | None = None,
        duration_ms: int | None = None,
        timeout_s: float = 120,
        replace: dict[str, str] | None = None,
        name: str = "",
    ):
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
        cmd += [
            "-sf",
            str(self.scenario_file),
            "-i",
            LOOPBACK,
            "-p",
            str(local_port),
            "-mi",
            LOOPBACK,
            "-mp",
            str(local_port + 10000),
            "-nostdin",
            "-timeout",
            f"{int(timeout_s)}s",
            "-trace_err",
            "-error_file",
            str(self.err_path),
            "-trace_msg",
            "-message_file",
            str(self.msg_path),
        ]
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

    def start(self, ready_timeout: float = 5) -> SippPhone:
        if shutil.which("sipp") is None:
            raise SippError(
                "sipp not installed (Debian package sip-tester; pbx/pbx.sh build installs it)"
            )
        if _udp_bound(self.local_port):
            raise SippError(f"127.0.0.1:{self.local_port} is already in use (a stray sipp?)")
        with open(self.out_path, "wb") as out:
            self.proc = subprocess.Popen(
                self.cmd,
                cwd=self.workdir,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + ready_timeout
        while not _udp_bound(self.local_port):
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SippError(f"sipp {self.name} did not bind 127.0.0.1:{self.local_port}\n{self.logs()}")
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

    def cleanup(self) -> None:
        """Stop the process and delete its scenario copy and logs."""
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)

    def messages(self) -> str:
        return self.msg_path.read_text(errors="replace") if self.msg_path.exists() else ""

    def logs(self, lines: int = 60) -> str:
        parts = [f"cmd: {' '.join(self.cmd)}"]
        for label, path in (("errors", self.err_path), ("messages", self.msg_path)):
            if path.exists():
                body = path.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {label} ({path}) ---\n" + "\n".join(body))
        return "\n".join(parts)

    def __enter__(self) -> SippPhone:
        return self if self.proc else self.start()

    def __exit__(self, *exc) -> None:
        self.cleanup()


def agent_phone(
    ext: int = 1001,
    scenario: str = "uas_answer",
    calls: int | None = None,
    timeout_s: float = 300,
    hold_seconds: float | None = None,
) -> SippPhone:
    """Start the sipp phone of agent `ext` (1001-1004) on its fixed port; returns it running."""
    return SippPhone(
        scenario,
        local_port=AGENT_PORTS[ext],
        calls=calls,
        timeout_s=timeout_s,
        duration_ms=None if hold_seconds is None else int(hold_seconds * 1000),
        name=f"agent-{ext}",
    ).start()


def customer_call(
    caller: str = "0712345678",
    did: str = DID_DIRECT,
    scenario: str | None = None,
    hold_seconds: float = 2.0,
    digit: str | None = None,
    local_port: int = 5070,
    calls: int = 1,
    timeout_s: float = 90,
) -> SippPhone:
    """Place a customer call through the trunk. scenario: uac_call (default), uac_ivr (when
    digit is given), or uac_abandon (hold_seconds = ringing time before CANCEL)."""
    if scenario is None:
        scenario = "uac_ivr" if digit is not None else "uac_call"
    replace = None
    if digit is not None:
        tone = {"#": "pound", "*": "star"}.get(digit, digit)
        replace = {"dtmf_2833_1.pcap": f"dtmf_2833_{tone}.pcap"}
    return SippPhone(
        scenario,
        local_port=local_port,
        remote=f"{LOOPBACK}:{SIP_PORT}",
        service=did,
        keys={"caller": caller},
        calls=calls,
        duration_ms=int(hold_seconds * 1000),
        timeout_s=timeout_s,
        replace=replace,
        name=f"customer-{caller}",
    ).start()


def customer_phone_uas(
    scenario: str = "uas_answer_hangup",
    hold_seconds: float = 2.0,
    calls: int | None = None,
    port: int = CUSTOMER_UAS_PORT,
    timeout_s: float = 300,
) -> SippPhone:
    """Start the customer's phone that outbound (trunk) calls reach: answers, talks, hangs up.
    Use scenario="uas_busy" / "uas_noanswer" / "uas_answer" for the other outcomes."""
    return SippPhone(
        scenario,
        local_port=port,
        calls=calls,
        timeout_s=timeout_s,
        duration_ms=int(hold_seconds * 1000),
        name="customer-uas",
    ).start()
