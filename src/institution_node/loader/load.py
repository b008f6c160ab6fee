"""Validate a whole load file, then write it in one transaction (all or nothing)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from .check import find_problems
from .schema import LoadFile
from .write import write


class LoadError(Exception):
    """The file was refused; ``problems`` lists every one with its location."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the load file")
        self.problems = problems


@dataclass
class LoadReport:
    counts: dict[str, int] = field(default_factory=dict)


def _loc(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(file)"


def parse(raw: str | bytes) -> LoadFile:
    try:
        data = json.loads(raw)
    except ValueError as exc:
        raise LoadError([f"(file): not valid JSON: {exc}"]) from exc
    try:
        return LoadFile.model_validate(data)
    except ValidationError as exc:
        raise LoadError([f"{_loc(e['loc'])}: {e['msg']}" for e in exc.errors()]) from exc


async def load(session: AsyncSession, raw: str | bytes) -> LoadReport:
    """Validate everything, then write everything in the session's transaction and commit."""
    f = parse(raw)
    problems = await find_problems(session, f)
    if problems:
        raise LoadError(problems)
    report = LoadReport()
    try:
        report.counts = await write(session, f)
        await session.commit()
    except Exception:
        await session.rollback()
        raise
    return report
