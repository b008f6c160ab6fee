"""Regenerate the single initial migration from the models.

Allowed only while the project is unreleased (no database in production yet): once a
release ships, new changes get new revisions with ``alembic revision --autogenerate``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from alembic import command

from institution_node.store.migrate import HERE, alembic_config

VERSIONS = HERE / "migrations" / "versions"


def main() -> None:
    for old in VERSIONS.glob("0001_*.py"):
        old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        config = alembic_config(f"sqlite+aiosqlite:///{Path(tmp) / 'gen.db'}")
        command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")


if __name__ == "__main__":
    main()
