"""The TwiML renderer writes, byte for byte, what the ``twilio`` library's ``VoiceResponse`` writes
for the same step (the reference below is the renderer as it was built on that library): plays and
says of both languages, a voice or none, escaped text and URLs, every kind of next step."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

import pytest
from twilio.twiml.voice_response import Gather, VoiceResponse

from config.lists.ivr_menu import IvrMenu
from ivr.instructions import Collect, Hangup, Next, PlayPrompt, Route, SayAmount, SayDate, SayNumber, Speech, Step
from ivr.speech import sentence
from ivr.twiml import HANGUP, Recorded, TwimlUrls, render
from tests.ivr.support import default_menu, menu_with


def _reference_say(parent: VoiceResponse | Gather, menu: IvrMenu, speech: Sequence[Speech],
                   recorded: Recorded) -> None:
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


def reference(step: Step, menu: IvrMenu, urls: TwimlUrls, recorded: Recorded) -> str:
    response = VoiceResponse()
    _reference_say(response, menu, step.say, recorded)
    then = step.then
    if isinstance(then, Collect):
        gather = response.gather(
            input="dtmf", action=urls.action, method="POST", num_digits=then.max_digits,
            finish_on_key=then.finish_on or "", timeout=max(1, round(then.first_timeout)))
        _reference_say(gather, menu, then.speech, recorded)
        response.redirect(urls.no_input, method="POST")
    elif isinstance(then, Route):
        response.redirect(urls.queue(then.queue), method="POST")
    else:
        response.hangup()
    return str(response.to_xml())


def _voiced() -> IvrMenu:
    def change(data: dict[str, object]) -> None:
        data["languages"][1]["twilio_voice"] = "Polly.Amy-Neural"  # type: ignore[index]

    return menu_with(change)


URLS = TwimlUrls(action="https://sb.example/base/twilio/ivr?s=12&n=3",
                 no_input="https://sb.example/base/twilio/ivr?s=12&n=3&timeout=1",
                 queue=lambda q: f"https://sb.example/twilio/voice?queue={q}&x=<\"'>")
SPEECH: tuple[Speech, ...] = (
    PlayPrompt("greeting", "Welcome to Jua & Power <ltd> \"quoted\" 'single'", "en"),
    PlayPrompt("greeting", "Karibu Jua Power.", "sw"),
    SayNumber(4321, "en"), SayAmount(Decimal("40000.50"), "KES", "shillings", "en"),
    PlayPrompt("due__1", "Tarehe\tya\r\nmwisho >", "sw"), SayDate(date(2026, 12, 18), "sw"),
    PlayPrompt("silence", " . ", "en"),
)
NEXT: tuple[Next, ...] = (
    Collect("menu", SPEECH[:2], 1, 1, None, 6.0, 3.0), Collect("id", (), 4, 4, "#", 0.2, 3.0),
    Collect("amount", SPEECH[3:], 1, 7, "#", 10.6, 5.0), Route("collections"), Route("x&y", "note"), Hangup(),
)


def _recorded(names: set[str]) -> Recorded:
    return lambda language, name: (f"https://sb.example/ivr/prompts/{language}/{name}.wav?a=1&b=\"2\""
                                   if name in names else None)


@pytest.mark.parametrize("menu", [default_menu(), _voiced()], ids=["no-voice", "voice"])
@pytest.mark.parametrize("then", NEXT, ids=lambda n: type(n).__name__)
@pytest.mark.parametrize("say", [(), SPEECH[:1], SPEECH], ids=["silent", "one", "all"])
@pytest.mark.parametrize("played", [set(), {"greeting"}, {"greeting", "due__1", "silence"}], ids=["said", "some", "most"])
def test_render_writes_what_the_twilio_library_writes(menu: IvrMenu, then: Next, say: tuple[Speech, ...],
                                                      played: set[str]) -> None:
    step = Step(say, then)
    assert render(step, menu, URLS, _recorded(played)) == reference(step, menu, URLS, _recorded(played))


def test_the_hangup_document() -> None:
    response = VoiceResponse()
    response.hangup()
    assert HANGUP == str(response.to_xml()) == '<?xml version="1.0" encoding="UTF-8"?><Response><Hangup /></Response>'
