"""The checks an IVR menu must pass (see :mod:`config.lists.ivr_menu`). Each raises ``ValueError`` with
``"key.path: message"`` (``nodes.main.options.5: no node named 'balanse'``), which the list
loaders turn into the key path and line of the refusal."""

from __future__ import annotations

import string
from collections import deque
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from config.lists.ivr_nodes import (
    WORD_READER_LANGUAGES,
    InputNode,
    LanguageNode,
    MenuNode,
    PromiseNode,
)

if TYPE_CHECKING:
    from config.lists.ivr_menu import IvrMenu

#: The placeholders each kind of node fills in its prompts.
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "balance": frozenset({"balance", "instalment", "due_date"}),
    "promise_readback": frozenset({"amount", "date"}),
    "promise": frozenset({"amount", "date"}),
    "callback": frozenset({"date", "time"}),
}
#: What each input check refuses, by the key of its ``refusals`` prompt.
REFUSALS: dict[str, frozenset[str]] = {
    "none": frozenset(),
    "account": frozenset({"not_found"}),
    "verify": frozenset({"mismatch"}),
    "amount": frozenset({"zero", "too_high"}),
    "date": frozenset({"invalid", "past", "too_far"}),
}
ACCOUNT_DATA_KINDS = frozenset({"balance", "promise", "callback"})
WAITING_KINDS = (LanguageNode, MenuNode, InputNode)
_FORMATTER = string.Formatter()


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in _FORMATTER.parse(text) if name}


def check_menu(menu: IvrMenu) -> None:
    for check in (_check_languages, _check_targets, _check_digits, _check_prompts, _check_inputs,
                  _check_reachable, _check_verified_first, _check_no_silent_loop):
        check(menu)


def _fail(where: str, message: str) -> None:
    raise ValueError(f"{where}: {message}")


def targets(menu: IvrMenu, node_id: str) -> Iterator[tuple[str, str]]:
    """``(field, target node)`` of every edge leaving ``node_id``."""
    node = menu.nodes[node_id]
    for name in ("next", "found", "not_found", "target", "failed"):
        value = getattr(node, name, None)
        if value is not None:
            yield name, value
    if isinstance(node, MenuNode):
        for digit, target in node.options.items():
            yield f"options.{digit}", target
    if isinstance(node, WAITING_KINDS):
        resolved = menu.retry(node)
        yield "on_invalid_limit", resolved.on_invalid_limit
        yield "on_no_input_limit", resolved.on_no_input_limit
    if isinstance(node, PromiseNode) and node.failed is None:
        yield "failed", menu.defaults.fallback


def _check_languages(menu: IvrMenu) -> None:
    seen: dict[str, int] = {}
    digits: dict[str, int] = {}
    for index, lang in enumerate(menu.languages):
        if lang.code in seen:
            _fail(f"languages.{index}.code", f"duplicate language {lang.code!r}")
        seen[lang.code] = index
        if lang.enabled and lang.digit in digits:
            other = menu.languages[digits[lang.digit]].code
            _fail(f"languages.{index}.digit", f"digit {lang.digit!r} already picks {other}")
        if lang.enabled:
            digits[lang.digit] = index
        if not lang.asterisk_says and lang.code not in WORD_READER_LANGUAGES:
            _fail(f"languages.{index}.asterisk_says",
                  f"no word reader for {lang.code!r} (have: {', '.join(sorted(WORD_READER_LANGUAGES))})")
    if not menu.enabled_languages:
        _fail("languages.0.enabled", "at least one language must be enabled")
    for code, names in menu.currencies.items():
        for lang in menu.languages:
            if lang.code not in names:
                _fail(f"currencies.{code.lower()}", f"no name for {code} in {lang.code!r}")


def _check_targets(menu: IvrMenu) -> None:
    if menu.start not in menu.nodes:
        _fail("start", f"no node named {menu.start!r}")
    if menu.defaults.fallback not in menu.nodes:
        _fail("defaults.fallback", f"no node named {menu.defaults.fallback!r}")
    for node_id in menu.nodes:
        for field, target in targets(menu, node_id):
            if target not in menu.nodes:
                _fail(f"nodes.{node_id}.{_key(field)}", f"no node named {target!r}")


def _key(field: str) -> str:
    """A key path part the loaders can place (``options.*`` -> ``options.star``)."""
    return field.replace("*", "star").replace("#", "hash")


def _check_digits(menu: IvrMenu) -> None:
    for node_id, node in menu.nodes.items():
        if not isinstance(node, MenuNode):
            continue
        for name in ("repeat", "back"):
            key = getattr(node, name)
            if key is not None and key in node.options:
                _fail(f"nodes.{node_id}.options.{_key(key)}", f"{key!r} is also the {name} key: one action per digit")
        if node.repeat is not None and node.repeat == node.back:
            _fail(f"nodes.{node_id}.back", f"{node.back!r} is also the repeat key: one action per digit")


def _prompts_of(node: Any) -> Iterator[tuple[str, str, str]]:
    """``(field, prompt id, placeholder context)`` of each prompt a node names."""
    kind = node.kind
    for name in ("prompt", "no_instalment_prompt", "none_prompt", "failed_prompt", "blocked_prompt",
                 "invalid_prompt", "no_input_prompt"):
        prompt = getattr(node, name, None)
        if prompt is None:
            continue
        context = ""
        if name == "prompt" and kind in ("balance", "promise", "callback"):
            context = kind
        elif name == "no_instalment_prompt":
            context = "balance"
        yield name, prompt, context
    for key, prompt in getattr(node, "refusals", {}).items():
        yield f"refusals.{key}", prompt, ""


def _check_prompts(menu: IvrMenu) -> None:
    codes = [lang.code for lang in menu.languages]
    for prompt_id, texts in menu.prompts.items():
        for code in codes:
            if code not in texts:
                _fail(f"prompts.{prompt_id}.{code}", "no text in this language")
        unknown = sorted(set(texts) - set(codes))
        if unknown:
            _fail(f"prompts.{prompt_id}.{unknown[0]}", f"no language {unknown[0]!r} in languages")
        names = {code: placeholders(text) for code, text in texts.items()}
        first = names[codes[0]]
        for code, found in names.items():
            if found != first:
                _fail(f"prompts.{prompt_id}.{code}",
                      f"placeholders {sorted(found)} differ from {codes[0]}'s {sorted(first)}")
    readback = _readback_prompts(menu)
    used: list[tuple[str, str, str, str]] = [
        ("defaults", "invalid_prompt", menu.defaults.invalid_prompt, ""),
        ("defaults", "no_input_prompt", menu.defaults.no_input_prompt, "")]
    for node_id, node in menu.nodes.items():
        for field, prompt, context in _prompts_of(node):
            if field == "prompt" and node_id in readback:
                context = "promise_readback"
            used.append((f"nodes.{node_id}", field, prompt, context))
    for where, field, prompt, context in used:
        if prompt not in menu.prompts:
            _fail(f"{where}.{field}", f"no prompt named {prompt!r}")
        allowed = PLACEHOLDERS.get(context, frozenset())
        extra = sorted(placeholders(menu.prompts[prompt][codes[0]]) - allowed)
        if extra:
            _fail(f"{where}.{field}", f"prompt {prompt!r} uses {{{extra[0]}}}, which this node cannot fill"
                  + (f" (it fills: {', '.join(sorted(allowed))})" if allowed else ""))


def _readback_prompts(menu: IvrMenu) -> set[str]:
    """Menus that lead to a promise node: their prompt reads the promise back ({amount}, {date})."""
    return {node_id for node_id, node in menu.nodes.items() if isinstance(node, MenuNode)
            and any(isinstance(menu.nodes.get(t), PromiseNode) for t in node.options.values())}


def _check_inputs(menu: IvrMenu) -> None:
    for node_id, node in menu.nodes.items():
        if not isinstance(node, InputNode):
            continue
        if node.min_digits > node.max_digits:
            _fail(f"nodes.{node_id}.min_digits", f"{node.min_digits} is more than max_digits {node.max_digits}")
        wanted = REFUSALS[node.check]
        missing = sorted(wanted - set(node.refusals))
        if missing:
            _fail(f"nodes.{node_id}.refusals", f"no prompt for {missing[0]!r} (a {node.check} check needs "
                  f"{', '.join(sorted(wanted))})")
        extra = sorted(set(node.refusals) - wanted)
        if extra:
            _fail(f"nodes.{node_id}.refusals", f"{extra[0]!r} is not refused by a {node.check} check")
        if node.check == "verify" and not node.secret:
            _fail(f"nodes.{node_id}.secret", "a verify input must be secret (its digits are never kept)")
        if node.check == "date" and (node.min_digits, node.max_digits) != (4, 4):
            _fail(f"nodes.{node_id}.max_digits", "a date is four digits (DDMM)")


def _check_reachable(menu: IvrMenu) -> None:
    seen = {menu.start}
    todo = deque([menu.start])
    while todo:
        for _, target in targets(menu, todo.popleft()):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for node_id in menu.nodes:
        if node_id not in seen:
            _fail(f"nodes.{node_id}", f"not reachable from start {menu.start!r}")


def _check_verified_first(menu: IvrMenu) -> None:
    """Walk from ``start`` without crossing a verification's success edge: no node that speaks or
    changes account data may be met."""
    seen = {menu.start}
    todo = deque([menu.start])
    while todo:
        node_id = todo.popleft()
        node = menu.nodes[node_id]
        if node.kind in ACCOUNT_DATA_KINDS:
            _fail(f"nodes.{node_id}.kind", f"a {node.kind} node is reachable without verification")
        for field, target in targets(menu, node_id):
            if isinstance(node, InputNode) and node.check == "verify" and field == "next":
                continue
            if target not in seen:
                seen.add(target)
                todo.append(target)


def _check_no_silent_loop(menu: IvrMenu) -> None:
    """Every loop of the menu must wait for the caller somewhere (else a call would never end)."""
    waits = (MenuNode, InputNode) + ((LanguageNode,) if len(menu.enabled_languages) > 1 else ())
    silent = {node_id for node_id, node in menu.nodes.items() if not isinstance(node, waits)}
    state: dict[str, int] = {}  # 1: on the current walk, 2: done

    def walk(node_id: str) -> None:
        state[node_id] = 1
        for field, target in targets(menu, node_id):
            if target not in silent or state.get(target) == 2:
                continue
            if state.get(target) == 1:
                _fail(f"nodes.{node_id}.{_key(field)}", f"loops back to {target!r} without waiting for the caller")
            walk(target)
        state[node_id] = 2

    for node_id in sorted(silent):
        if node_id not in state:
            walk(node_id)
