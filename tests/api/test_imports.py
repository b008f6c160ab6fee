"""Patrons and items (CSV) and records (MARC, MARCXML): checked first, upserts, safe to re-run."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pymarc
import pytest
from pymarc.field import Indicators, Subfield
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from institution_node.loader.imports.items import import_items
from institution_node.loader.imports.marc import IdField
from institution_node.loader.imports.patrons import import_patrons
from institution_node.loader.imports.problems import ImportRefused
from institution_node.loader.imports.records import import_records
from institution_node.loader.load import load
from institution_node.store.migrate import HERE
from institution_node.store.models import BibRecord, Holding, Item, PatronRole, User
from network_common.db import make_engine, make_sessionmaker
from network_common.migrate import upgrade

EXAMPLES = Path(__file__).parents[2] / "docs" / "examples"
ID_001 = IdField.parse("001")


@pytest.fixture
async def session(db_url: str):  # type: ignore[no-untyped-def]
    engine = make_engine(db_url)
    await upgrade(engine, folder=HERE)
    async with make_sessionmaker(engine)() as s:
        await load(s, (EXAMPLES / "load-file.json").read_bytes())
        yield s
    await engine.dispose()


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode()


def _marc(*records: tuple[str | None, str | None]) -> bytes:
    out = b""
    for rid, title in records:
        r = pymarc.Record(force_utf8=True)
        if rid is not None:
            r.add_field(pymarc.Field(tag="001", data=rid))
        if title is not None:
            r.add_field(
                pymarc.Field(
                    tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", title)]
                )
            )
        out += r.as_marc()
    return out


def _open(name: str) -> io.BufferedReader:
    return io.BufferedReader(io.BytesIO((EXAMPLES / name).read_bytes()))


async def _count(session: AsyncSession, model: type) -> int:
    return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _refused(coro: object) -> list[str]:
    with pytest.raises(ImportRefused) as err:
        await coro  # type: ignore[misc]
    return [str(p) for p in err.value.problems]


async def test_the_example_files_import_and_a_second_run_changes_nothing(
    session: AsyncSession,
) -> None:
    first = [
        await import_records(session, _open("records.xml"), id_field=ID_001),
        await import_records(session, _open("records.mrc"), id_field=ID_001),
        await import_patrons(session, (EXAMPLES / "patrons.csv").read_bytes()),
        await import_items(session, (EXAMPLES / "items.csv").read_bytes()),
    ]
    await session.commit()
    assert [r.created for r in first] == [2, 2, 4, 4]
    again = [
        await import_records(session, _open("records.xml"), id_field=ID_001),
        await import_patrons(session, (EXAMPLES / "patrons.csv").read_bytes()),
        await import_items(session, (EXAMPLES / "items.csv").read_bytes()),
    ]
    assert [(r.created, r.updated, r.unchanged) for r in again] == [(0, 0, 2), (0, 0, 4), (0, 0, 4)]
    bib = await session.scalar(select(BibRecord).where(BibRecord.network_record_id == "nr-90001"))
    assert bib is not None
    assert bib.title == "Pride and prejudice"
    assert bib.author == "Austen, Jane, 1775-1817"
    brief = await session.scalar(select(BibRecord).where(BibRecord.network_record_id == "nr-90003"))
    assert brief is not None
    assert brief.title == "The art of computer programming"
    chen = await session.scalar(select(User).where(User.primary_id == "RU-20003"))
    assert chen is not None
    roles = (await session.scalars(select(PatronRole).where(PatronRole.user_id == chen.id))).all()
    assert sorted(str(r.expiry_date) for r in roles) == ["2027-12-31", "2027-12-31"]
    assert len({r.library_id for r in roles}) == 2
    ref = await session.scalar(select(Item).where(Item.barcode == "39001000002"))
    assert ref is not None
    assert (ref.item_policy, ref.loanable, ref.loan_period_days) == ("REFERENCE", False, 0)
    # Two items of nr-90001 in two libraries: two holdings.
    assert await _count(session, Holding) == 4


async def test_bad_patron_rows_are_reported_by_line_and_nothing_is_loaded(
    session: AsyncSession,
) -> None:
    raw = _csv(
        "# lfn-patrons 1",
        "primary_id,first_name,last_name,email,expiry_date,libraries",
        "P-1,Ann,One,ann@example.edu,2027-01-31,",
        "P-2,Bo,Two,bo@example.edu,31/01/2027,",
        ",No,Id,,,",
        "P-3,Cy,Three,,,NOPE",
        "P-1,Ann,Again,,,",
        "circ-admin,Casey,Admin,,,",
        '"P-4,Di,Four,,,',
    )
    problems = await _refused(import_patrons(session, raw))
    assert problems[:5] == [
        "line 4: expiry_date is '31/01/2027': use YYYY-MM-DD",
        "line 5: primary_id is required",
        "line 6: unknown library NOPE",
        "line 7: primary_id P-1 is also on line 3",
        "line 8: circ-admin is a staff user, not a patron",
    ]
    await session.rollback()
    assert await _count(session, User) == 1  # the load file's staff user only


async def test_skip_bad_rows_loads_the_good_ones(session: AsyncSession) -> None:
    raw = _csv("primary_id,email", "P-1,a@example.edu", "P-2,not-a-date", "P-3," + "x" * 300)
    report = await import_patrons(session, raw, skip_bad_rows=True)
    assert report.created == 2
    assert [str(p) for p in report.skipped] == ["line 4: email is longer than 255 characters"]


async def test_a_re_import_updates_only_what_the_file_has(session: AsyncSession) -> None:
    await import_patrons(
        session,
        _csv(
            "primary_id,first_name,last_name,email,user_group,expiry_date,address",
            "P-1,Ann,One,ann@example.edu,UNDERGRAD,2027-01-31,1 Main St",
            "P-2,Bo,Two,bo@example.edu,GRAD,2027-01-31,",
        ),
    )
    await session.commit()
    report = await import_patrons(
        session,
        _csv(
            "primary_id,last_name,email,expiry_date",
            "P-1,Married,ann@new.example,2028-01-31",
            "P-2,Two,bo@example.edu,2027-01-31",
        ),
    )
    await session.commit()
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    ann = await session.scalar(select(User).where(User.primary_id == "P-1"))
    assert ann is not None
    await session.refresh(ann)
    assert (ann.first_name, ann.last_name, ann.email, str(ann.expiry_date)) == (
        "Ann",
        "Married",
        "ann@new.example",
        "2028-01-31",
    )
    assert (ann.user_group, ann.address) == ("UNDERGRAD", "1 Main St")  # columns not in the file


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b"\xff\xfe", "not UTF-8"),
        (b"", "empty file"),
        (_csv("# lfn-items 1", "primary_id"), "this import reads lfn-patrons 1"),
        (_csv("# lfn-patrons 2", "primary_id"), "this import reads lfn-patrons 1"),
        (_csv("primary_id,fist_name", "P-1,Ann"), "unknown column(s) 'fist_name'"),
        (_csv("first_name", "Ann"), "missing column(s) primary_id"),
        (_csv("primary_id,email,email", "P-1,a,b"), "email appear more than once"),
    ],
    ids=["not-utf8", "empty", "other-kind", "other-version", "misspelt", "no-id", "dupe-column"],
)
async def test_file_level_problems(session: AsyncSession, raw: bytes, message: str) -> None:
    [problem] = await _refused(import_patrons(session, raw))
    assert problem.startswith("file: ")
    assert message in problem


ITEMS_HEADER = "barcode,record_id,library,location,call_number,loan_period_days,loanable"


async def test_items_upsert_and_refusals(session: AsyncSession) -> None:
    await import_records(session, _open("records.xml"), id_field=ID_001)
    await import_items(
        session,
        _csv(ITEMS_HEADER, "B-1,nr-90001,MAIN,Stacks,PR1,28,true", "B-2,nr-90002,MAIN,Stacks,,28,"),
    )
    await session.commit()
    b2 = await session.scalar(select(Item).where(Item.barcode == "B-2"))
    assert b2 is not None
    b2.status = "ON_LOAN"
    await session.commit()
    problems = await _refused(
        import_items(
            session,
            _csv(
                ITEMS_HEADER,
                "B-1,nr-90002,MAIN,Stacks,PR1,28,true",
                "B-2,nr-90002,LAW,Stacks,,28,",
                "B-3,nr-99999,MAIN,Stacks,,28,",
                "B-4,nr-90001,NOPE,Stacks,,28,",
                "B-5,nr-90001,MAIN,Stacks,,-1,",
                "B-6,nr-90001,MAIN,Stacks,,28,perhaps",
                "B-7,nr-90001,MAIN",
            ),
        )
    )
    assert problems == [
        "line 2: barcode B-1 belongs to record nr-90001, not nr-90002",
        "line 3: item B-2 is ON_LOAN: it can change library or location once it is back on "
        "the shelf",
        "line 4: unknown record_id nr-99999: import its MARC record first, or give a title",
        "line 5: unknown library NOPE",
        "line 6: loan_period_days is -1: must be between 0 and 3650",
        "line 7: loanable is 'perhaps': use true or false",
        "line 8: 3 cells, the header has 7",
    ]
    await session.rollback()
    report = await import_items(
        session,
        _csv(
            ITEMS_HEADER, "B-1,nr-90001,LAW,Reference,PR1,7,false", "B-2,nr-90002,MAIN,Stacks,,14,"
        ),
    )
    await session.commit()
    assert (report.created, report.updated) == (0, 2)
    b1 = await session.scalar(select(Item).where(Item.barcode == "B-1"))
    assert b1 is not None
    await session.refresh(b1)
    assert (b1.location, b1.loan_period_days, b1.loanable) == ("Reference", 7, False)
    holding = await session.get(Holding, b1.holding_id)
    assert holding is not None
    assert (holding.location, holding.call_number) == ("Reference", "PR1")


async def test_marc_problems_by_record_and_nothing_loaded(session: AsyncSession) -> None:
    raw = _marc(("r-1", "Good /"), (None, "No id"), ("r-3", None), ("r-1", "Again"))
    broken = raw + b"00050nam  2200025   4500garbage\x1d"
    problems = await _refused(
        import_records(session, io.BufferedReader(io.BytesIO(broken)), id_field=ID_001)
    )
    assert problems[0].startswith("record 2 (byte ")
    assert problems[0].endswith("no record id (001)")
    assert problems[1].startswith("record 3 ")
    assert "has no title (245)" in problems[1]
    assert problems[2].startswith("record 4 ")
    assert "also at record 1 (byte 0)" in problems[2]
    assert problems[3].startswith("record 5 ")
    assert "not a readable MARC record" in problems[3]
    await session.rollback()
    assert await _count(session, BibRecord) == 0
    report = await import_records(
        session, io.BufferedReader(io.BytesIO(raw)), id_field=ID_001, skip_bad_rows=True
    )
    assert report.created == 1


async def test_marcxml_problems_by_line_and_035_ids(session: AsyncSession) -> None:
    xml = b"""<?xml version="1.0"?>
<collection xmlns="http://www.loc.gov/MARC21/slim">
  <record>
    <datafield tag="035" ind1=" " ind2=" "><subfield code="a">(OCoLC)111</subfield></datafield>
    <datafield tag="245" ind1="0" ind2="0"><subfield code="a">First</subfield></datafield>
  </record>
  <record>
    <datafield tag="245" ind1="0" ind2="0"><subfield code="a">No id</subfield></datafield>
  </record>
</collection>"""
    problems = await _refused(
        import_records(session, io.BufferedReader(io.BytesIO(xml)), id_field=IdField.parse("035$a"))
    )
    assert problems == ["line 7: no record id (035$a)"]
    with pytest.raises(ImportRefused) as err:
        await import_records(session, io.BufferedReader(io.BytesIO(xml[:-20])), id_field=ID_001)
    assert "not well-formed XML" in str(err.value.problems[0])


def test_id_field_forms() -> None:
    assert IdField.parse("001") == IdField("001", None)
    assert IdField.parse("035$a") == IdField("035", "a")
    for bad in ("1", "245", "001$a", "035$"):
        with pytest.raises(ValueError, match="use a control field"):
            IdField.parse(bad)


def test_the_example_load_file_is_valid_json() -> None:
    assert json.loads((EXAMPLES / "load-file.json").read_text())["institution"]["code"] == "RIVERU"
