"""The agent state machine in one table, in the style of h11's ``_state.py``.

An agent is in one :class:`AgentState`. An :class:`AgentEvent` (the desktop asks, a supervisor
forces, the carrier reports a ring, an answer, an end, a transfer or its own view, the agent saves
the outcome, the wrap-up time runs out) moves them by :data:`TRANSITIONS`: for each state, the
events it answers and the :class:`Move` each makes. A pair missing from the table is not a move:
a request from the desktop is refused, a call event changes nothing.

A :class:`Move` is data: the new state, what the carrier is told (the queue membership, see
:attr:`Move.carrier`), the pause reason the move sets itself, whether the event must be about the
agent's current call, and whether it ends a call (``last_call_ended_at``, the longest-idle order).
The presence service (``live/presence.py``), its repository (``store/repositories/
presence.py``, whose conditional UPDATEs take their allowed "from" states from :func:`sources`)
and the dialer's give-back read this table; nothing else lists transitions.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class AgentState(enum.StrEnum):
    LOGGED_OUT = "logged_out"
    READY = "ready"
    PAUSED = "paused"
    RINGING = "ringing"
    ON_CALL = "on_call"
    WRAP_UP = "wrap_up"


class PauseReason(enum.StrEnum):
    """The pause reasons the system sets itself. An agent's own pause codes are an admin-edited
    list (config/defaults/pause_codes.yaml), so a presence row's reason is one of these or a code."""

    WRAP_UP = "wrap_up"  # after a call, until the outcome is saved or the time runs out
    DIALER = "dialer"  # the dialer holds the agent in a preview (on the carrier only, not in presence)


class AgentEvent(enum.StrEnum):
    ASK_READY = "ask_ready"  # the desktop (PUT /api/agent/state)
    ASK_PAUSE = "ask_pause"  # with a known pause code
    ASK_LOGOUT = "ask_logout"
    FORCE_READY = "force_ready"  # a supervisor, whatever the state is now (audited)
    FORCE_PAUSE = "force_pause"
    FORCE_LOGOUT = "force_logout"
    RING = "ring"  # AgentRinging: the phone rings (the pop)
    CONNECT = "connect"  # AgentConnected: answered
    CALL_ENDED = "call_ended"  # CallEnded
    LEFT_CALL = "left_call"  # AgentLeftCall: transferred away, the call goes on without them
    CARRIER_READY = "carrier_ready"  # AgentStateChanged READY: the carrier's ring timed out
    CARRIER_LOGGED_OUT = "carrier_logged_out"  # AgentStateChanged LOGGED_OUT: gone from the queues
    OUTCOME_SAVED = "outcome_saved"  # InteractionSaved for the call being wrapped up
    WRAP_UP_EXPIRED = "wrap_up_expired"  # the wrap-up time ran out (claimed by one worker)


@dataclass(frozen=True, slots=True)
class Move:
    """What one transition does.

    ``carrier``: what the carrier is told, as the state it should hold the agent in (an
    ``AgentStateRequested``): READY joins the agent's queues unpaused, PAUSED joins them paused
    (with :attr:`reason`, or the agent's pause code), LOGGED_OUT leaves them; None tells it nothing
    (the carrier moved the agent itself, or the call holds them).
    """

    to: AgentState
    carrier: AgentState | None = None
    reason: PauseReason | None = None  # set by the move; a move to PAUSED takes the asked code instead
    same_call: bool = False  # only when the event is about the agent's current call
    ends_call: bool = False  # stamps last_call_ended_at

    def carrier_reason(self, code: str | None = None) -> str | None:
        """The reason the carrier is told with a pause (the move's own, else the agent's code)."""
        if self.carrier is not AgentState.PAUSED:
            return None
        return self.reason.value if self.reason is not None else code


S, E = AgentState, AgentEvent
_READY = Move(S.READY, carrier=S.READY)
_READY_AFTER_CALL = Move(S.READY, carrier=S.READY, ends_call=True)
_PAUSE = Move(S.PAUSED, carrier=S.PAUSED)
_LOGOUT = Move(S.LOGGED_OUT, carrier=S.LOGGED_OUT)
_WRAP_UP = Move(S.WRAP_UP, carrier=S.PAUSED, reason=PauseReason.WRAP_UP, same_call=True, ends_call=True)
_RING = Move(S.RINGING)
_CONNECT = Move(S.ON_CALL)
_ASKED = {E.ASK_PAUSE: _PAUSE, E.ASK_LOGOUT: _LOGOUT, E.FORCE_PAUSE: _PAUSE, E.FORCE_LOGOUT: _LOGOUT}

TRANSITIONS: dict[AgentState, dict[AgentEvent, Move]] = {
    S.LOGGED_OUT: {**_ASKED, E.ASK_READY: _READY, E.FORCE_READY: _READY, E.RING: _RING, E.CONNECT: _CONNECT},
    S.READY: {**_ASKED, E.ASK_READY: _READY, E.FORCE_READY: _READY, E.RING: _RING, E.CONNECT: _CONNECT,
              E.CARRIER_LOGGED_OUT: Move(S.LOGGED_OUT)},
    S.PAUSED: {**_ASKED, E.ASK_READY: _READY, E.FORCE_READY: _READY, E.CONNECT: _CONNECT,
               E.CARRIER_LOGGED_OUT: Move(S.LOGGED_OUT)},
    # ringing or talking, the state follows the call: the desktop cannot ask for ready
    S.RINGING: {**_ASKED, E.FORCE_READY: _READY, E.CONNECT: _CONNECT,
                E.CALL_ENDED: Move(S.READY, same_call=True),  # rang, never answered
                E.CARRIER_READY: Move(S.READY), E.CARRIER_LOGGED_OUT: Move(S.LOGGED_OUT)},
    S.ON_CALL: {**_ASKED, E.FORCE_READY: _READY_AFTER_CALL, E.CALL_ENDED: _WRAP_UP, E.LEFT_CALL: _WRAP_UP},
    # paused at the carrier meanwhile, so that no next call arrives
    S.WRAP_UP: {**_ASKED, E.ASK_READY: _READY_AFTER_CALL, E.FORCE_READY: _READY_AFTER_CALL,
                E.OUTCOME_SAVED: Move(S.READY, carrier=S.READY, same_call=True, ends_call=True),
                E.WRAP_UP_EXPIRED: _READY_AFTER_CALL},
}
del S, E

# What the carrier is told again after it restarted (it forgot its dynamic queue members), by the
# state the agent is in: (state at the carrier, reason); a PAUSED with no reason keeps the agent's.
REAPPLY: dict[AgentState, tuple[AgentState, PauseReason | None] | None] = {
    AgentState.LOGGED_OUT: None,
    AgentState.READY: (AgentState.READY, None),
    AgentState.PAUSED: (AgentState.PAUSED, None),
    AgentState.RINGING: (AgentState.READY, None),  # the resync ends calls that died
    AgentState.ON_CALL: (AgentState.READY, None),
    AgentState.WRAP_UP: (AgentState.PAUSED, PauseReason.WRAP_UP),
}

ON_A_CALL = frozenset({AgentState.RINGING, AgentState.ON_CALL})  # the carrier has a call for them
WITH_A_CALL = ON_A_CALL | {AgentState.WRAP_UP}  # ringing, talking or wrapping up on a call
ASKABLE = {AgentState.READY: AgentEvent.ASK_READY, AgentState.PAUSED: AgentEvent.ASK_PAUSE,
           AgentState.LOGGED_OUT: AgentEvent.ASK_LOGOUT}  # what the desktop may ask for
FORCEABLE = {AgentState.READY: AgentEvent.FORCE_READY, AgentState.PAUSED: AgentEvent.FORCE_PAUSE,
             AgentState.LOGGED_OUT: AgentEvent.FORCE_LOGOUT}  # what a supervisor may set


def transition(state: AgentState | str, event: AgentEvent) -> Move | None:
    """The move ``event`` makes from ``state``, or None when it makes none."""
    return TRANSITIONS[AgentState(state)].get(event)


def sources(event: AgentEvent, to: AgentState | None = None) -> tuple[AgentState, ...]:
    """The states ``event`` moves an agent from (to ``to`` only, if given), in table order: the
    allowed "from" states of a conditional UPDATE."""
    return tuple(state for state, moves in TRANSITIONS.items()
                 if event in moves and (to is None or moves[event].to is to))


def ends_call_from(event: AgentEvent, to: AgentState | None = None) -> tuple[AgentState, ...]:
    """Of :func:`sources`, the states from which the move stamps ``last_call_ended_at``."""
    return tuple(state for state in sources(event, to) if TRANSITIONS[state][event].ends_call)
