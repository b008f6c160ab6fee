"""Loans, fees and requests at one member, for its own patrons and for linked accounts."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from network_demo.data.catalogue import ItemRef
from network_demo.data.members import MemberProfile


@dataclass(frozen=True, slots=True)
class RequestSeed:
    """An active title-level request to place after the load (the load file has none)."""

    patron: str  # local primary id at the owning member
    network_record_id: str
    pickup_institution: str
    pickup_library: str | None  # a local library code when picked up at the owner


@dataclass(frozen=True, slots=True)
class Shape:
    """How much activity a patron has at one member."""

    loans: int
    fees: int
    requests: int


@dataclass
class Ledger:
    """Everything one member lends; ``lendable`` shrinks as items go out on loan."""

    member: MemberProfile
    rng: random.Random
    today: date
    lendable: list[ItemRef]
    record_ids: list[str]
    loans: list[dict[str, Any]] = field(default_factory=list)
    fees: list[dict[str, Any]] = field(default_factory=list)
    requests: list[RequestSeed] = field(default_factory=list)

    def add(self, patron: str, shape: Shape, *, home: str | None = None) -> None:
        """Give ``patron`` (a local primary id) the activity ``shape`` at this member;
        ``home`` is the home institution of a linked account."""
        lent = [self._loan(patron) for _ in range(shape.loans)]
        for i in range(shape.fees):
            self._fee(patron, lent[i] if i < len(lent) else None)
        for _ in range(shape.requests):
            self._request(patron, home)

    def _loan(self, patron: str) -> ItemRef:
        item = self.lendable.pop()
        now = datetime.combine(self.today, time(10, 0), tzinfo=UTC)
        loaned_at = now - timedelta(days=self.rng.randint(1, 40), hours=self.rng.randint(0, 8))
        desk_library = item.library
        if len(self.member.libraries) > 1 and self.rng.random() < 0.2:
            # Picked up at another library of the same institution (library independence).
            desk_library = self.rng.choice([lib.code for lib in self.member.libraries])
        desk = next(lib for lib in self.member.libraries if lib.code == desk_library).desks[0][0]
        self.loans.append(
            {
                "barcode": item.barcode,
                "patron": patron,
                "desk": desk,
                "loaned_at": _iso(loaned_at),
                "due_at": _iso(loaned_at + timedelta(days=item.loan_period_days)),
                "renewals": self.rng.choice((0, 0, 0, 1)),
            }
        )
        return item

    def _fee(self, patron: str, item: ItemRef | None) -> None:
        kind, amount = self.rng.choice(
            (
                ("OVERDUE", Decimal("0.50")),
                ("OVERDUE", Decimal("2.25")),
                ("OVERDUE", Decimal("7.00")),
                ("DAMAGED_ITEM", Decimal("12.50")),
                ("LOST_ITEM", Decimal("45.00")),
            )
        )
        partly_paid = self.rng.random() < 0.3
        balance = (amount / 2).quantize(Decimal("0.01")) if partly_paid else amount
        self.fees.append(
            {
                "patron": patron,
                "type": kind,
                "owner": item.library if item else None,
                "amount": str(amount),
                "balance": str(balance),
                "comment": f"Item {item.barcode}" if item else "Card replacement",
            }
        )

    def _request(self, patron: str, home: str | None) -> None:
        record = self.rng.choice(self.record_ids)
        if home is not None and home in self.member.settings.get("pickup_anywhere", []):
            self.requests.append(RequestSeed(patron, record, home, None))
            return
        library = self.rng.choice(self.member.libraries).code
        self.requests.append(RequestSeed(patron, record, self.member.code, library))


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
