"""``network-hub`` command line: clear messages for a bad network file."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import select

from network_hub.cli import main


def test_sync_index_with_a_missing_network_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "absent.toml"
    code = main(["--data-dir", str(tmp_path / "hub"), "--network-file", str(missing), "sync-index"])
    assert code == 2
    assert "no such network file" in capsys.readouterr().err


def test_serve_with_a_malformed_network_file_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "network.toml"
    bad.write_text('[[members]]\ncode = "A"\n')
    code = main(["--data-dir", str(tmp_path / "hub"), "--network-file", str(bad), "serve"])
    assert code == 2
    assert "lacks name, url" in capsys.readouterr().err


def test_prune_ledger_removes_what_is_older_and_wants_a_period(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime, timedelta

    from network_common.db import make_engine, make_sessionmaker
    from network_hub.store.migrate import upgrade
    from network_hub.store.models import PrivacyLedgerEntry

    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}"
    base = ["--data-dir", str(tmp_path), "--database-url", url, "prune-ledger"]

    async def rows(*ages: int) -> list[str]:
        engine = make_engine(url)
        try:
            await upgrade(engine)
            async with make_sessionmaker(engine)() as session:
                for days in ages:
                    session.add(
                        PrivacyLedgerEntry(
                            at=datetime.now(UTC) - timedelta(days=days),
                            kind="NETWORK_ACTIVITY",
                            patron_institution="UNIA",
                            patron_id=f"aged-{days}",
                            actor_kind="STAFF",
                            actor_institution="UNIA",
                            actor_id="op",
                            from_member="UNIB",
                            to_member="UNIA",
                            purpose="test",
                        )
                    )
                    await session.flush()
                await session.commit()
                found = await session.scalars(
                    select(PrivacyLedgerEntry.patron_id).order_by(PrivacyLedgerEntry.id)
                )
                return list(found)
        finally:
            await engine.dispose()

    assert asyncio.run(rows(400, 100, 2)) == ["aged-400", "aged-100", "aged-2"]
    assert main(base) == 2  # no period given, none set: the ledger keeps everything
    assert "older-than-days" in capsys.readouterr().err
    assert main([*base, "--older-than-days", "90"]) == 0
    assert "2 privacy-ledger row(s) older than 90 day(s) removed" in capsys.readouterr().out
    assert asyncio.run(rows()) == ["aged-2"]
