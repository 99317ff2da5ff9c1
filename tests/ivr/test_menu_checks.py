"""ivr.yaml is validated before it is written: a bad menu is refused naming the node and the field."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from config.lists import load_lists, save_list
from config.lists.ivr_nodes import WORD_READER_LANGUAGES
from domain.errors import ConfigError, InvalidInput
from ivr.speech import WORD_READERS, pieces, vocabulary
from tests.config.helpers import copy_defaults, replace_in
from tests.ivr.support import default_menu, menu_data

Change = Callable[[dict[str, Any]], None]


def _set(path: str, value: Any) -> Change:
    def change(d: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node = d
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node[part]
        if value is None:
            del node[last]
        elif isinstance(node, list):
            node[int(last)] = value
        else:
            node[last] = value
    return change


BAD: list[tuple[str, Change, str, str]] = [
    ("dangling target", _set("nodes/main/options/1", "balanse"), "nodes.main.options.1", "no node named 'balanse'"),
    ("dangling start", _set("start", "hello"), "start", "no node named 'hello'"),
    ("unreachable node", _set("nodes/goodbye", {"kind": "hangup"}), "nodes.goodbye", "not reachable from start"),
    ("two actions on star", _set("nodes/main/options/*", "agent"), "nodes.main.options.star",
     "also the repeat key"),
    ("prompt missing a language", _set("prompts/greeting/sw", None), "prompts.greeting.sw", "no text"),
    ("unknown prompt", _set("nodes/main/prompt", "main_manu"), "nodes.main.prompt", "no prompt named 'main_manu'"),
    ("tries below one", _set("nodes/main/max_invalid", 0), "nodes.main.menu.max_invalid", "must be 1 or more"),
    ("default tries below one", _set("defaults/max_no_input", 0), "defaults.max_no_input", "must be 1 or more"),
    ("placeholder the node cannot fill", _set("prompts/main_menu/en", "Hello {balance}"), "prompts.main_menu.sw",
     "differ"),
    ("balance before verification", _set("nodes/identify/found", "main"), "nodes.balance.kind",
     "reachable without verification"),
    ("verify not secret", _set("nodes/verify/secret", False), "nodes.verify.secret", "must be secret"),
    ("missing refusal prompt", _set("nodes/promise_date/refusals", {"invalid": "date_invalid"}),
     "nodes.promise_date.refusals", "no prompt for 'past'"),
    ("min above max", _set("nodes/account/min_digits", 20), "nodes.account.min_digits", "more than max_digits"),
    ("silent loop", lambda d: d["nodes"].update(
        loop_a={"kind": "goto", "target": "loop_b"}, loop_b={"kind": "goto", "target": "loop_a"},
        main={**d["nodes"]["main"], "options": {**d["nodes"]["main"]["options"], "9": "loop_a"}}),
     ".target", "without waiting for the caller"),
    ("two languages on one digit", _set("languages/1/digit", "1"), "languages.1.digit", "already picks en"),
    ("a language without a number reader", lambda d: d["languages"].append(
        {"code": "fr", "label": "Français", "digit": "3", "espeak_voice": "fr", "twilio_language": "fr-FR",
         "asterisk_says": False}), "languages.2.asterisk_says", "no word reader"),
]


@pytest.mark.parametrize(("what", "change", "key", "message"), BAD, ids=[b[0] for b in BAD])
def test_bad_menu_is_refused_naming_the_node_and_field(tmp_path: Path, what: str, change: Change, key: str,
                                                       message: str) -> None:
    config_dir = copy_defaults(tmp_path)
    before = (config_dir / "ivr.yaml").read_bytes()
    data = menu_data()
    change(data)
    with pytest.raises(InvalidInput) as caught:
        save_list(config_dir, "ivr", data)
    details = caught.value.details
    assert any((k.endswith(key) or v.startswith(f"{key}: ")) and message in v
               for k, v in details.items()), (what, details)
    assert (config_dir / "ivr.yaml").read_bytes() == before


def test_a_bad_file_names_its_line(tmp_path: Path) -> None:
    config_dir = copy_defaults(tmp_path)
    replace_in(config_dir / "ivr.yaml", '"1": balance, "2": promise_amount', '"1": balanse, "2": promise_amount')
    with pytest.raises(ConfigError) as caught:
        load_lists(config_dir)
    assert "ivr.yaml" in caught.value.message and "nodes.main.options.1" in caught.value.message
    assert "no node named 'balanse'" in caught.value.message and caught.value.details["line"] is not None


def test_a_good_edit_lands(tmp_path: Path) -> None:
    config_dir = copy_defaults(tmp_path)
    data = menu_data()
    data["prompts"]["greeting"]["en"] = "Welcome to Jua Power, the sun that pays."
    lists = save_list(config_dir, "ivr", data)
    assert lists.ivr.text("greeting", "en").endswith("the sun that pays.")
    assert load_lists(config_dir).ivr == lists.ivr


def test_default_menu_digits() -> None:
    """Other tests and the agents' scripts depend on these."""
    menu = default_menu()
    main = menu.nodes["main"]
    assert main.kind == "menu"
    assert main.options == {"1": "balance", "2": "promise_amount", "3": "callback", "0": "agent"}
    assert main.repeat == "*" and menu.queue == "collections"
    assert menu.nodes["verify"].kind == "input" and menu.nodes["verify"].max_digits == 4
    assert [lang.code for lang in menu.enabled_languages] == ["en", "sw"]


def test_word_readers_match_the_languages_the_checks_allow() -> None:
    assert set(WORD_READERS) == WORD_READER_LANGUAGES


def test_prompt_pieces_and_vocabulary() -> None:
    menu = default_menu()
    parts = pieces("balance", menu.text("balance", "en"))
    assert [p if isinstance(p, str) else p.name for p in parts] == [
        "balance__1", "balance", "balance__2", "instalment", "balance__3", "due_date", "balance__4"]
    en, sw = vocabulary(menu, "en"), vocabulary(menu, "sw")
    assert en["greeting"] == "Welcome to Jua Power." and "balance__4" not in en  # "." says nothing
    assert en["w_shillings"] == "shillings" and en["w_cents"] == "cents"
    assert sw["w_elfu"] == "elfu" and sw["w_shilingi"] == "shilingi" and sw["w_desemba"] == "Desemba"
