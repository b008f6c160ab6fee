"""The house's rooms: who may import whom (ARCHITECTURE.md, docs/ARCHITECTURE.md).

- ``institution_node/domain/`` imports no framework, driver or I/O library;
- the hub imports nothing of the node, the node nothing of the hub;
- the kernel (``network_common``) imports neither;
- only the demo package imports both.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
FRAMEWORKS = (
    "strawberry",
    "sqlalchemy",
    "starlette",
    "httpx",
    "aiohttp",
    "uvicorn",
    "asyncpg",
    "jwt",
    "lxml",
    "alembic",
)
PACKAGES = ("network_common", "institution_node", "network_hub", "network_demo")
# package -> the project packages it may import (besides itself)
ALLOWED = {
    "network_common": set(),
    "institution_node": {"network_common"},
    "network_hub": {"network_common"},
    "network_demo": {"network_common", "institution_node", "network_hub"},
}


def _imports(path: Path) -> Iterator[str]:
    """Absolute module names imported by ``path`` (relative imports stay in the package)."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def _files(package: str) -> list[Path]:
    files = [p for p in (SRC / package).rglob("*.py")]
    assert files, package
    return files


def test_domain_imports_no_framework() -> None:
    offenders = [
        f"{path.relative_to(SRC)}: {name}"
        for path in _files("institution_node/domain")
        for name in _imports(path)
        if name.split(".")[0] in FRAMEWORKS
    ]
    assert offenders == []


@pytest.mark.parametrize("package", PACKAGES)
def test_packages_import_only_what_the_layout_allows(package: str) -> None:
    offenders = [
        f"{path.relative_to(SRC)}: {name}"
        for path in _files(package)
        for name in _imports(path)
        if name.split(".")[0] in PACKAGES
        and name.split(".")[0] != package
        and name.split(".")[0] not in ALLOWED[package]
    ]
    assert offenders == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The walk above catches both import forms (a checker that cannot fail is no check)."""
    sample = tmp_path / "sample.py"
    sample.write_text("import network_hub.app\nfrom institution_node.cli import main\n")
    assert sorted(_imports(sample)) == ["institution_node.cli", "network_hub.app"]


def test_every_source_package_is_placed_in_the_layout() -> None:
    found = {p.name for p in SRC.iterdir() if (p / "__init__.py").exists()}
    assert found == set(PACKAGES)
