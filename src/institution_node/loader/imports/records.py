"""Upsert of bibliographic records (from MARC) by record id."""

from __future__ import annotations

from typing import Any, BinaryIO

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ...store.models import BibRecord
from .marc import IdField, MarcRecord, is_xml, read_binary, read_xml
from .problems import ImportRefused, ImportReport, Problem
from .upsert import insert_many, rows_by_key, update_many


def read(stream: BinaryIO, id_field: IdField) -> tuple[list[MarcRecord], list[Problem]]:
    head = stream.peek(64) if hasattr(stream, "peek") else b""
    reader = read_xml if is_xml(head[:64]) else read_binary
    rows: list[MarcRecord] = []
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    for item in reader(stream, id_field):
        if isinstance(item, Problem):
            problems.append(item)
        elif item.record_id in seen:
            problems.append(
                Problem(item.where, f"record id {item.record_id} is also at {seen[item.record_id]}")
            )
        else:
            seen[item.record_id] = item.where
            rows.append(item)
    return rows, problems


async def import_records(
    session: AsyncSession, stream: BinaryIO, *, id_field: IdField, skip_bad_rows: bool = False
) -> ImportReport:
    """Check every record, then upsert them (title, author) in the session's transaction."""
    rows, problems = read(stream, id_field)
    if problems and not skip_bad_rows:
        raise ImportRefused(problems)
    report = ImportReport(skipped=problems)
    existing = {
        r.network_record_id: r
        for r in await rows_by_key(
            session,
            select(BibRecord.id, BibRecord.network_record_id, BibRecord.title, BibRecord.author),
            BibRecord.network_record_id,
            [r.record_id for r in rows],
        )
    }
    new: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for row in rows:
        old = existing.get(row.record_id)
        if old is None:
            new.append(
                {"network_record_id": row.record_id, "title": row.title, "author": row.author}
            )
        elif (old.title, old.author) != (row.title, row.author):
            changes.append({"id": old.id, "title": row.title, "author": row.author})
        else:
            report.unchanged += 1
    await insert_many(session, BibRecord, new)
    await update_many(session, BibRecord, changes)
    report.created, report.updated = len(new), len(changes)
    return report
