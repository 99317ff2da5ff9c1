"""Validation of submitted codes against the lists: the disposition tree and the note fields.

Errors are :class:`InvalidInput` whose ``details`` name the field, e.g.
``{"disposition.reason": "reason 'promise_to_pay' is not under status 'not_contacted'"}`` or
``{"promised_amount": "required for promise_to_pay"}``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from config.lists.common import HasCode, T, codes, find
from config.lists.models import DispositionNode, DispositionTree, FollowupLists, NoteLists, TemplateLists
from domain.errors import InvalidInput


def _choices(items: Iterable[HasCode]) -> str:
    return ", ".join(codes(items)) or "(none)"


def is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def check_disposition(tree: DispositionTree, status: str, reason: str | None, resolution: str | None,
                      *, fields: Mapping[str, object] | None = None,
                      complete: bool = False) -> list[DispositionNode]:
    """The path status -> reason -> resolution through the tree, or InvalidInput naming the layer.

    With ``complete`` (a new note), a reason is required (and a resolution when the tree requires one),
    no node may be retired, and every field the path's nodes require must be present and not blank.
    """
    status_node = find(tree.statuses, status)
    if status_node is None:
        raise InvalidInput(f"unknown disposition status {status!r}",
                           {"disposition.status": f"unknown status {status!r}; "
                                                  f"expected one of: {_choices(tree.statuses)}"})
    path: list[DispositionNode] = [status_node]
    if reason is None:
        if complete:
            raise InvalidInput("a disposition reason is required",
                               {"disposition.reason": f"required under status {status!r}"})
        if resolution is not None:
            raise InvalidInput("a resolution needs a reason",
                               {"disposition.reason": "required when a resolution is given"})
        return path
    reason_node = find(status_node.reasons, reason)
    if reason_node is None:
        elsewhere = [s.code for s in tree.statuses if find(s.reasons, reason) is not None]
        message = (f"reason {reason!r} is not under status {status!r}" if elsewhere
                   else f"unknown reason {reason!r}")
        raise InvalidInput(message, {"disposition.reason": f"{message}; expected one of: "
                                                           f"{_choices(status_node.reasons)}"})
    path.append(reason_node)
    if resolution is not None:
        resolution_node = find(reason_node.resolutions, resolution)
        if resolution_node is None:
            message = (f"resolution {resolution!r} is not under reason {reason!r}"
                       if any(find(r.resolutions, resolution) for s in tree.statuses for r in s.reasons)
                       else f"unknown resolution {resolution!r}")
            raise InvalidInput(message, {"disposition.resolution": f"{message}; expected one of: "
                                                                   f"{_choices(reason_node.resolutions)}"})
        path.append(resolution_node)
    elif complete and tree.require_resolution and reason_node.resolutions:
        raise InvalidInput("a disposition resolution is required",
                           {"disposition.resolution": f"required under reason {reason!r}"})
    if complete:
        _refuse_retired(path)
        _check_required(path, fields or {})
    return path


def _refuse_retired(path: list[DispositionNode]) -> None:
    """A new note may not use a retired node (old notes keep theirs, and stay readable)."""
    for layer, node in zip(("status", "reason", "resolution"), path, strict=False):
        if node.retired:
            raise InvalidInput(f"the {layer} {node.label!r} is retired",
                               {f"disposition.{layer}": f"{node.code!r} is retired; choose another"})


def _check_required(path: list[DispositionNode], fields: Mapping[str, object]) -> None:
    needed: dict[str, str] = {}
    for node in path:  # the most specific node that requires a field is the one named
        for field in node.requires:
            needed[field] = node.code
    missing = {field: f"required for {code}" for field, code in needed.items() if is_blank(fields.get(field))}
    if missing:
        raise InvalidInput(f"missing required field(s): {', '.join(sorted(missing))}", missing)


def check_note_fields(followup: FollowupLists, notes: NoteLists, templates: TemplateLists,
                      fields: Mapping[str, object]) -> None:
    """Check each coded follow-up/notes field present in ``fields``; absent or blank ones are skipped.

    ``status_action`` must be under the given ``call_status``, and ``party_response`` must be one the
    status action allows (seed 000: "based on the Call Status Action").
    """
    errors: dict[str, str] = {}

    def check(field: str, items: Sequence[T], what: str, under: str = "") -> T | None:
        value = fields.get(field)
        if is_blank(value):
            return None
        found = find(items, value) if isinstance(value, str) else None
        if found is None:
            errors[field] = f"unknown {what} {value!r}{under}; expected one of: {_choices(items)}"
        return found

    check("action", followup.actions, "action")
    check("call_result", followup.call_results, "call result")
    check("client_status", followup.client_statuses, "client status")
    check("purpose", notes.purposes, "purpose")
    check("call_outcome", notes.call_outcomes, "call outcome")
    check("customer_mood", notes.customer_moods, "customer mood")
    check("template", templates.templates, "message template")
    call_status = check("call_status", followup.call_statuses, "call status")
    if call_status is not None:
        action = check("status_action", call_status.actions, "status action",
                       f" for call status {call_status.code!r}")
        if action is not None:
            allowed = [r for r in followup.party_responses if r.code in action.party_responses]
            check("party_response", allowed, "party response", f" for status action {action.code!r}")
    if "call_status" not in errors:
        if not is_blank(fields.get("status_action")) and call_status is None:
            errors["status_action"] = "needs a call_status"
        if not is_blank(fields.get("party_response")) and is_blank(fields.get("status_action")):
            errors["party_response"] = "needs a status_action"
    if errors:
        raise InvalidInput(f"invalid field(s): {', '.join(sorted(errors))}", errors)
