"""The nodes of an IVR menu (see :mod:`config.lists.ivr_menu`): one model per kind, told apart by ``kind``."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator

from config.lists.common import Code, Label, ListModel

Digit = Annotated[str, StringConstraints(pattern=r"^[0-9*#]$")]
QueueName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
Seconds = Annotated[float, Field(gt=0, le=60)]
Tries = Annotated[int, Field(ge=1, le=20)]

#: Languages that ``ivr.words`` can speak numbers, dates and times in with our own recorded words
#: (for a language whose numbers Asterisk cannot say: ``asterisk_says: false``).
WORD_READER_LANGUAGES = frozenset({"sw"})


class IvrLanguage(ListModel):
    """A language callers may choose. ``asterisk_says``: Asterisk has number and date sounds in it
    (SAY NUMBER...); otherwise numbers, dates and times are spoken with our own words."""

    code: Code
    label: Label
    digit: Digit
    enabled: bool = True
    espeak_voice: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_+-]{1,40}$")]
    twilio_language: Annotated[str, StringConstraints(pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")]
    twilio_voice: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.-]{1,80}$")] | None = None
    asterisk_says: bool = True


class Retry(ListModel):
    """How a node that waits for digits handles invalid input and no input, each counted apart."""

    invalid_prompt: Code | None = None
    no_input_prompt: Code | None = None
    max_invalid: Tries | None = None
    max_no_input: Tries | None = None
    on_invalid_limit: Code | None = None
    on_no_input_limit: Code | None = None
    first_timeout: Seconds | None = None
    inter_timeout: Seconds | None = None


class PromptNode(ListModel):
    kind: Literal["prompt"]
    prompt: Code
    next: Code
    each_language: bool = False  # say it once in every enabled language (a greeting before the choice)


class LanguageNode(Retry):
    """The caller picks a language with one digit (skipped when only one is enabled)."""

    kind: Literal["language"]
    prompt: Code  # each enabled language's text is said in that language
    next: Code


class IdentifyCallerNode(ListModel):
    """A caller ID that matches exactly one customer identifies them (never verifies them)."""

    kind: Literal["identify_caller"]
    found: Code
    not_found: Code


class MenuNode(Retry):
    kind: Literal["menu"]
    prompt: Code
    options: dict[Digit, Code] = Field(min_length=1)
    repeat: Digit | None = "*"
    back: Digit | None = None  # returns to the previous menu

    @field_validator("options", mode="before")
    @classmethod
    def _digits_as_text(cls, value: Any) -> Any:
        return {str(k): v for k, v in value.items()} if isinstance(value, dict) else value


class InputNode(Retry):
    """Digit input. ``check``: account (identify by account number), verify (the last digits of
    the customer's ID; ``secret``), amount, date (DDMM), or none."""

    kind: Literal["input"]
    prompt: Code
    check: Literal["none", "account", "verify", "amount", "date"] = "none"
    min_digits: int = Field(default=1, ge=1, le=32)
    max_digits: int = Field(default=16, ge=1, le=32)
    finish_on: Digit | None = "#"
    secret: bool = False
    next: Code
    refusals: dict[str, Code] = Field(default_factory=dict)


class BalanceNode(ListModel):
    kind: Literal["balance"]
    prompt: Code  # {balance}, {instalment}, {due_date}
    no_instalment_prompt: Code  # {balance}
    none_prompt: Code
    next: Code


class PromiseNode(ListModel):
    """Saves the promise read back before it (the caller confirmed with the menu's key)."""

    kind: Literal["promise"]
    prompt: Code  # {amount}, {date}
    failed_prompt: Code
    next: Code
    failed: Code | None = None  # default: the menu's fallback


class CallbackNode(ListModel):
    kind: Literal["callback"]
    prompt: Code  # {date}, {time}
    blocked_prompt: Code
    next: Code


class QueueNode(ListModel):
    """The caller goes to agents: ``queue`` (default: the menu's queue)."""

    kind: Literal["queue"]
    prompt: Code | None = None
    queue: QueueName | None = None
    note: Literal["verification_failed", "not_identified"] | None = None


class GotoNode(ListModel):
    kind: Literal["goto"]
    target: Code


class HangupNode(ListModel):
    kind: Literal["hangup"]
    prompt: Code | None = None


Node = Annotated[
    PromptNode | LanguageNode | IdentifyCallerNode | MenuNode | InputNode | BalanceNode | PromiseNode
    | CallbackNode | QueueNode | GotoNode | HangupNode,
    Field(discriminator="kind"),
]
