"""The load file: every problem reported with its location, nothing loaded if any; the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from institution_node.cli import main
from institution_node.loader.load import LoadError, load
from institution_node.store.migrate import upgrade
from institution_node.store.models import Fee, Institution, Item, Library, Loan, User
from network_common.db import make_engine, make_sessionmaker
from tests.conftest import NodeFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.circ_queries import USER_RECORD

COUNTED = (Institution, Library, User, Item, Loan, Fee)


async def _load_into(url: str, data: Any) -> tuple[list[str], dict[str, int]]:
    """Load ``data`` (a dict, or raw text) into ``url``; return problems and row counts."""
    engine = make_engine(url)
    try:
        await upgrade(engine)
        problems: list[str] = []
        async with make_sessionmaker(engine)() as session:
            raw = data if isinstance(data, str) else json.dumps(data)
            try:
                await load(session, raw)
            except LoadError as exc:
                problems = exc.problems
        async with make_sessionmaker(engine)() as session:
            counts = {
                m.__name__: int(await session.scalar(select(func.count()).select_from(m)) or 0)
                for m in COUNTED
            }
    finally:
        await engine.dispose()
    return problems, counts


def _broken() -> dict[str, Any]:
    data = two_library_institution()
    data["records"][0]["holdings"].append(  # unknown library, duplicate barcode
        {"library": "NOWHERE", "location": "X", "items": [{"barcode": "M-1"}]}
    )
    data["users"][3]["patron_roles"] = [{"library": "ATLANTIS"}]
    data["loans"] = [
        {
            "barcode": "M-3",
            "patron": "GHOST",
            "desk": "MAIN-DESK",
            "loaned_at": "2026-01-01T00:00:00+00:00",
            "due_at": "2025-01-01T00:00:00+00:00",
        }
    ]
    data["fees"] = [{"patron": "P1", "type": "OVERDUE", "amount": "-2", "owner": "MAIN"}]
    return data


async def test_every_problem_is_reported_and_nothing_is_loaded(sqlite_url: str) -> None:
    problems, counts = await _load_into(sqlite_url, _broken())
    joined = "\n".join(problems)
    for expected in (
        "records[0].holdings[2].library: unknown library NOWHERE",
        "records[0].holdings[2].items[0].barcode: M-1 is not unique",
        "users[3].patron_roles[0].library: unknown library ATLANTIS",
        "loans[0].patron: unknown patron GHOST",
        "loans[0].due_at: must be after loaned_at",
        "fees[0]:",
    ):
        assert expected in joined, joined
    assert set(counts.values()) == {0}, counts


async def test_shape_errors_name_their_location(sqlite_url: str) -> None:
    data = two_library_institution()
    data["users"][0]["kind"] = "ROBOT"
    data["records"][1]["holdings"][0]["items"][0]["loan_period_days"] = -3
    data["unexpected"] = True
    problems, counts = await _load_into(sqlite_url, data)
    joined = "\n".join(problems)
    assert "users[0].kind" in joined
    assert "records[1].holdings[0].items[0].loan_period_days" in joined
    assert "unexpected" in joined
    assert set(counts.values()) == {0}


async def test_not_json_at_all(sqlite_url: str) -> None:
    problems, counts = await _load_into(sqlite_url, "{ this is not json")
    assert problems[0].startswith("(file): not valid JSON")
    assert set(counts.values()) == {0}


async def test_second_file_with_a_clash_adds_nothing(sqlite_url: str) -> None:
    first, _ = await _load_into(sqlite_url, two_library_institution())
    assert first == []
    again = {"libraries": [{"code": "MAIN", "name": "Again"}, {"code": "NEW", "name": "New"}]}
    problems, counts = await _load_into(sqlite_url, again)
    assert problems == ["libraries[0].code: library MAIN already exists"]
    assert counts["Library"] == 2


async def test_migrated_loans_and_fees_are_served(node_factory: NodeFactory) -> None:
    data = two_library_institution()
    data["loans"] = [
        {
            "barcode": "L-1",
            "patron": "P1",
            "desk": "LAW-DESK",
            "loaned_at": "2026-01-01T00:00:00+00:00",
            "due_at": "2026-02-01T00:00:00+00:00",
            "renewals": 1,
        }
    ]
    data["fees"] = [
        {"patron": "P1", "type": "LOST_ITEM", "owner": "LAW", "amount": "30.00", "balance": "12.34"}
    ]
    node = await node_factory(data)
    token = await node.token(api_key("unia-admin"))
    record = (await node.gql(USER_RECORD, {"id": "P1"}, token=token))["user"]
    assert [(x["itemBarcode"], x["renewals"]) for x in record["loans"]] == [("L-1", 1)]
    assert record["feeBalance"] == {"amount": "12.34", "currency": "USD"}
    assert record["fees"][0]["originalAmount"] == "30.00"


def test_cli_load_reports_problems_then_loads(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    args = ["--data-dir", str(tmp_path), "--database-url", url, "load"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(_broken()))
    assert main([*args, str(bad)]) == 2
    err = capsys.readouterr().err
    assert "nothing was loaded" in err
    assert "loans[0].patron: unknown patron GHOST" in err

    good = tmp_path / "good.json"
    good.write_text(json.dumps(two_library_institution()))
    assert main([*args, str(good)]) == 0
    assert "loaded" in capsys.readouterr().out
    assert main([*args, str(tmp_path / "missing.json")]) == 2


def _too_long() -> dict[str, Any]:
    """Values the database cannot hold (too long, out of range)."""
    data = two_library_institution()
    data["libraries"][0]["name"] = "L" * 300
    data["users"][3]["first_name"] = "F" * 200
    data["users"][3]["stat_categories"] = [{"category": "C" * 100, "value": "v"}]
    data["records"][0]["title"] = "T" * 600
    data["loans"] = [
        {
            "barcode": "M-3",
            "patron": "P1",
            "desk": "MAIN-DESK",
            "loaned_at": "2026-01-01T00:00:00+00:00",
            "due_at": "2026-02-01T00:00:00+00:00",
            "renewals": 99999999999,
        }
    ]
    return data


def _clashing() -> dict[str, Any]:
    """Unique values given twice, a key id too long, an amount too large."""
    data = two_library_institution()
    data["users"][3]["linked"] = {"source_institution": "X", "source_user_id": "1"}
    data["users"][4]["linked"] = {"source_institution": "X", "source_user_id": "1"}
    data["clients"].append({"label": "second", "key": "lfn_" + "k" * 40 + "_secret"})
    data["fees"] = [{"patron": "P1", "type": "OVERDUE", "amount": "99999999999"}]
    return data


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            _too_long(),
            [
                "libraries[0].name:",
                "users[3].first_name:",
                "users[3].stat_categories[0].category:",
                "records[0].title:",
                "loans[0].renewals:",
            ],
        ),
        (
            _clashing(),
            [
                "clients[1].key:",
                "users: more than one linked account for X user 1",
                "fees[0]: amount must not be more than",
            ],
        ),
    ],
    ids=["too-long", "clashing"],
)
async def test_values_the_database_cannot_hold_are_problems_not_crashes(
    db_url: str, data: dict[str, Any], expected: list[str]
) -> None:
    problems, counts = await _load_into(db_url, data)
    joined = "\n".join(problems)
    for text in expected:
        assert text in joined, joined
    assert set(counts.values()) == {0}, counts


async def test_api_key_id_already_held_is_a_problem(db_url: str) -> None:
    assert (await _load_into(db_url, two_library_institution()))[0] == []
    again = {"clients": [{"label": "again", "key": api_key("unia-discovery") + "x"}]}
    problems, _ = await _load_into(db_url, again)
    assert problems == ["users/clients: an API key id is not unique (give each key its own id)"]


async def test_text_with_nul_characters_is_a_problem(db_url: str) -> None:
    data = two_library_institution()
    data["users"][3]["first_name"] = "Ann\u0000"
    data["users"][3]["notes"] = [{"text": "a\u0000b"}]
    problems, counts = await _load_into(db_url, data)
    joined = "\n".join(problems)
    assert "users[3].first_name: Value error, text must not contain NUL" in joined, joined
    assert "users[3].notes[0].text:" in joined, joined
    assert set(counts.values()) == {0}


async def test_a_zero_registration_fee_means_no_fee(sqlite_url: str) -> None:
    """Like updateLibrary: "0" configures no registration fee rather than being refused."""
    data = two_library_institution()
    data["libraries"][0]["registration_fee"] = "0"
    data["libraries"][1]["registration_fee"] = "7.50"
    engine = make_engine(sqlite_url)
    try:
        await upgrade(engine)
        async with make_sessionmaker(engine)() as session:
            await load(session, json.dumps(data))
            rows = await session.execute(select(Library.code, Library.registration_fee_minor))
            fees = {code: minor for code, minor in rows}
    finally:
        await engine.dispose()
    assert fees == {"MAIN": None, "LAW": 750}
