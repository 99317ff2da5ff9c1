"""The editable default lists (config/defaults/*.yaml): loaded at start, validated, edited by admins.

``load_lists(settings.config_dir)`` returns one frozen :class:`Lists`; pass it into constructors.
A bad file raises :class:`ConfigError` naming the file and the line or key path. Admin edits go
through :func:`save_list`, which validates before it writes (atomically), so a bad edit never lands.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ValidationError

from config.lists.common import codes, find, placeholders_in
from config.lists.files import dump_yaml, load_model, validation_details, write_atomically
from config.lists.ivr_menu import IvrMenu
from config.lists.models import (
    CallReason,
    DialerConfig,
    DialerHint,
    DispositionNode,
    DispositionTree,
    FollowupLists,
    MessageTemplate,
    NoteLists,
    PauseCode,
    PauseCodes,
    ReasonLists,
    TemplateLists,
)
from config.lists.rules import check_disposition, check_note_fields
from config.lists.scorecards import Scorecard, ScorecardLists
from domain.errors import ConfigError, InvalidInput, NotFound

ListName = Literal["dispositions", "followup", "notes", "reasons", "pause_codes", "templates", "dialer", "ivr",
                   "scorecards"]

# list name -> the model of its file (the file is ``<name>.yaml`` in the config directory)
LIST_MODELS: dict[str, type[BaseModel]] = {
    "dispositions": DispositionTree,
    "followup": FollowupLists,
    "notes": NoteLists,
    "reasons": ReasonLists,
    "pause_codes": PauseCodes,
    "templates": TemplateLists,
    "dialer": DialerConfig,
    "ivr": IvrMenu,  # the customers' phone menu (config/lists/ivr_menu.py)
    "scorecards": ScorecardLists,  # QA scorecards and the rules picking calls to score (config/lists/scorecards.py)
}


def list_file(config_dir: Path, name: str) -> Path:
    return Path(config_dir) / f"{name}.yaml"


@dataclass(frozen=True)
class Lists:
    """Every editable list, validated together (cross-file references resolve)."""

    dispositions: DispositionTree
    followup: FollowupLists
    notes: NoteLists
    reasons: ReasonLists
    pause_codes: PauseCodes
    templates: TemplateLists
    dialer: DialerConfig
    ivr: IvrMenu
    scorecards: ScorecardLists

    # --- dispositions -----------------------------------------------------------------------------

    def disposition_node(self, status: str, reason: str | None = None,
                         resolution: str | None = None) -> DispositionNode:
        """The deepest node named; InvalidInput (naming ``disposition.<layer>``) if it is not in the tree."""
        return check_disposition(self.dispositions, status, reason, resolution)[-1]

    def required_fields(self, status: str, reason: str | None = None,
                        resolution: str | None = None) -> set[str]:
        path = check_disposition(self.dispositions, status, reason, resolution)
        return {field for node in path for field in node.requires}

    def validate_disposition(self, status: str, reason: str | None, resolution: str | None,
                             fields: Mapping[str, object]) -> None:
        """Raise InvalidInput naming each bad code or missing required field."""
        check_disposition(self.dispositions, status, reason, resolution, fields=fields, complete=True)

    def dialer_hint(self, status: str, reason: str | None = None,
                    resolution: str | None = None) -> DialerHint | None:
        """What the dialer does next: the most specific node's hint (resolution, reason, status)."""
        path = check_disposition(self.dispositions, status, reason, resolution)
        for node in reversed(path):
            if node.dialer is not None:
                return node.dialer
        return None

    def map_activity(self, label: str) -> tuple[str, str, str | None]:
        """A seed 002 activity disposition ("No Answer", any case) as (status, reason, resolution)."""
        wanted = label.strip().casefold()
        for entry in self.dispositions.activity_map:
            if entry.label.casefold() == wanted:
                return entry.status, entry.reason, entry.resolution
        known = ", ".join(entry.label for entry in self.dispositions.activity_map)
        raise InvalidInput(f"unknown activity disposition {label!r}",
                           {"disposition": f"unknown activity {label!r}; expected one of: {known}"})

    # --- follow-up and note fields ----------------------------------------------------------------

    def validate_note_fields(self, fields: Mapping[str, object]) -> None:
        """Check the coded seed 000/004 fields that are present (action, call_status, status_action,
        party_response, call_result, client_status, purpose, call_outcome, customer_mood, template)."""
        check_note_fields(self.followup, self.notes, self.templates, fields)

    # --- lookups ----------------------------------------------------------------------------------

    def reason(self, code: str) -> CallReason:
        return _lookup(self.reasons.reasons, code, "reason", "reason for calling")

    def call_reasons(self, direction: Literal["inbound", "outbound"]) -> list[CallReason]:
        return [r for r in self.reasons.reasons if r.kind in (direction, "both") and not r.retired]

    def scorecard(self, code: str) -> Scorecard:
        return _lookup(self.scorecards.scorecards, code, "scorecard", "scorecard")

    def pause_code(self, code: str) -> PauseCode:
        return _lookup(self.pause_codes.pause_codes, code, "pause_code", "pause code")

    def template(self, code: str) -> MessageTemplate:
        return _lookup(self.templates.templates, code, "template", "message template")

    def render(self, text: str, values: Mapping[str, object], *, strict: bool = True,
               field: str = "template") -> str:
        """Fill ``{placeholders}`` from ``values`` over templates.yaml's placeholder_defaults.

        A placeholder with no value is InvalidInput (naming ``field``), or, when not ``strict``
        (e.g. a script shown before the customer is known), left as ``{name}``.
        """
        merged: dict[str, object] = {**self.templates.placeholder_defaults, **values}
        missing = sorted(placeholders_in(text) - set(merged))
        if missing and not strict:
            merged.update({name: "{" + name + "}" for name in missing})
        elif missing:
            names = ", ".join("{" + name + "}" for name in missing)
            raise InvalidInput(f"no value for {names}", {field: f"no value for {names}"})
        return text.format_map(merged)

    # --- admin editing ----------------------------------------------------------------------------

    def dump_list(self, name: str) -> dict[str, Any]:
        """One list as plain JSON-able data (what the admin editor shows and sends back)."""
        model: BaseModel = getattr(self, _known_name(name))
        return model.model_dump(mode="json")


_Coded = TypeVar("_Coded", CallReason, PauseCode, MessageTemplate, Scorecard)


def _lookup(items: list[_Coded], code: str, field: str, what: str) -> _Coded:
    found = find(items, code)
    if found is None:
        raise InvalidInput(f"unknown {what} {code!r}",
                           {field: f"unknown {what} {code!r}; expected one of: {', '.join(codes(items))}"})
    return found


def _known_name(name: str) -> str:
    if name not in LIST_MODELS:
        raise NotFound(f"no config list named {name!r}",
                       {"name": f"expected one of: {', '.join(LIST_MODELS)}"})
    return name


def cross_check(lists: Lists) -> list[tuple[str, str, str]]:
    """References between files, as ``(file name, key path, message)``; empty when all resolve."""
    errors: list[tuple[str, str, str]] = []
    campaigns = codes(lists.dialer.campaigns)
    for index, reason in enumerate(lists.reasons.reasons):
        if reason.campaign not in campaigns:
            errors.append(("reasons.yaml", f"reasons.{index}.campaign",
                           f"unknown campaign {reason.campaign!r}; dialer.yaml has: {', '.join(campaigns)}"))
        if reason.sms_template is not None:
            template = find(lists.templates.templates, reason.sms_template)
            if template is None or template.channel != "sms":
                errors.append(("reasons.yaml", f"reasons.{index}.sms_template",
                               f"{reason.sms_template!r} is not an sms template in templates.yaml"))
    reasons = {r.code for status in lists.dispositions.statuses for r in status.reasons}
    for index, code in enumerate(lists.scorecards.selection.dispute_reasons):
        if code not in reasons:
            errors.append(("scorecards.yaml", f"selection.dispute_reasons.{index}",
                           f"unknown disposition reason {code!r}; dispositions.yaml has: {', '.join(sorted(reasons))}"))
    return errors


def load_lists(config_dir: Path) -> Lists:
    """Load and validate every list file in ``config_dir``; ConfigError on the first bad file."""
    models = {name: load_model(list_file(config_dir, name), model) for name, model in LIST_MODELS.items()}
    lists = Lists(**models)  # type: ignore[arg-type]
    errors = cross_check(lists)
    if errors:
        file_name, key, message = errors[0]
        file = str(Path(config_dir) / file_name)
        raise ConfigError(f"{file}: {key}: {message}",
                          {"file": file, "key": key, "errors": {f"{f}: {k}": m for f, k, m in errors}})
    return lists


def save_list(config_dir: Path, name: str, data: Mapping[str, Any]) -> Lists:
    """Validate ``data`` as list ``name`` (with the other files), then write it atomically.

    Returns the new :class:`Lists`. An invalid edit raises InvalidInput (details: key path ->
    message) and leaves the file untouched.
    """
    model_type = LIST_MODELS[_known_name(name)]
    file = list_file(config_dir, name)
    try:
        model = model_type.model_validate(dict(data))
    except ValidationError as exc:
        details = validation_details(exc)
        first_key, first_message = next(iter(details.items()))
        raise InvalidInput(f"{file.name}: {first_key}: {first_message}", details) from exc
    others = {other: load_model(list_file(config_dir, other), other_type)
              for other, other_type in LIST_MODELS.items() if other != name}
    lists = Lists(**{**others, name: model})  # type: ignore[arg-type]
    errors = cross_check(lists)
    if errors:
        file_name, key, message = errors[0]
        raise InvalidInput(f"{file_name}: {key}: {message}", {f"{f}: {k}": m for f, k, m in errors})
    header = f"# {file.name}: edited through the admin screen (validated before it was written).\n"
    write_atomically(file, header + dump_yaml(model.model_dump(mode="json", exclude_defaults=True)))
    return lists
