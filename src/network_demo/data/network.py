"""Build the whole demo network's data in memory: one load file per member, the requests to
place after loading, the demo keys, and the patron the demo's printed query is about.

Everything follows from ``seed`` and ``today`` (dates are relative to it, so loans are due
soon or overdue whenever the demo is first started).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from network_demo.data.activity import Ledger, RequestSeed, Shape
from network_demo.data.catalogue import HELD_BY_ALL, member_records, work_pool
from network_demo.data.members import PROFILES, MemberProfile
from network_demo.data.people import StaffKeys, patrons, staff
from network_demo.data.rules import demo_rules

DEFAULT_SEED = 2026
#: The patron the printed Network Activity query is about: home NORTHU, active at both others.
FEATURED_HOME = "NORTHU"
FEATURED_REMOTES = ("SOUTHC", "EASTC")

_NONE = Shape(loans=0, fees=0, requests=0)
_LIGHT = Shape(loans=1, fees=0, requests=0)
_FEATURED = {"SOUTHC": Shape(loans=2, fees=1, requests=1), "EASTC": Shape(1, 1, 1)}


@dataclass(frozen=True, slots=True)
class MemberData:
    profile: MemberProfile
    load_file: dict[str, Any]
    requests: tuple[RequestSeed, ...]
    keys: StaffKeys


@dataclass(frozen=True, slots=True)
class FeaturedPatron:
    home: str
    primary_id: str
    name: str
    remotes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DemoNetwork:
    members: dict[str, MemberData]
    featured: FeaturedPatron
    #: A record every member holds (for the printed Get It example).
    shared_record_id: str
    seed: int


def _random_shape(rng: random.Random) -> Shape:
    roll = rng.random()
    if roll < 0.3:
        return _NONE  # linked, but nothing active there (no "green dot" from this member)
    if roll < 0.6:
        return _LIGHT
    return Shape(loans=rng.randint(1, 3), fees=int(rng.random() < 0.4), requests=rng.randint(0, 1))


def _linked_user(home: MemberProfile, patron: dict[str, Any], link_id: str) -> dict[str, Any]:
    """The linked account at another member: only the limited information crosses."""
    return {
        "primary_id": f"{home.code}:{patron['primary_id']}",
        "kind": "PATRON",
        "first_name": patron["first_name"],
        "last_name": patron["last_name"],
        "email": patron["email"],
        "user_group": patron["user_group"],
        "expiry_date": patron["expiry_date"],
        "patron_roles": [{"library": None}],
        "linked": {
            "source_institution": home.code,
            "source_user_id": patron["primary_id"],
            "network_link_id": link_id,
        },
    }


def build_network(*, today: date, seed: int = DEFAULT_SEED) -> DemoNetwork:
    """The demo data for the three members of ``PROFILES``."""
    pool = work_pool(seed)
    rngs = {p.code: random.Random(f"{seed}:{p.code}") for p in PROFILES}
    users: dict[str, list[dict[str, Any]]] = {}
    records: dict[str, list[dict[str, Any]]] = {}
    home_patrons: dict[str, list[dict[str, Any]]] = {}
    keys: dict[str, StaffKeys] = {}
    ledgers: dict[str, Ledger] = {}
    for p in PROFILES:
        rng = rngs[p.code]
        records[p.code], items = member_records(p, pool, rng)
        lendable = [i for i in items if i.loanable]
        rng.shuffle(lendable)
        home_patrons[p.code] = patrons(p, rng, today)
        staff_users, keys[p.code] = staff(p, seed=seed)
        users[p.code] = staff_users + home_patrons[p.code]
        ledgers[p.code] = Ledger(
            member=p,
            rng=rng,
            today=today,
            lendable=lendable,
            # Requests only for works with a requestable copy (not reference-only).
            record_ids=sorted({i.network_record_id for i in lendable}),
        )

    # Home activity first, then linked accounts at the other members.
    for p in PROFILES:
        rng = rngs[p.code]
        for patron in home_patrons[p.code]:
            if rng.random() < 0.6:
                shape = Shape(rng.randint(1, 3), int(rng.random() < 0.25), int(rng.random() < 0.2))
                ledgers[p.code].add(patron["primary_id"], shape)

    link_rng = random.Random(f"{seed}:links")
    featured_row = home_patrons[FEATURED_HOME][0]
    for home in PROFILES:
        others = [q for q in PROFILES if q.code != home.code]
        for patron in home_patrons[home.code]:
            if patron is featured_row:
                remotes = [q for q in others if q.code in FEATURED_REMOTES]
            else:
                roll = link_rng.random()
                remotes = others if roll < 0.1 else [link_rng.choice(others)] if roll < 0.4 else []
            for remote in remotes:
                link_id = uuid.UUID(int=link_rng.getrandbits(128), version=4).hex
                linked = _linked_user(home, patron, link_id)
                users[remote.code].append(linked)
                shape = (
                    _FEATURED[remote.code] if patron is featured_row else _random_shape(link_rng)
                )
                ledgers[remote.code].add(linked["primary_id"], shape, home=home.code)

    members = {
        p.code: MemberData(
            profile=p,
            load_file=_load_file(p, users[p.code], records[p.code], ledgers[p.code], keys[p.code]),
            requests=tuple(ledgers[p.code].requests),
            keys=keys[p.code],
        )
        for p in PROFILES
    }
    featured = FeaturedPatron(
        home=FEATURED_HOME,
        primary_id=featured_row["primary_id"],
        name=f"{featured_row['first_name']} {featured_row['last_name']}",
        remotes=FEATURED_REMOTES,
    )
    shared = pool[HELD_BY_ALL // 2].network_record_id
    return DemoNetwork(members=members, featured=featured, shared_record_id=shared, seed=seed)


def _load_file(
    p: MemberProfile,
    users: list[dict[str, Any]],
    records: list[dict[str, Any]],
    ledger: Ledger,
    keys: StaffKeys,
) -> dict[str, Any]:
    return {
        "institution": {
            "code": p.code,
            "name": p.name,
            "currency": "USD",
            "reply_to_email": f"circulation@{p.domain}",
            "settings": p.settings,
        },
        "libraries": [
            {
                "code": lib.code,
                "name": lib.name,
                "reply_to_email": f"{lib.code.lower()}@{p.domain}",
                "desks": [
                    {"code": code, "name": name, "pickup_point": pickup}
                    for code, name, pickup in lib.desks
                ],
            }
            for lib in p.libraries
        ],
        "users": users,
        "clients": [{"label": f"{p.name} discovery", "key": keys.discovery}],
        "records": records,
        "loans": ledger.loans,
        "fees": ledger.fees,
        "fulfilment_rules": demo_rules([lib.code for lib in p.libraries]),
    }
