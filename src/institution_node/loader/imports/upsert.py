"""Bulk helpers for imports: chunked key look-ups, batched inserts and updates by id.

Rows are written with executemany-style statements in batches (never one ORM object per
row), so 100,000 rows stay within seconds and bounded memory (bench/bench_imports.py).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.models_base import Base

BATCH = 1000
T = TypeVar("T")


def chunks(values: Sequence[T], size: int = BATCH) -> Iterator[Sequence[T]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


async def rows_by_key(
    session: AsyncSession,
    query: Select[Any] | Any,
    key: ColumnElement[Any] | Any,
    keys: Sequence[Any],
) -> list[Any]:
    """``query`` restricted to ``key IN keys``, asked in chunks."""
    found: list[Any] = []
    for part in chunks(list(keys)):
        found.extend((await session.execute(query.where(key.in_(part)))).all())
    return found


async def insert_many(
    session: AsyncSession, model: type[Base], rows: list[dict[str, Any]], *, returning: Any = None
) -> list[Any]:
    """Insert ``rows`` in batches; with ``returning`` (columns), the rows it gives back."""
    out: list[Any] = []
    for part in chunks(rows):
        if returning is None:
            await session.execute(insert(model), list(part))
        else:
            result = await session.execute(insert(model).returning(*returning), list(part))
            out.extend(result.all())
    return out


async def update_many(
    session: AsyncSession, model: type[Base], rows: Iterable[dict[str, Any]]
) -> None:
    """Update rows by primary key (each dict holds ``id`` and the changed columns)."""
    groups: dict[frozenset[str], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(frozenset(row), []).append(row)
    for group in groups.values():
        for part in chunks(group):
            await session.execute(update(model), list(part))
