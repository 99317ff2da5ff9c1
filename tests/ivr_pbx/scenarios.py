"""sipp callers for the IVR: the digits and pauses of a walk through the menu, generated as a sipp
scenario that sends each key as SIP INFO ``application/dtmf-relay`` (any key, ``*`` and ``#``
included), then hangs up (BYE) at the end.

    walk = [Pause(1500), Keys("1"), Pause(800), Keys("4321"), Pause(800), Keys("0"), Pause(6000)]
    phone = ivr_caller("0712345678", walk).start()
"""

from __future__ import annotations

from dataclasses import dataclass

from tests.pbx.phones import LOOPBACK, SIP_PORT, SippPhone

DID_AGI_IVR = "0800123458"  # pbx/asterisk/extensions.conf: Answer, AGI(agi://127.0.0.1:4573/ivr,main), Queue

_INFO = """  <send retrans="500">
    <![CDATA[
      INFO sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "[caller]" <sip:[caller]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: {cseq} INFO
      Contact: <sip:[caller]@[local_ip]:[local_port]>
      Max-Forwards: 70
      Content-Type: application/dtmf-relay
      Content-Length: [len]

      Signal={key}
      Duration=120
    ]]>
  </send>
  <recv response="200"/>
"""


@dataclass(frozen=True)
class Keys:
    """Press ``digits`` one after the other, ``gap_ms`` apart."""

    digits: str
    gap_ms: int = 350


@dataclass(frozen=True)
class Pause:
    ms: int


Action = Keys | Pause


def scenario_middle(actions: list[Action]) -> tuple[str, int]:
    """The scenario between the ACK and the caller's BYE, and the CSeq the BYE must use."""
    parts: list[str] = []
    cseq = 1
    for action in actions:
        if isinstance(action, Pause):
            parts.append(f'  <pause milliseconds="{action.ms}"/>\n')
            continue
        for index, key in enumerate(action.digits):
            if index:
                parts.append(f'  <pause milliseconds="{action.gap_ms}"/>\n')
            cseq += 1
            parts.append(_INFO.format(cseq=cseq, key=key))
    return "".join(parts), cseq + 1


def ivr_caller(caller: str, actions: list[Action], *, local_port: int = 5071, timeout_s: float = 120,
               did: str = DID_AGI_IVR) -> SippPhone:
    """A customer calling the IVR from ``caller`` and doing ``actions`` (not started)."""
    middle, bye = scenario_middle(actions)
    return SippPhone(
        "uac_call", local_port=local_port, remote=f"{LOOPBACK}:{SIP_PORT}", service=did, keys={"caller": caller},
        calls=1, timeout_s=timeout_s, replace={"  <pause/>\n": middle, "CSeq: 2 BYE": f"CSeq: {bye} BYE"},
        name=f"ivr-caller-{caller}")
