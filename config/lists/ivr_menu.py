"""The customers' phone menu (``config/defaults/ivr.yaml``): its model and every check it must pass.

One definition that both carriers speak (FastAGI on Asterisk, TwiML on Twilio; see ``ivr/``). The
checks run whenever the file is loaded or an admin saves it (``PUT /api/config/lists/ivr``) and in
``switchboard ivr check FILE``; each refusal names the node (or prompt) and the field::

    nodes.main.options.5: no node named 'balanse'

Checked: every target exists, every node is reachable from ``start``, one action per digit (the
repeat and back keys included), a text for every prompt in every language, placeholders that the
node can fill (and the same ones in each language), tries >= 1, and that no node that speaks
account data (balance, promise, callback) can be reached without a successful verification.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from pydantic import Field, StringConstraints, model_validator

from config.lists.common import Code, Label, ListModel
from config.lists.ivr_checks import check_menu
from config.lists.ivr_nodes import (
    WORD_READER_LANGUAGES,
    BalanceNode,
    CallbackNode,
    Digit,
    GotoNode,
    HangupNode,
    IdentifyCallerNode,
    InputNode,
    IvrLanguage,
    LanguageNode,
    MenuNode,
    Node,
    PromiseNode,
    PromptNode,
    QueueName,
    QueueNode,
    Retry,
    Seconds,
    Tries,
)

__all__ = [
    "WORD_READER_LANGUAGES", "BalanceNode", "CallbackNode", "Defaults", "Digit", "GotoNode", "HangupNode",
    "IdentifyCallerNode", "InputNode", "IvrLanguage", "IvrMenu", "LanguageNode", "MenuNode", "Node", "PromiseNode",
    "PromptNode", "QueueNode", "ResolvedRetry", "Retry",
]

PromptText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=600)]


class Defaults(ListModel):
    invalid_prompt: Code
    no_input_prompt: Code
    max_invalid: Tries = 3
    max_no_input: Tries = 3
    fallback: Code  # where a limit leads unless the node says otherwise (an agent)
    first_timeout: Seconds = 6.0
    inter_timeout: Seconds = 3.0


class IvrMenu(ListModel):
    menu: Code = "main"
    start: Code
    queue: QueueName = "collections"
    account_prefixes: list[Annotated[str, StringConstraints(max_length=16)]] = Field(
        default_factory=lambda: [""])  # an account number N matches the client ID prefix+N
    defaults: Defaults
    languages: list[IvrLanguage] = Field(min_length=1)
    currencies: dict[Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")], dict[Code, Label]] = Field(
        default_factory=dict)  # the currency's name per language, e.g. KES: {en: shillings}
    nodes: dict[Code, Node] = Field(min_length=1)
    prompts: dict[Code, dict[Code, PromptText]] = Field(min_length=1)

    @model_validator(mode="after")
    def _coherent(self) -> IvrMenu:
        check_menu(self)
        return self

    # --- reading ------------------------------------------------------------------------------

    @property
    def enabled_languages(self) -> list[IvrLanguage]:
        return [lang for lang in self.languages if lang.enabled]

    def language(self, code: str) -> IvrLanguage:
        for lang in self.languages:
            if lang.code == code:
                return lang
        raise KeyError(code)

    def text(self, prompt: str, language: str) -> str:
        return self.prompts[prompt][language]

    def retry(self, node: Retry) -> ResolvedRetry:
        d = self.defaults
        return ResolvedRetry(
            invalid_prompt=node.invalid_prompt or d.invalid_prompt,
            no_input_prompt=node.no_input_prompt or d.no_input_prompt,
            max_invalid=node.max_invalid or d.max_invalid, max_no_input=node.max_no_input or d.max_no_input,
            on_invalid_limit=node.on_invalid_limit or d.fallback,
            on_no_input_limit=node.on_no_input_limit or d.fallback,
            first_timeout=node.first_timeout or d.first_timeout,
            inter_timeout=node.inter_timeout or d.inter_timeout)


@dataclass(frozen=True, slots=True)
class ResolvedRetry:
    """A waiting node's retry settings with the menu's defaults filled in."""

    invalid_prompt: str
    no_input_prompt: str
    max_invalid: int
    max_no_input: int
    on_invalid_limit: str
    on_no_input_limit: str
    first_timeout: float
    inter_timeout: float
