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

The document is written here, as the ``twilio`` library's ``VoiceResponse`` would write it through
ElementTree (attributes sorted by name, none for ``None``, the same escaping, ``<Name />`` when
empty), byte for byte: building it through those objects cost ~0.6 ms of CPU per answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from config.lists.ivr_menu import IvrMenu
from ivr.instructions import Collect, Hangup, PlayPrompt, Route, Speech, Step
from ivr.speech import sentence

Recorded = Callable[[str, str], str | None]  # (language, piece name) -> URL of a recorded file, or None


@dataclass(frozen=True, slots=True)
class TwimlUrls:
    action: str  # the Gather's action (this session, this step)
    no_input: str  # where Twilio falls through to when nothing was pressed
    queue: Callable[[str], str]  # the ACD's entry for a queue


XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'


_ATTRIBUTE_ENTITIES = {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#09;"}  # beyond & < >, as ElementTree


def _text(text: str) -> str:
    """Character data, escaped as ElementTree does (``&``, ``<``, ``>``)."""
    return escape(text)


def _attribute(value: object) -> str:
    """An attribute's value as twilio.twiml sets it (booleans lower case), escaped as ElementTree does."""
    return escape(str(value).lower() if isinstance(value, bool) else str(value), _ATTRIBUTE_ENTITIES)


def element(name: str, content: str = "", **attributes: object) -> str:
    """``<name a="..." b="...">content</name>`` (attributes by name, ``None`` left out), or
    ``<name ... />`` without content; ``content`` is markup (escape text with :func:`_text`)."""
    head = "<" + name + "".join(f' {key}="{_attribute(value)}"' for key, value in sorted(attributes.items())
                                if value is not None)
    return f"{head}>{content}</{name}>" if content else head + " />"


def document(*verbs: str) -> str:
    return XML_DECLARATION + element("Response", "".join(verbs))


HANGUP = document(element("Hangup"))


def _say(menu: IvrMenu, speech: Sequence[Speech], recorded: Recorded) -> str:
    """Consecutive speech of one language becomes one ``<Say>``; a recorded piece is a ``<Play>``."""
    out: list[str] = []
    run: list[Speech] = []

    def flush() -> None:
        if not run:
            return
        text = sentence(run)
        if text.strip():
            lang = menu.language(run[0].language)
            out.append(element("Say", _text(text), language=lang.twilio_language, voice=lang.twilio_voice))
        run.clear()

    for item in speech:
        url = recorded(item.language, item.name) if isinstance(item, PlayPrompt) else None
        if url is not None:
            flush()
            out.append(element("Play", _text(url)))
            continue
        if run and run[0].language != item.language:
            flush()
        run.append(item)
    flush()
    return "".join(out)


def render(step: Step, menu: IvrMenu, urls: TwimlUrls, recorded: Recorded) -> str:
    said = _say(menu, step.say, recorded)
    then = step.then
    if isinstance(then, Collect):
        gather = element("Gather", _say(menu, then.speech, recorded), input="dtmf", action=urls.action,
                         method="POST", numDigits=then.max_digits, finishOnKey=then.finish_on or "",
                         timeout=max(1, round(then.first_timeout)))
        return document(said, gather, element("Redirect", _text(urls.no_input), method="POST"))
    if isinstance(then, Route):
        return document(said, element("Redirect", _text(urls.queue(then.queue)), method="POST"))
    if isinstance(then, Hangup):
        return document(said, element("Hangup"))
    raise AssertionError(f"a step for the carrier cannot wait for {type(then).__name__}")
