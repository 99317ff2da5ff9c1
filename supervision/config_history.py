"""Configuration with history: the editable lists live in the database as numbered versions.

Version 1 of each list is the shipped file (``config/defaults/<name>.yaml``, read, never written);
every save (a form, the YAML editor, a restore) adds the next version with who, when and a comment,
after validating the whole document together with the other lists in force. The newest versions
are the configuration: :meth:`ConfigHistory.load` builds them into one :class:`Lists` (and the
compliance pack merged with its overrides, the list ``compliance``).

Errors name what is wrong: a document from a form gets ``{key path: message}``; YAML text gets the
same plus ``lines`` (``[{line, key, message}]``) for the editor's line-by-line marks.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from config.compliance_loader import pack_from_data, pack_path
from config.lists import LIST_MODELS, Lists, cross_check, list_file
from config.lists.files import dump_yaml, load_model, parse_yaml, validation_errors
from domain.compliance import Pack
from domain.errors import ConfigError, Conflict, InvalidInput, NotFound
from domain.events import utcnow
from store.db import Database
from store.models import ConfigVersion
from store.repositories.config_versions import ConfigVersionRepository, VersionInfo

COMPLIANCE = "compliance"
VERSIONED: tuple[str, ...] = (*LIST_MODELS, COMPLIANCE)
MAX_TEXT = 200_000
Problem = tuple[str, int | None, str]  # key path, line (YAML text only), message


@dataclass(frozen=True)
class ConfigSnapshot:
    """The configuration in force: every list, the compliance pack with its overrides, versions."""

    lists: Lists
    overrides: dict[str, Any]
    pack: Pack
    versions: dict[str, int] = field(default_factory=dict)


def merged(base: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` over ``base`` key by key (mappings merge, anything else replaces)."""
    out = dict(base)
    for key, value in overrides.items():
        old = out.get(key)
        out[key] = merged(old, value) if isinstance(old, Mapping) and isinstance(value, Mapping) else value
    return out


def _invalid(name: str, problems: list[Problem], *, with_lines: bool) -> InvalidInput:
    key, line, message = problems[0]
    where = f"line {line}: " if line is not None else ""
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    details: dict[str, Any] = {k: m for k, _n, m in problems}
    if with_lines:
        details["lines"] = [{"line": n, "key": k, "message": m} for k, n, m in problems]
    return InvalidInput(f"{name}: {where}{key}: {message}{more}", details)


class ConfigHistory:
    def __init__(self, database: Database, config_dir: Path, pack_name: str, *,
                 clock: Callable[[], datetime] = utcnow) -> None:
        self.database = database
        self.config_dir = Path(config_dir)
        self.pack_name = pack_name
        self.clock = clock

    # --- the shipped files: version 1 ---------------------------------------------------------------

    def _pack_base(self) -> dict[str, Any]:
        path = pack_path(self.pack_name)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{path}: cannot read the compliance pack: {exc}", {"file": str(path)}) from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path}: a compliance pack must be a mapping", {"file": str(path)})
        return data

    def _shipped(self, name: str) -> tuple[dict[str, Any], str]:
        if name == COMPLIANCE:
            path = pack_path(self.pack_name)
            text = (f"# Overrides of the compliance pack {self.pack_name!r} ({path.name}), merged over it key by key.\n"
                    "# Write only what you change, for example:\n#   attempts:\n#     max_per_day: 2\n{}\n")
            return {}, text
        file = list_file(self.config_dir, name)
        model = load_model(file, LIST_MODELS[name])  # ConfigError naming the file and line
        return model.model_dump(mode="json", exclude_defaults=True), file.read_text(encoding="utf-8")

    async def seed(self) -> int:
        """Version 1 of each list that has none yet; returns how many were added. Safe to race:
        a worker that loses the insert finds the other's version."""
        added = 0
        async with self.database.session() as session:
            repo = ConfigVersionRepository(session)
            have = await repo.newest(VERSIONED)
            for name in VERSIONED:
                if name in have:
                    continue
                document, text = self._shipped(name)
                try:
                    await repo.add(name, document, text, comment="shipped defaults", author_id=None,
                                   at=self.clock(), expected=0)
                    added += 1
                except Conflict:
                    continue
        return added

    # --- building the configuration ---------------------------------------------------------------------

    def build(self, documents: Mapping[str, Mapping[str, Any]], versions: Mapping[str, int]) -> ConfigSnapshot:
        """Validate the documents together; ConfigError if the stored ones no longer load."""
        models: dict[str, BaseModel] = {}
        for name, model_type in LIST_MODELS.items():
            try:
                models[name] = model_type.model_validate(dict(documents[name]))
            except (KeyError, ValidationError) as exc:
                raise ConfigError(f"stored config {name!r} version {versions.get(name)} does not load: {exc}",
                                  {"name": name}) from exc
        lists = Lists(**models)  # type: ignore[arg-type]
        overrides = dict(documents.get(COMPLIANCE, {}))
        try:
            pack = pack_from_data(merged(self._pack_base(), overrides))
        except (ValidationError, ValueError) as exc:
            raise ConfigError(f"stored compliance overrides do not apply: {exc}", {"name": COMPLIANCE}) from exc
        return ConfigSnapshot(lists, overrides, pack, dict(versions))

    async def load(self) -> ConfigSnapshot:
        """The newest version of every list (seeding the shipped files first where none exists)."""
        async with self.database.session() as session:
            newest = await ConfigVersionRepository(session).newest(VERSIONED)
        if len(newest) < len(VERSIONED):
            await self.seed()
            async with self.database.session() as session:
                newest = await ConfigVersionRepository(session).newest(VERSIONED)
        return self.build({n: v.document for n, v in newest.items()}, {n: v.version for n, v in newest.items()})

    async def stamp(self) -> int:
        async with self.database.session() as session:
            return await ConfigVersionRepository(session).stamp()

    # --- validating an edit -----------------------------------------------------------------------------

    def parse_text(self, name: str, text: str) -> tuple[dict[str, Any], yaml.Node | None]:
        if len(text) > MAX_TEXT:
            raise InvalidInput(f"{name}: the text is too long", {"text": f"at most {MAX_TEXT} characters"})
        try:
            data, root = parse_yaml(text, f"{name}.yaml")
        except ConfigError as exc:
            line = exc.details.get("line")
            raise _invalid(name, [("(syntax)", line, str(exc.details.get("problem") or exc.details.get("key")
                                                         or exc.message))], with_lines=True) from exc
        if not isinstance(data, dict):
            raise _invalid(name, [("(top level)", 1, "the document must be a mapping of keys")], with_lines=True)
        return data, root

    def check(self, current: ConfigSnapshot, name: str, data: Mapping[str, Any],
              root: yaml.Node | None = None) -> ConfigSnapshot:
        """The configuration with ``data`` as list ``name``, validated with the other lists in force."""
        lines = root is not None
        if name == COMPLIANCE:
            try:
                pack = pack_from_data(merged(self._pack_base(), data))
            except ValidationError as exc:
                raise _invalid(name, validation_errors(exc, root), with_lines=lines) from exc
            except ValueError as exc:
                raise _invalid(name, [("calling_hours", None, str(exc))], with_lines=lines) from exc
            return ConfigSnapshot(current.lists, dict(data), pack, current.versions)
        if name not in LIST_MODELS:
            raise NotFound(f"no config list named {name!r}", {"name": f"expected one of: {', '.join(VERSIONED)}"})
        try:
            model = LIST_MODELS[name].model_validate(dict(data))
        except ValidationError as exc:
            raise _invalid(name, validation_errors(exc, root), with_lines=lines) from exc
        others = {other: getattr(current.lists, other) for other in LIST_MODELS if other != name}
        lists = Lists(**{**others, name: model})
        errors = cross_check(lists)
        if errors:
            raise _invalid(name, [(f"{file}: {key}", None, message) for file, key, message in errors],
                           with_lines=lines)
        return ConfigSnapshot(lists, current.overrides, current.pack, current.versions)

    def document_of(self, snapshot: ConfigSnapshot, name: str) -> dict[str, Any]:
        if name == COMPLIANCE:
            return dict(snapshot.overrides)
        model: BaseModel = getattr(snapshot.lists, name)
        return model.model_dump(mode="json", exclude_defaults=True)

    # --- saving, restoring, reading -------------------------------------------------------------------

    async def save(self, current: ConfigSnapshot, name: str, *, document: Mapping[str, Any] | None = None,
                   text: str | None = None, comment: str = "", author_id: int | None,
                   expected: int | None = None, restored_from: int | None = None) -> tuple[ConfigSnapshot, int]:
        """Validate and store the next version of ``name``; returns the new snapshot and version."""
        if (document is None) == (text is None):
            raise InvalidInput("send the list as a document or as YAML text", {"document": "one of document, text"})
        root = None
        if text is not None:
            data, root = self.parse_text(name, text)
        else:
            assert document is not None
            data = dict(document)
        snapshot = self.check(current, name, data, root)
        stored = self.document_of(snapshot, name)
        if text is None:
            text = f"# {name}: saved through the admin screen.\n" + dump_yaml(stored)
        async with self.database.session() as session:
            row = await ConfigVersionRepository(session).add(
                name, stored, text, comment=comment.strip(), author_id=author_id, at=self.clock(),
                expected=expected, restored_from=restored_from)
            version = row.version
        versions = {**snapshot.versions, name: version}
        return ConfigSnapshot(snapshot.lists, snapshot.overrides, snapshot.pack, versions), version

    async def restore(self, current: ConfigSnapshot, name: str, version: int, *, comment: str,
                      author_id: int | None) -> tuple[ConfigSnapshot, int]:
        """A new version with the document of an old one (validated with the lists in force now)."""
        old = await self.version(name, version)
        note = comment.strip() or f"restored version {version}"
        return await self.save(current, name, document=old.document, comment=note, author_id=author_id,
                               restored_from=version)

    async def versions(self, name: str) -> list[VersionInfo]:
        self._known(name)
        async with self.database.session() as session:
            return await ConfigVersionRepository(session).versions(name)

    async def version(self, name: str, version: int) -> ConfigVersion:
        self._known(name)
        async with self.database.session() as session:
            return await ConfigVersionRepository(session).get(name, version)

    async def diff(self, name: str, first: int, second: int) -> list[str]:
        """A unified diff of two versions' documents (as YAML), lines without their newlines."""
        a, b = await self.version(name, first), await self.version(name, second)
        return list(difflib.unified_diff(dump_yaml(a.document).splitlines(), dump_yaml(b.document).splitlines(),
                                         f"{name} version {first}", f"{name} version {second}", lineterm=""))

    @staticmethod
    def _known(name: str) -> None:
        if name not in VERSIONED:
            raise NotFound(f"no config list named {name!r}", {"name": f"expected one of: {', '.join(VERSIONED)}"})
