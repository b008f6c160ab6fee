"""The browser tests' network: home UNIA, owner UNIB (MANUAL), pickup member UNIC (AUTO).

UNIA's patron L1 has linked accounts and activity at UNIB (2 loans, 1 fee) and UNIC (3 loans,
1 fee); P1 requests UNIB's item S-1 for pickup at UNIC (the desk story); P2 uses Get It;
P3 walks in at UNIB.
"""

from __future__ import annotations

from typing import Any

from tests.support.builders import holding, patron, record, two_library_institution
from tests.support.network_data import linked_patron

PASSWORD = "correct horse battery staple"


def _with_linked_activity(data: dict[str, Any], code: str, loans: int, fees: int) -> None:
    data["users"].append(linked_patron("UNIA", "L1"))
    barcodes = [f"{code}-L{n}" for n in range(1, loans + 1)]
    data["records"].append(
        record(f"rec-{code}", title=f"Borrowed at {code}", holdings=[holding("MAIN", *barcodes)])
    )
    data["loans"] = [
        {
            "barcode": b,
            "patron": "UNIA:L1",
            "desk": "MAIN-DESK",
            "loaned_at": f"2026-01-0{n}T10:00:00Z",
            "due_at": f"2026-02-0{n}T10:00:00Z",
        }
        for n, b in enumerate(barcodes, start=1)
    ]
    data["fees"] = [
        {
            "patron": "UNIA:L1",
            "type": "OVERDUE",
            "owner": "MAIN",
            "amount": "4.00",
            "balance": "2.50",
        }
        for _ in range(fees)
    ]


def members() -> list[dict[str, Any]]:
    home = two_library_institution("UNIA")
    home["users"] += [patron("L1"), patron("P3")]
    owner = two_library_institution(
        "UNIB", uresolver_remote_register="MANUAL", pickup_anywhere=["UNIC", "UNIA"]
    )
    owner["records"] += [
        record("rec-S-1", title="Travelling S-1", holdings=[holding("MAIN", "S-1")]),
        record("rec-W-1", title="Walk-in W-1", holdings=[holding("MAIN", "W-1")]),
    ]
    _with_linked_activity(owner, "UNIB", loans=2, fees=1)
    pickup = two_library_institution(
        "UNIC", uresolver_remote_register="AUTO", pickup_anywhere=["UNIA"]
    )
    _with_linked_activity(pickup, "UNIC", loans=3, fees=1)
    return [home, owner, pickup]
