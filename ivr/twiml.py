"""The TwiML renderer, pure: an engine :class:`Step` as a TwiML document (``twilio.twiml``).

- speech is ``<Say language=… voice=…>`` with the text in the prompt's language (numbers, amounts
  and dates as words where we have a reader), or ``<Play>`` of a recorded file the app serves;
- digits are ``<Gather input="dtmf">`` with ``numDigits`` / ``finishOnKey`` / ``timeout``, the
  prompt inside it so a key interrupts it; then ``<Redirect>`` to the same step with
  ``timeout=1``: Twilio falls through to it when the caller pressed nothing;
- to agents: ``<Redirect>`` to ``/twilio/voice?queue=<queue>``, where the existing ACD offers the
  caller to an agent or parks them in its ``<Enqueue>``;
- a hang-up is ``<Hangup/>``.

Twilio has one ``timeout`` for every digit; the first-digit timeout is used (the longer one).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from twilio.twiml.voice_response import Gather, VoiceResponse

from config.lists.ivr_menu import IvrMenu
from ivr.instructions import Collect, Hangup, PlayPrompt, Route, Speech, Step
from ivr.speech import sentence

Recorded = Callable[[str, str], str | None]  # (language, piece name) -> URL of a recorded file, or None


@dataclass(frozen=True, slots=True)
class TwimlUrls:
    action: str  # the Gather's action (this session, this step)
    no_input: str  # where Twilio falls through to when nothing was pressed
    queue: Callable[[str], str]  # the ACD's entry for a queue


def _say(parent: VoiceResponse | Gather, menu: IvrMenu, speech: Sequence[Speech], recorded: Recorded) -> None:
    """Consecutive speech of one language becomes one ``<Say>``; a recorded piece is a ``<Play>``."""
    run: list[Speech] = []

    def flush() -> None:
        if not run:
            return
        text = sentence(run)
        if text.strip():
            lang = menu.language(run[0].language)
            parent.say(text, language=lang.twilio_language, voice=lang.twilio_voice)
        run.clear()

    for item in speech:
        url = recorded(item.language, item.name) if isinstance(item, PlayPrompt) else None
        if url is not None:
            flush()
            parent.play(url)
            continue
        if run and run[0].language != item.language:
            flush()
        run.append(item)
    flush()


def render(step: Step, menu: IvrMenu, urls: TwimlUrls, recorded: Recorded) -> str:
    response = VoiceResponse()
    _say(response, menu, step.say, recorded)
    then = step.then
    if isinstance(then, Collect):
        gather = response.gather(
            input="dtmf", action=urls.action, method="POST", num_digits=then.max_digits,
            finish_on_key=then.finish_on or "", timeout=max(1, round(then.first_timeout)))
        _say(gather, menu, then.speech, recorded)
        response.redirect(urls.no_input, method="POST")
    elif isinstance(then, Route):
        response.redirect(urls.queue(then.queue), method="POST")
    elif isinstance(then, Hangup):
        response.hangup()
    else:
        raise AssertionError(f"a step for the carrier cannot wait for {type(then).__name__}")
    return str(response.to_xml())
