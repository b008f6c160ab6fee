"""``NetworkIdentityInput``: a patron as the network names them (docs/NETWORK.md, Identities).

Shared by every network capability that takes a patron identity, so the schema has one type.
"""

from __future__ import annotations

import strawberry


@strawberry.input(description="A patron's network identity: home member code + home primary id.")
class NetworkIdentityInput:
    home_institution: str
    home_user_id: str
