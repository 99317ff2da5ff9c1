"""The IVR engine: pure. Digits, a timeout, a hang-up or a data answer in; one :class:`Step` out.

    engine = IvrEngine(menu, caller="+254712345678")
    step = engine.start()                 # greeting, language choice: Collect(...)
    step = engine.feed(Digits("1"))       # English; then FindCaller(...): the data port answers
    step = engine.feed(CallerMatches((7,)))

Invalid input and no input are counted apart per node visit, each with its prompt, its limit and
its destination; no input replays the prompt. A node that speaks or changes account data needs a
verified caller (the menu's checks make sure no path skips verification; the engine refuses too).
Every session ends in a :class:`Route` or a :class:`Hangup`: the menu's checks forbid a loop
without a node that waits for the caller, and after ``max_inputs`` caller inputs the engine sends
the caller to the menu's queue.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from config.lists.ivr_menu import (
    BalanceNode,
    CallbackNode,
    GotoNode,
    HangupNode,
    IdentifyCallerNode,
    InputNode,
    IvrMenu,
    LanguageNode,
    MenuNode,
    PromiseNode,
    PromptNode,
    QueueNode,
)
from domain.errors import ProtocolViolation
from ivr.instructions import (
    AccountMatch,
    AccountView,
    BookCallback,
    CallbackBooked,
    CallerMatches,
    Collect,
    Digits,
    FindAccount,
    FindCaller,
    Hangup,
    HungUp,
    Input,
    LoadAccount,
    NoInput,
    NoteBalance,
    Noted,
    PathEntry,
    PromiseSaved,
    Request,
    Route,
    SavePromise,
    Speech,
    Step,
    Verified,
    Verify,
)
from ivr.speech import speak
from ivr.state import EngineState, SessionRecord
from ivr.values import promise_date, values_of

MAX_INPUTS = 60  # caller inputs in one session before the caller is sent to agents
_ANSWERS = {"FindCaller": CallerMatches, "FindAccount": AccountMatch, "Verify": Verified, "LoadAccount": AccountView,
            "SavePromise": PromiseSaved, "BookCallback": CallbackBooked, "NoteBalance": Noted}


class IvrEngine:
    def __init__(self, menu: IvrMenu, caller: str = "", *, state: EngineState | None = None,
                 max_inputs: int = MAX_INPUTS) -> None:
        self.menu = menu
        self.max_inputs = max_inputs
        self.state = state or EngineState(node=menu.start, language=menu.enabled_languages[0].code, caller=caller)

    # --- the interface ------------------------------------------------------------------------

    def start(self) -> Step:
        if self.state.waiting != "new":
            raise ProtocolViolation("the IVR session has already started")
        return self._enter(self.menu.start, [])

    def feed(self, item: Input) -> Step:
        s = self.state
        if s.waiting == "done":
            raise ProtocolViolation("the IVR session has ended")
        if s.waiting == "new":
            raise ProtocolViolation("start the IVR session first")
        if isinstance(item, HungUp):
            s.hung_up = True
            return self._finish([], Hangup())
        if s.waiting == "request":
            expected = _ANSWERS[s.request or ""]
            if not isinstance(item, expected):
                raise ProtocolViolation(f"the engine awaits {expected.__name__}, not {type(item).__name__}")
            return self._answered(item)
        if not isinstance(item, Digits | NoInput):
            raise ProtocolViolation(f"the engine awaits digits, not {type(item).__name__}")
        s.inputs += 1
        if s.inputs > self.max_inputs:
            s.path.append(PathEntry(s.node, "limit"))
            return self._finish([], Route(self.menu.queue))
        if isinstance(item, NoInput):
            return self._no_input()
        return self._digits(item.value)

    def repeat(self) -> Step:
        """The current prompt again, for a repeated request: nothing is counted or recorded."""
        if self.state.waiting != "collect":
            raise ProtocolViolation("the IVR session is not waiting for digits")
        return self._collect([])

    def give_up(self) -> Step:
        """The data port failed: the caller goes to the menu's queue (never left in silence)."""
        self.state.path.append(PathEntry(self.state.node, "error"))
        return self._finish([], Route(self.menu.queue))

    @property
    def finished(self) -> bool:
        return self.state.waiting == "done"

    def record(self) -> SessionRecord:
        return self.state.record()

    # --- moving ---------------------------------------------------------------------------------

    def _enter(self, node_id: str, say: list[Speech]) -> Step:
        s = self.state
        for _ in range(2 * len(self.menu.nodes) + 2):
            s.steps += 1
            node = self.menu.nodes[node_id]
            if s.node != node_id:
                s.invalid = s.no_input = 0
            s.node = node_id
            s.path.append(PathEntry(node_id))
            match node:
                case PromptNode():
                    langs = [lang.code for lang in self.menu.enabled_languages] if node.each_language else [s.language]
                    for code in langs:
                        say += speak(self.menu, node.prompt, code)
                    node_id = node.next
                case GotoNode():
                    node_id = node.target
                case LanguageNode():
                    enabled = self.menu.enabled_languages
                    if len(enabled) > 1:
                        return self._collect(say)
                    s.language = enabled[0].code
                    node_id = node.next
                case IdentifyCallerNode():
                    if s.caller:
                        return self._ask(say, FindCaller(s.caller), "identify")
                    node_id = node.not_found
                case MenuNode() | InputNode():
                    if isinstance(node, MenuNode) and (not s.menus or s.menus[-1] != node_id):
                        s.menus.append(node_id)
                    return self._collect(say)
                case QueueNode():
                    if node.prompt:
                        say += speak(self.menu, node.prompt, s.language)
                    return self._finish(say, Route(node.queue or self.menu.queue, node.note))
                case HangupNode():
                    if node.prompt:
                        say += speak(self.menu, node.prompt, s.language)
                    return self._finish(say, Hangup())
                case BalanceNode() | PromiseNode() | CallbackNode():
                    if not s.verified or s.customer_id is None:
                        node_id = self.menu.defaults.fallback  # never speak account data unverified
                        continue
                    if s.account is None:
                        return self._ask(say, LoadAccount(s.customer_id), "load")
                    return self._account_action(node, say)
        s.path.append(PathEntry(node_id, "loop"))
        return self._finish(say, Route(self.menu.queue))

    def _account_action(self, node: BalanceNode | PromiseNode | CallbackNode, say: list[Speech]) -> Step:
        s = self.state
        assert s.customer_id is not None
        if isinstance(node, BalanceNode):
            return self._ask(say, NoteBalance(s.customer_id), "balance")
        if isinstance(node, CallbackNode):
            return self._ask(say, BookCallback(s.customer_id), "callback")
        if s.amount is None or s.due is None:
            say += speak(self.menu, node.failed_prompt, s.language)
            return self._enter(node.failed or self.menu.defaults.fallback, say)
        return self._ask(say, SavePromise(s.customer_id, s.amount, s.due), "promise")

    def _collect(self, say: list[Speech]) -> Step:
        s = self.state
        node = self.menu.nodes[s.node]
        assert isinstance(node, LanguageNode | MenuNode | InputNode)
        retry = self.menu.retry(node)
        if isinstance(node, LanguageNode):
            for lang in self.menu.enabled_languages:
                say += speak(self.menu, node.prompt, lang.code)
        else:
            say += speak(self.menu, node.prompt, s.language, self._values())
        s.waiting, s.request, s.stage = "collect", None, None
        if isinstance(node, InputNode):
            lengths, finish, secret = (node.min_digits, node.max_digits), node.finish_on, node.secret
        else:
            lengths, finish, secret = (1, 1), None, False
        return Step((), Collect(
            node=s.node, speech=tuple(say), min_digits=lengths[0], max_digits=lengths[1], finish_on=finish,
            first_timeout=retry.first_timeout, inter_timeout=retry.inter_timeout, secret=secret))

    def _ask(self, say: list[Speech], request: Request, stage: str) -> Step:
        s = self.state
        s.waiting, s.request, s.stage = "request", type(request).__name__, stage
        return Step(tuple(say), request)

    def _finish(self, say: list[Speech], end: Route | Hangup) -> Step:
        s = self.state
        s.waiting, s.request, s.stage = "done", None, None
        if isinstance(end, Route):
            s.route = end
        return Step(tuple(say), end)

    # --- caller input ---------------------------------------------------------------------------

    def _no_input(self) -> Step:
        s = self.state
        node = self.menu.nodes[s.node]
        assert isinstance(node, LanguageNode | MenuNode | InputNode)
        retry = self.menu.retry(node)
        s.path.append(PathEntry(s.node, "timeout"))
        s.no_input += 1
        say = speak(self.menu, retry.no_input_prompt, s.language)
        if s.no_input >= retry.max_no_input:
            return self._enter(retry.on_no_input_limit, say)
        return self._collect(say)

    def _invalid(self, prompt: str | None, shown: str) -> Step:
        s = self.state
        node = self.menu.nodes[s.node]
        assert isinstance(node, LanguageNode | MenuNode | InputNode)
        retry = self.menu.retry(node)
        s.path.append(PathEntry(s.node, shown))
        s.invalid += 1
        say = speak(self.menu, prompt or retry.invalid_prompt, s.language)
        if s.invalid >= retry.max_invalid:
            return self._enter(retry.on_invalid_limit, say)
        return self._collect(say)

    def _digits(self, digits: str) -> Step:
        s = self.state
        node = self.menu.nodes[s.node]
        if isinstance(node, LanguageNode):
            chosen = [lang for lang in self.menu.enabled_languages if lang.digit == digits]
            if not chosen:
                return self._invalid(None, digits[:8] or "#")
            s.language = chosen[0].code
            s.path.append(PathEntry(s.node, digits))
            return self._enter(node.next, [])
        if isinstance(node, MenuNode):
            return self._menu_digit(node, digits)
        assert isinstance(node, InputNode)
        shown = "*" * len(digits) if node.secret else digits[:32]
        if not (node.min_digits <= len(digits) <= node.max_digits) or not digits.isdigit():
            return self._invalid(None, shown or "#")
        if node.check == "amount":
            refused = self._amount_refused(Decimal(int(digits)))
        elif node.check == "date":
            refused = self._date_refused(digits)
        else:
            refused = None
        if refused is not None:
            return self._invalid(node.refusals[refused], f"{shown}!{refused}")
        s.path.append(PathEntry(s.node, shown))
        if node.check == "account":
            return self._ask([], FindAccount(digits), "account")
        if node.check == "verify":
            if s.customer_id is None:
                return self._enter(self.menu.retry(node).on_invalid_limit, [])
            return self._ask([], Verify(s.customer_id, digits), "verify")
        return self._enter(node.next, [])

    def _menu_digit(self, node: MenuNode, digit: str) -> Step:
        s = self.state
        if digit == node.repeat:
            s.path.append(PathEntry(s.node, digit))
            return self._collect([])
        if digit == node.back and len(s.menus) > 1:
            s.path.append(PathEntry(s.node, digit))
            s.menus.pop()
            return self._enter(s.menus.pop(), [])
        if digit in node.options:
            s.path.append(PathEntry(s.node, digit))
            return self._enter(node.options[digit], [])
        return self._invalid(None, digit[:8] or "#")

    def _amount_refused(self, amount: Decimal) -> str | None:
        account = self.state.account
        if amount <= 0:
            return "zero"
        if account is None or amount > account.balance:
            return "too_high"
        self.state.amount = amount
        return None

    def _date_refused(self, digits: str) -> str | None:
        account = self.state.account
        found = None if account is None else promise_date(digits, account.today)
        if account is None or found is None:
            return "invalid"
        if found < account.today:
            return "past"
        if found > account.today + timedelta(days=account.horizon_days):
            return "too_far"
        self.state.due = found
        return None

    # --- answers from the data port ---------------------------------------------------------------

    def _answered(self, answer: object) -> Step:
        s = self.state
        node = self.menu.nodes[s.node]
        stage = s.stage
        s.waiting = "collect"
        if isinstance(answer, CallerMatches) and isinstance(node, IdentifyCallerNode):
            if len(answer.customer_ids) == 1:
                s.customer_id, s.identified_by = answer.customer_ids[0], "caller_id"
                return self._enter(node.found, [])
            return self._enter(node.not_found, [])
        if isinstance(answer, AccountMatch) and isinstance(node, InputNode):
            if answer.customer_id is None:
                return self._refused_by_data(node, "not_found")
            s.customer_id, s.identified_by, s.verified = answer.customer_id, "account", None
            return self._enter(node.next, [])
        if isinstance(answer, Verified) and isinstance(node, InputNode):
            s.verified = answer.ok
            if not answer.ok:
                return self._refused_by_data(node, "mismatch")
            assert s.customer_id is not None
            s.account = None
            return self._ask([], LoadAccount(s.customer_id), "verified")
        if isinstance(answer, AccountView):
            s.account = answer
            if stage == "verified" and isinstance(node, InputNode):
                return self._enter(node.next, [])
            return self._account_action(_account_node(node), [])
        return self._account_answer(node, answer)

    def _refused_by_data(self, node: InputNode, reason: str) -> Step:
        """The data port refused the digits the path already holds: mark that entry refused."""
        s = self.state
        entry = s.path.pop()
        return self._invalid(node.refusals[reason], f"{entry.input}!{reason}")

    def _account_answer(self, node: object, answer: object) -> Step:
        s = self.state
        lang = s.language
        if isinstance(answer, Noted) and isinstance(node, BalanceNode):
            s.balance_heard = True
            account = s.account
            assert account is not None
            values = self._values()
            if account.balance <= 0:
                prompt = node.none_prompt
            elif account.next_instalment is None or account.next_due is None:
                prompt = node.no_instalment_prompt
            else:
                prompt = node.prompt
            return self._enter(node.next, speak(self.menu, prompt, lang, values))
        if isinstance(answer, PromiseSaved) and isinstance(node, PromiseNode):
            if answer.promise_id is None:
                return self._enter(node.failed or self.menu.defaults.fallback,
                                   speak(self.menu, node.failed_prompt, lang))
            s.promise_id = answer.promise_id
            say = speak(self.menu, node.prompt, lang, self._values())
            s.amount = s.due = None
            return self._enter(node.next, say)
        if isinstance(answer, CallbackBooked) and isinstance(node, CallbackNode):
            if answer.at is None:
                return self._enter(node.next, speak(self.menu, node.blocked_prompt, lang))
            s.callback_at = answer.at
            return self._enter(node.next, speak(self.menu, node.prompt, lang, self._values()))
        raise ProtocolViolation(f"{type(answer).__name__} does not answer node {s.node!r}")

    def _values(self) -> dict[str, Speech]:
        return values_of(self.menu, self.state)


def _account_node(node: object) -> BalanceNode | PromiseNode | CallbackNode:
    if isinstance(node, BalanceNode | PromiseNode | CallbackNode):
        return node
    raise ProtocolViolation("an account was loaded for a node that does not use it")
