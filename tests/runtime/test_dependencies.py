"""Dependencies are honest (issue 14 item 8): every third-party module the shipped packages import
belongs to a distribution pyproject.toml declares as a runtime dependency.

The test fakes shipped inside the packages (``*/fakes*``: local provider servers for the tests and
the bench) may use the ``test`` extra instead. Before, ``jwt`` (PyJWT) and ``aiohttp`` were imported
by the service but only installed as a side effect (twilio's dependencies, the test extra).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CONFIG = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGES: list[str] = CONFIG["tool"]["mypy"]["packages"]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _names(requirements: list[str]) -> set[str]:
    return {_norm(re.split(r"[<>=!~\[; ]", r.strip(), maxsplit=1)[0]) for r in requirements}


RUNTIME = _names(CONFIG["project"]["dependencies"])
TEST = _names(CONFIG["project"]["optional-dependencies"]["test"])


def _imports(path: Path) -> set[str]:
    tops: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            tops.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            tops.add(node.module.split(".")[0])
    return {t for t in tops if t not in sys.stdlib_module_names and t not in PACKAGES}


def test_every_third_party_import_is_a_declared_dependency() -> None:
    owners = packages_distributions()
    undeclared: list[str] = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            fake = any(part.startswith("fakes") for part in path.relative_to(ROOT).parts)
            allowed = RUNTIME | TEST if fake else RUNTIME
            for module in sorted(_imports(path)):
                dists = {_norm(d) for d in owners.get(module, [])}
                if not dists & allowed:
                    undeclared.append(f"{path.relative_to(ROOT)}: {module} ({', '.join(sorted(dists)) or '?'})")
    assert undeclared == []


def test_the_named_ones_are_runtime_dependencies() -> None:
    assert {"pyjwt", "aiohttp", "prometheus-client"} <= RUNTIME
