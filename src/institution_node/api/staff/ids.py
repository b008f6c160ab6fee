"""Parsing GraphQL ids: a malformed id answers NOT_FOUND, like a missing one."""

from __future__ import annotations

import strawberry

from network_common.errors import NotFound

#: Ids are 32-bit integers in storage; anything beyond cannot name a row.
_ID_RANGE = range(-(2**31), 2**31)


def parse_id(value: strawberry.ID, what: str) -> int:
    try:
        number = int(value)
    except ValueError as exc:
        raise NotFound(f"No such {what}") from exc
    if number not in _ID_RANGE:
        raise NotFound(f"No such {what}")
    return number
