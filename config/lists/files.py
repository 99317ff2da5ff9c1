"""Reading and writing the list files: YAML with line numbers in errors, atomic writes.

A YAML syntax error becomes a :class:`ConfigError` naming the file and the line; a validation error
names the file, the key path (pydantic's ``loc``) and, when the key is in the file, its line.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from pathlib import Path
from typing import Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from domain.errors import ConfigError
from domain.field_words import phrase

M = TypeVar("M", bound=BaseModel)
_DUPLICATE = re.compile(r"duplicate code '([^']*)'")
# libyaml when PyYAML was built with it (about ten times faster: every worker and test app parses
# the lists at start), the same safe loader in Python otherwise; both keep the line marks.
_LOADER: type[yaml.SafeLoader] | type[yaml.CSafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_INNER_PATH = re.compile(r"^([a-z_]+(?:\.[a-z0-9_]+)+): (.*)$", re.DOTALL)


def key_path(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc)


def _walk(root: yaml.Node | None, loc: tuple[int | str, ...]) -> tuple[yaml.Node | None, int | None]:
    """The deepest node of ``loc`` that exists in the composed YAML, and its 1-based line."""
    node = root
    line = int(node.start_mark.line) + 1 if node is not None else None
    for part in loc:
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value == str(part):
                    child, line = value, int(key.start_mark.line) + 1
                    break
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            child = node.value[part]
            line = int(child.start_mark.line) + 1
        if child is None:
            return None, line
        node = child
    return node, line


def key_line(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the deepest key of ``loc`` found in the composed YAML."""
    return _walk(root, loc)[1]


def _node_at(root: yaml.Node | None, loc: tuple[int | str, ...]) -> yaml.Node | None:
    return _walk(root, loc)[0]


def _check_duplicate_keys(node: yaml.Node | None, file: str) -> None:
    """PyYAML keeps the last of two equal keys silently; refuse them instead."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                if key.value in seen:
                    line = key.start_mark.line + 1
                    raise ConfigError(f"{file}: line {line}: duplicate key {key.value!r}",
                                      {"file": file, "line": line, "key": key.value})
                seen.add(key.value)
            _check_duplicate_keys(value, file)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            _check_duplicate_keys(item, file)


def parse_yaml(text: str, file: str) -> tuple[Any, yaml.Node | None]:
    """Parse ``text``; returns the plain data and the composed node tree (for line numbers)."""
    loader = _LOADER(text)
    try:
        root = loader.get_single_node()
        _check_duplicate_keys(root, file)
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        column = mark.column + 1 if mark is not None else None
        problem = exc.problem or exc.context or "invalid YAML"
        where = f"line {line}" if line is not None else "unknown line"
        raise ConfigError(f"{file}: {where}: YAML syntax error: {problem}",
                          {"file": file, "line": line, "column": column, "problem": problem}) from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{file}: YAML error: {exc}", {"file": file}) from exc
    finally:
        loader.dispose()
    return data, root


def _duplicate_line(root: yaml.Node | None, loc: tuple[int | str, ...], message: str) -> int | None:
    """For "duplicate code 'x'" on a list: the line of the second item with that code."""
    match = _DUPLICATE.search(message)
    node = _node_at(root, loc)
    if match is None or not isinstance(node, yaml.SequenceNode):
        return None
    seen = 0
    for item in node.value:
        if isinstance(item, yaml.MappingNode) and any(
                isinstance(k, yaml.ScalarNode) and k.value == "code" and getattr(v, "value", None) == match[1]
                for k, v in item.value):
            seen += 1
            if seen == 2:
                return int(item.start_mark.line) + 1
    return None


def validation_errors(exc: ValidationError,
                      root: yaml.Node | None = None) -> list[tuple[str, int | None, str]]:
    """``(key path, line or None, message)`` for each error; lines need the composed node tree."""
    errors: list[tuple[str, int | None, str]] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        message = str(error["msg"])
        message = message.removeprefix("Value error, ") if message.startswith("Value error, ") \
            else phrase(str(error["type"]), error.get("ctx"), message)  # "must be 480 or less", not pydantic's
        inner = _INNER_PATH.match(message)  # a model validator names the key it refused: "a.0.b: ..."
        if inner is not None:
            loc = loc + tuple(int(p) if p.isdigit() else p for p in inner[1].split("."))
            message = inner[2]
        line = None
        if root is not None:
            line = _duplicate_line(root, loc, message) or key_line(root, loc)
        errors.append((key_path(loc) or "(top level)", line, message))
    return errors


def validation_details(exc: ValidationError) -> dict[str, str]:
    """``{key path: message}`` for each error."""
    return {key: message for key, _line, message in validation_errors(exc)}


def load_model(path: Path, model: type[M]) -> M:
    """Read, parse and validate one list file; any problem is a ConfigError naming the file."""
    file = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read: {exc.strerror or exc}", {"file": file}) from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{file}: not UTF-8 text: {exc}", {"file": file}) from exc
    data, root = parse_yaml(text, file)
    if data is None:
        raise ConfigError(f"{file}: the file is empty", {"file": file, "line": 1})
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = validation_errors(exc, root)
        key, line, message = errors[0]
        where = f"line {line}: " if line is not None else ""
        raise ConfigError(f"{file}: {where}{key}: {message}", {
            "file": file, "line": line, "key": key,
            "errors": {k: (f"line {n}: {m}" if n is not None else m) for k, n, m in errors},
        }) from exc


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)


def write_atomically(path: Path, text: str) -> None:
    """Write ``text`` to a temp file beside ``path``, flush it to disk, then rename it over ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
