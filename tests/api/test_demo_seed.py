"""Seeding a demo member (what compose's node containers do) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import httpx
from sqlalchemy import func, select

from institution_node.app import create_app
from institution_node.settings import NodeSettings
from institution_node.store.models import FulfilmentRule, Loan, Request, User
from network_demo.data import build_network
from network_demo.data.seed import seed_member

INSTITUTION = "{ institution { code name uresolverRemoteRegister } }"


async def test_seed_loads_once_and_the_demo_keys_work(db_url: str, tmp_path: Path) -> None:
    member = build_network(today=date(2026, 3, 2)).members["EASTC"]

    first = await seed_member(db_url, member)
    again = await seed_member(db_url, member)

    assert first.loaded is True
    assert first.counts["requests"] == len(member.requests)
    assert again.loaded is False  # a restarted container does not load twice

    app = create_app(NodeSettings(data_dir=tmp_path, database_url=db_url))
    runtime = app.state.runtime
    try:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://node.test"
        ) as client:
            token = (
                await client.post("/auth/token", json={"api_key": member.keys.manager})
            ).json()["access_token"]
            answer = (
                await client.post(
                    "/graphql",
                    json={"query": INSTITUTION},
                    headers={"authorization": f"Bearer {token}"},
                )
            ).json()
        assert answer["data"]["institution"] == {
            "code": "EASTC",
            "name": "East Campus",
            "uresolverRemoteRegister": "NONE",
        }
        async with runtime.sessions() as session:
            users = await session.scalar(select(func.count()).select_from(User))
            requests = await session.scalar(select(func.count()).select_from(Request))
            origins = set(
                await session.scalars(
                    select(User.link_origin).where(User.source_institution_code.is_not(None))
                )
            )
            rules = await session.scalar(select(func.count()).select_from(FulfilmentRule))
            loan_rules = set(await session.scalars(select(Loan.rule_id)))
        assert users == len(member.load_file["users"])
        # The demo carries fulfilment rules; its loans were made under them.
        assert rules == len(member.load_file["fulfilment_rules"]) >= 4
        assert loan_rules
        assert None not in loan_rules
        # Under NONE, only a desk's walk-in registration makes a linked account.
        assert origins == {"WALK_IN"}
        assert requests == len(member.requests)
    finally:
        await runtime.close()
