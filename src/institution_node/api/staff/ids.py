"""Parsing GraphQL ids: a malformed id answers NOT_FOUND, like a missing one."""

from __future__ import annotations

import strawberry

from ...domain.errors import NotFound


def parse_id(value: strawberry.ID, what: str) -> int:
    try:
        return int(value)
    except ValueError as exc:
        raise NotFound(f"No such {what}") from exc
