"""The architecture holds (issue 14): packages import one way, and no module import circle.

domain <- store <- {cti, dialer, ivr, live, ...} <- agent_ui: each package may import only the
packages its row names, so cti, dialer, ivr and the live layer never import each other or the web
layer, and nothing imports agent_ui (the composition root). Module-level imports (those a module
runs when it is imported, outside functions and ``TYPE_CHECKING``) form no circle.
"""

from __future__ import annotations

import ast
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES: list[str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]["packages"]

BASE = {"runtime", "domain", "config", "bus", "store"}
PEERS = {"live", "cti", "dialer", "ivr", "messaging", "payments", "supervision", "phone", "recordings"}
MAY_IMPORT: dict[str, set[str]] = {
    "domain": set(),
    "runtime": {"domain"},
    "config": {"domain"},
    "bus": {"domain", "config", "runtime"},
    "store": {"domain", "config"},
    **{peer: BASE for peer in PEERS},
    "agent_ui": BASE | PEERS,
}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, node: ast.ImportFrom, is_package: bool) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _top_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run at import time: the module body and its ``if``/``try`` blocks, not functions or
    ``if TYPE_CHECKING``."""
    stack: list[ast.stmt] = list(tree.body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If):
            if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                stack.extend(node.body + node.orelse)
        elif isinstance(node, ast.Try):
            stack.extend(node.body + node.orelse + node.finalbody)


def _targets(module: str, is_package: bool, node: ast.Import | ast.ImportFrom, files: set[str]) -> list[str]:
    """The modules an import names (``from a import b`` is ``a.b`` when that is a module)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    found = _resolve(module, node, is_package)
    subs = [f"{found}.{alias.name}" for alias in node.names]
    return [s for s in subs if s in files] or [found]


def _graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """Every import of ours (package level, anywhere in a module), and the module-level ones."""
    files = {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}
    names = set(files)
    anywhere: dict[str, set[str]] = {}
    eager: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(), str(path))
        is_package = path.name == "__init__.py"
        anywhere[module] = {t for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)
                            for t in _targets(module, is_package, n, names) if t.split(".")[0] in PACKAGES}
        eager[module] = {t for n in _top_level_imports(tree) for t in _targets(module, is_package, n, names)
                         if t in files}
    return anywhere, eager


def test_packages_import_only_the_layers_below_them() -> None:
    anywhere, _ = _graph()
    wrong = sorted(f"{module} imports {target}" for module, targets in anywhere.items() for target in targets
                   if target.split(".")[0] != module.split(".")[0]
                   and target.split(".")[0] not in MAY_IMPORT[module.split(".")[0]])
    assert wrong == []


def test_no_module_import_circle() -> None:
    _, eager = _graph()
    circles: list[list[str]] = []
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> None:
        if module in path:
            circles.append([*path[path.index(module):], module])
            return
        if module in done:
            return
        for target in sorted(eager.get(module, ())):
            visit(target, [*path, module])
        done.add(module)

    for module in sorted(eager):
        visit(module, [])
    assert circles == []


def test_every_package_has_a_row() -> None:
    assert set(PACKAGES) == set(MAY_IMPORT)
