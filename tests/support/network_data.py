"""Load-file data for a member that holds linked accounts of another member's patrons."""

from __future__ import annotations

from typing import Any

from tests.support.builders import holding, patron, record, two_library_institution


def linked_patron(home: str, home_user_id: str, **extra: Any) -> dict[str, Any]:
    """A linked account here for ``home_user_id`` of member ``home``."""
    return {
        **patron(f"{home}:{home_user_id}", **extra),
        "linked": {"source_institution": home, "source_user_id": home_user_id},
        "first_name": home_user_id.title(),
        "last_name": "Linked",
    }


def member_with_linked_patrons(
    code: str = "UNIB", *, home: str = "UNIA", patrons: int = 2, **settings: Any
) -> dict[str, Any]:
    """``two_library_institution`` plus ``patrons`` linked accounts (L1..Ln of ``home``),
    one loaned item each (``X-<n>``, MAIN) and one open fee each (12.50, balance 7.25)."""
    data = two_library_institution(code, **settings)
    ids = [f"L{n}" for n in range(1, patrons + 1)]
    data["users"] += [
        linked_patron(home, uid, address="1 Secret Lane", notes=[{"text": "private"}])
        for uid in ids
    ]
    data["records"].append(
        record(
            "rec-x",
            title="Networked Title",
            holdings=[holding("MAIN", *(f"X-{n}" for n in range(1, patrons + 1)))],
        )
    )
    data["loans"] = [
        {
            "barcode": f"X-{n}",
            "patron": f"{home}:{uid}",
            "desk": "MAIN-DESK",
            "loaned_at": "2026-01-05T10:00:00Z",
            "due_at": "2026-02-02T10:00:00Z",
            "renewals": 1,
        }
        for n, uid in enumerate(ids, start=1)
    ]
    data["fees"] = [
        {
            "patron": f"{home}:{uid}",
            "type": "OVERDUE",
            "owner": "MAIN",
            "amount": "12.50",
            "balance": "7.25",
        }
        for uid in ids
    ]
    return data
