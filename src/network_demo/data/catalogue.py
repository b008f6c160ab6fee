"""The demo catalogue: one pool of works with network-wide record ids, held in part by each
member, so Get It finds the same record at several institutions."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from network_demo.data.members import MemberProfile
from network_demo.data.names import AUTHORS, LOCATIONS, TITLE_OPENINGS, TITLE_SUBJECTS
from network_demo.data.rules import policy_of

POOL_SIZE = 300
#: The first works of the pool are held by every member (the overlap Get It shows).
HELD_BY_ALL = 20
RECORDS_PER_MEMBER = 200


@dataclass(frozen=True, slots=True)
class Work:
    network_record_id: str
    title: str
    author: str


@dataclass(slots=True)
class ItemRef:
    """An item the generator may lend: where it is and whether loans are allowed."""

    barcode: str
    library: str
    network_record_id: str
    loanable: bool
    loan_period_days: int


def work_pool(seed: int) -> list[Work]:
    """The same ``POOL_SIZE`` works for every member, in a stable order."""
    rng = random.Random(f"{seed}:pool")
    titles = [f"{o} {s}" for o in TITLE_OPENINGS for s in TITLE_SUBJECTS]
    chosen = rng.sample(titles, POOL_SIZE)
    return [
        Work(network_record_id=f"nr-{i + 1:05d}", title=title, author=rng.choice(AUTHORS))
        for i, title in enumerate(chosen)
    ]


def member_records(
    member: MemberProfile, pool: list[Work], rng: random.Random
) -> tuple[list[dict[str, Any]], list[ItemRef]]:
    """Load-file records for ``member`` (with holdings and items) and the items made."""
    shared, rest = pool[:HELD_BY_ALL], pool[HELD_BY_ALL:]
    held = shared + sorted(
        rng.sample(rest, RECORDS_PER_MEMBER - HELD_BY_ALL), key=lambda w: w.network_record_id
    )
    libraries = [lib.code for lib in member.libraries]
    records: list[dict[str, Any]] = []
    items: list[ItemRef] = []
    serial = 0
    for work in held:
        # Most works sit in one library; some in two when the member has two.
        count = 2 if len(libraries) > 1 and rng.random() < 0.3 else 1
        holdings = []
        for library in rng.sample(libraries, count):
            location = rng.choice(LOCATIONS)
            loanable = location != "REFERENCE"
            hold_items = []
            for _ in range(rng.randint(1, 3)):
                serial += 1
                barcode = f"{member.id_prefix}-{serial:06d}"
                short_loan = location == "RESERVE"
                period = 3 if short_loan else 28
                hold_items.append(
                    {
                        "barcode": barcode,
                        "policy": policy_of(location),
                        "loanable": loanable,
                        "requestable": loanable,
                        "loan_period_days": period,
                        "renewals_allowed": 0 if short_loan else 2,
                    }
                )
                items.append(ItemRef(barcode, library, work.network_record_id, loanable, period))
            holdings.append(
                {
                    "library": library,
                    "location": location,
                    "call_number": f"{work.title[:2].upper()} {rng.randint(10, 999)}.{serial}",
                    "items": hold_items,
                }
            )
        records.append(
            {
                "network_record_id": work.network_record_id,
                "title": work.title,
                "author": work.author,
                "holdings": holdings,
            }
        )
    return records, items
