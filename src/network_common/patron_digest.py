"""A digest of a patron's limited information (DOMAIN §1), the same on every member.

A node's availability answer carries the digest of the viewer's record there (their home
record at the home, their linked account elsewhere); the hub compares them and refreshes
only the linked accounts whose copy differs from the home (DOMAIN §3), without reading or
moving the information itself when nothing changed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import date


def limited_digest(
    *,
    first_name: str | None,
    last_name: str | None,
    email: str | None,
    user_group: str | None,
    expiry_date: date | str | None,
) -> str:
    expiry = expiry_date.isoformat() if isinstance(expiry_date, date) else expiry_date
    values = [first_name or "", last_name or "", email or None, user_group or None, expiry]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()[:32]
