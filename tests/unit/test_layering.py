"""domain/ imports no framework, driver or I/O library."""

from __future__ import annotations

import ast
from pathlib import Path

import institution_node

FORBIDDEN = (
    "strawberry",
    "sqlalchemy",
    "starlette",
    "httpx",
    "aiohttp",
    "uvicorn",
    "asyncpg",
    "jwt",
)
DOMAIN = Path(institution_node.__file__).parent / "domain"


def test_domain_imports_no_framework() -> None:
    offenders = []
    for path in DOMAIN.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []
