"""Put one member's demo data into its database: migrate, load, place requests.

Used by ``network-demo`` (SQLite in the data directory) and by the compose deployment's
one-shot ``demo-seed`` container (``python -m network_demo.data.seed`` with
``DEMO_SEED_<CODE>`` naming each member's PostgreSQL database), so node containers run only
the node. A database that already holds an institution
is left alone, so a container restart does not load twice.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from institution_node.loader.load import load
from institution_node.services.requests.placement import Pickup, place_request
from institution_node.settings import NodeSettings
from institution_node.store.migrate import upgrade
from institution_node.store.models import Institution, Library, User
from network_common.db import make_engine, make_sessionmaker
from network_common.errors import DomainError
from network_demo.data.activity import RequestSeed
from network_demo.data.members import PROFILES, profile
from network_demo.data.network import DEFAULT_SEED, MemberData, build_network

log = logging.getLogger("network_demo")


@dataclass(frozen=True, slots=True)
class SeedResult:
    loaded: bool  # False: the database already held this member's data
    counts: dict[str, int]


async def seed_member(database_url: str, member: MemberData) -> SeedResult:
    """Migrate ``database_url`` and load ``member`` into it unless it is already loaded."""
    engine = make_engine(database_url)
    try:
        await upgrade(engine)
        sessions = make_sessionmaker(engine)
        async with sessions() as session:
            existing = await session.scalar(select(Institution.code))
            if existing is not None:
                if existing != member.profile.code:
                    raise SystemExit(
                        f"{database_url} holds {existing}, not {member.profile.code}: "
                        "use another database (or --reset for the demo)"
                    )
                return SeedResult(loaded=False, counts={})
            report = await load(session, json.dumps(member.load_file))
            await _set_link_origins(session, member)
        placed = await _place_requests(sessions, member)
    finally:
        await engine.dispose()
    return SeedResult(loaded=True, counts={**report.counts, "requests": placed})


# How linked accounts come to exist under each uresolver_remote_register (DOMAIN §3): under
# NONE only a walk-in registration at the desk makes one. The load file cannot say it.
_ORIGIN_BY_REGISTER = {"NONE": "WALK_IN", "MANUAL": "REGISTER", "AUTO": "AUTO"}


async def _set_link_origins(session: AsyncSession, member: MemberData) -> None:
    origin = _ORIGIN_BY_REGISTER[member.profile.settings["uresolver_remote_register"]]
    await session.execute(
        update(User).where(User.source_institution_code.is_not(None)).values(link_origin=origin)
    )
    await session.commit()


async def _place_requests(sessions: async_sessionmaker[AsyncSession], member: MemberData) -> int:
    """Requests go through the requests service (the load file has no requests section),
    so they are itemized and queued exactly as a desk would place them."""
    placed = 0
    own = member.profile.code
    for seed in member.requests:
        async with sessions() as session:
            try:
                await place_request(
                    session,
                    patron_id=await _user_id(session, seed.patron),
                    record_id=seed.network_record_id,
                    barcode=None,
                    pickup=await _pickup(session, own, seed),
                )
                placed += 1
            except DomainError as exc:
                # E.g. no requestable copy for a library-scoped patron, or the terms of use
                # keep a reserve copy at its library: the rules decide, as at a real desk.
                # Expected for a few generated requests, so not a warning on the console.
                log.info("demo request for %s skipped: %s", seed.patron, exc.message)
    return placed


async def _user_id(session: AsyncSession, primary_id: str) -> int:
    user_id = await session.scalar(select(User.id).where(User.primary_id == primary_id))
    assert user_id is not None, primary_id  # the generator only names users it loaded
    return user_id


async def _pickup(session: AsyncSession, own: str, seed: RequestSeed) -> Pickup:
    if seed.pickup_institution == own:
        lib = await session.scalar(select(Library).where(Library.code == seed.pickup_library))
        assert lib is not None, seed.pickup_library
        return Pickup(
            institution=own, library_id=lib.id, library_code=lib.code, library_name=lib.name
        )
    # Picked up at the patron's home: its first library (its main pickup point).
    home_lib = profile(seed.pickup_institution).libraries[0]
    return Pickup(
        institution=seed.pickup_institution,
        library_code=home_lib.code,
        library_name=home_lib.name,
    )


ENV_PREFIX = "DEMO_SEED_"


def _targets(member: str | None) -> dict[str, str]:
    """Member code -> database URL: one member from NODE_* settings, or every DEMO_SEED_<CODE>."""
    if member is not None:
        settings = NodeSettings()
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return {member: settings.resolved_database_url()}
    codes = {p.code for p in PROFILES}
    targets = {
        k.removeprefix(ENV_PREFIX): v for k, v in os.environ.items() if k.startswith(ENV_PREFIX)
    }
    unknown = sorted(set(targets) - codes)
    if unknown:
        raise SystemExit(f"{', '.join(ENV_PREFIX + c for c in unknown)}: not a demo member")
    if not targets:
        raise SystemExit(f"name a member, or set {ENV_PREFIX}<CODE> to its database URL")
    return targets


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m network_demo.data.seed",
        description="Load demo members: MEMBER into the database given by NODE_DATABASE_URL "
        f"(or NODE_DATA_DIR's SQLite file), or, without MEMBER, each member {ENV_PREFIX}<CODE> "
        "names into that database URL. A member already loaded is left alone.",
    )
    parser.add_argument("member", nargs="?", choices=[p.code for p in PROFILES])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    targets = _targets(args.member)
    network = build_network(today=datetime.now(UTC).date(), seed=args.seed)
    for code, url in targets.items():
        result = asyncio.run(seed_member(url, network.members[code]))
        if result.loaded:
            summary = ", ".join(f"{n} {what}" for what, n in result.counts.items())
            print(f"{code}: loaded demo data ({summary})")
        else:
            print(f"{code}: already loaded; nothing to do")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
