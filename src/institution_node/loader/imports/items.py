"""Items CSV (``lfn-items 1``): upsert of physical items by barcode.

Columns: ``barcode``, ``record_id`` (the network record id), ``library`` (code),
``location`` (all four required); ``call_number``, ``item_policy`` (what fulfilment rules
match on, e.g. ``BOOK``), ``loanable``, ``requestable`` (true/false,
default true), ``loan_period_days`` (default 28), ``renewals_allowed`` (default 2), and
``title``, ``author``: used only to make a brief record when ``record_id`` is not known yet
(import the MARC records first to get full ones; an existing record is never changed here).

Items are filed under the holding of their record, library, location and call number (made
when missing). An existing item gets the values of the columns the file has; it cannot move
to another record, and it changes library or location only while on the shelf.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ...store.models import BibRecord, Holding, Item, Library
from .csv_rows import CsvRow, RowError, check_width, read_rows
from .problems import ImportRefused, ImportReport, Problem
from .upsert import insert_many, rows_by_key, update_many

KIND, VERSION = "items", 1
POLICY = ("item_policy", "loanable", "requestable", "loan_period_days", "renewals_allowed")
COLUMNS = frozenset(
    {"barcode", "record_id", "library", "location", "call_number", "title", "author", *POLICY}
)
REQUIRED = frozenset({"barcode", "record_id", "library", "location"})
DEFAULTS: dict[str, Any] = {
    "loanable": True,
    "requestable": True,
    "loan_period_days": 28,
    "renewals_allowed": 2,
}


@dataclass(frozen=True, slots=True)
class ItemRow:
    line: int
    barcode: str
    record_id: str
    library: str
    location: str
    call_number: str | None
    title: str | None
    author: str | None
    policy: dict[str, Any]  # only the POLICY columns the file has


def _parse(row: CsvRow, present: frozenset[str]) -> ItemRow:
    check_width(row, len(present))
    policy: dict[str, Any] = {}
    if "item_policy" in present:
        policy["item_policy"] = row.text("item_policy", max_length=64)
    if "loanable" in present:
        policy["loanable"] = row.flag("loanable", True)
    if "requestable" in present:
        policy["requestable"] = row.flag("requestable", True)
    if "loan_period_days" in present:
        policy["loan_period_days"] = row.number("loan_period_days", 28, low=0, high=3650)
    if "renewals_allowed" in present:
        policy["renewals_allowed"] = row.number("renewals_allowed", 2, low=0, high=100)
    return ItemRow(
        line=row.line,
        barcode=row.text("barcode", max_length=64, required=True) or "",
        record_id=row.text("record_id", max_length=128, required=True) or "",
        library=row.text("library", max_length=64, required=True) or "",
        location=row.text("location", max_length=128, required=True) or "",
        call_number=row.text("call_number", max_length=128),
        title=row.text("title", max_length=512),
        author=row.text("author", max_length=255),
        policy=policy,
    )


def parse(raw: bytes) -> tuple[list[ItemRow], list[Problem]]:
    rows: list[ItemRow] = []
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    present, csv_rows = read_rows(
        raw, kind=KIND, version=VERSION, columns=COLUMNS, required=REQUIRED
    )
    for csv_row in csv_rows:
        try:
            parsed = _parse(csv_row, present)
        except RowError as exc:
            problems.append(Problem(f"line {csv_row.line}", str(exc)))
            continue
        if parsed.barcode in seen:
            problems.append(
                Problem(
                    f"line {parsed.line}",
                    f"barcode {parsed.barcode} is also on line {seen[parsed.barcode]}",
                )
            )
            continue
        seen[parsed.barcode] = parsed.line
        rows.append(parsed)
    return rows, problems


async def import_items(
    session: AsyncSession, raw: bytes, *, skip_bad_rows: bool = False
) -> ImportReport:
    """Check the whole file, then upsert its items in the session's transaction."""
    rows, problems = parse(raw)
    libs = {r[0]: r[1] for r in await session.execute(select(Library.code, Library.id))}
    bibs: dict[str, int] = {
        r[1]: r[0]
        for r in await rows_by_key(
            session,
            select(BibRecord.id, BibRecord.network_record_id),
            BibRecord.network_record_id,
            sorted({r.record_id for r in rows}),
        )
    }
    titled = {r.record_id: r for r in reversed(rows) if r.title}  # first row with a title
    existing = {
        r.barcode: r
        for r in await rows_by_key(
            session,
            select(
                Item.id,
                Item.barcode,
                Item.bib_id,
                Item.library_id,
                Item.location,
                Item.holding_id,
                Item.status,
                Holding.call_number,
                *(getattr(Item, p) for p in POLICY),
            ).join(Holding, Holding.id == Item.holding_id),
            Item.barcode,
            [r.barcode for r in rows],
        )
    }
    bib_of_id = {v: k for k, v in bibs.items()}
    good: list[ItemRow] = []
    for row in rows:
        where = f"line {row.line}"
        old = existing.get(row.barcode)
        if row.library not in libs:
            problems.append(Problem(where, f"unknown library {row.library}"))
        elif row.record_id not in bibs and row.record_id not in titled:
            problems.append(
                Problem(
                    where,
                    f"unknown record_id {row.record_id}: import its MARC record first, "
                    "or give a title",
                )
            )
        elif old is not None and bib_of_id.get(old.bib_id) != row.record_id:
            problems.append(
                Problem(
                    where,
                    f"barcode {row.barcode} belongs to record "
                    f"{bib_of_id.get(old.bib_id, 'another record')}, not {row.record_id}",
                )
            )
        elif (
            old is not None
            and old.status != "ON_SHELF"
            and (old.library_id != libs[row.library] or old.location != row.location)
        ):
            problems.append(
                Problem(
                    where,
                    f"item {row.barcode} is {old.status}: it can change library or location "
                    "once it is back on the shelf",
                )
            )
        else:
            good.append(row)
    problems.sort(key=lambda p: int(p.where.split()[1]) if p.where.startswith("line") else 0)
    if problems and not skip_bad_rows:
        raise ImportRefused(problems)
    report = ImportReport(skipped=problems)

    # Brief records for unknown record ids that came with a title.
    brief = sorted({r.record_id for r in good if r.record_id not in bibs})
    for bib_id, rid in await insert_many(
        session,
        BibRecord,
        [
            {"network_record_id": rid, "title": titled[rid].title, "author": titled[rid].author}
            for rid in brief
        ],
        returning=(BibRecord.id, BibRecord.network_record_id),
    ):
        bibs[rid] = bib_id

    # Holdings: (record, library, location, call number), made when missing.
    def shelf(row: ItemRow) -> tuple[int, int, str, str | None]:
        return (bibs[row.record_id], libs[row.library], row.location, row.call_number)

    holdings = {
        (h.bib_id, h.library_id, h.location, h.call_number): h.id
        for h in await rows_by_key(
            session,
            select(
                Holding.id,
                Holding.bib_id,
                Holding.library_id,
                Holding.location,
                Holding.call_number,
            ),
            Holding.bib_id,
            sorted({bibs[r.record_id] for r in good}),
        )
    }
    missing = sorted({shelf(r) for r in good} - set(holdings), key=str)
    for hid, bib_id, lib_id, location, call in await insert_many(
        session,
        Holding,
        [
            {"bib_id": b, "library_id": lib, "location": loc, "call_number": call}
            for b, lib, loc, call in missing
        ],
        returning=(
            Holding.id,
            Holding.bib_id,
            Holding.library_id,
            Holding.location,
            Holding.call_number,
        ),
    ):
        holdings[(bib_id, lib_id, location, call)] = hid

    new: list[dict[str, Any]] = []
    changes: list[dict[str, Any]] = []
    for row in good:
        target = {
            "bib_id": bibs[row.record_id],
            "library_id": libs[row.library],
            "location": row.location,
            "holding_id": holdings[shelf(row)],
        }
        old = existing.get(row.barcode)
        if old is None:
            new.append({"barcode": row.barcode, **target, **DEFAULTS, **row.policy})
            continue
        diff = {k: v for k, v in {**target, **row.policy}.items() if getattr(old, k) != v}
        if diff:
            changes.append({"id": old.id, **diff})
        else:
            report.unchanged += 1
    await insert_many(session, Item, new)
    await update_many(session, Item, changes)
    report.created, report.updated = len(new), len(changes)
    return report
