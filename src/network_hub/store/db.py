"""The hub database uses the node's engine setup (SQLite pragmas or PostgreSQL pool)."""

from __future__ import annotations

from network_common.db import is_sqlite, make_engine, make_sessionmaker

__all__ = ["is_sqlite", "make_engine", "make_sessionmaker"]
