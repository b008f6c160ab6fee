"""``homePatrons``: limited information about this member's own patrons (DOMAIN §1).

The type below is the whole of what may cross: no notes, blocks, addresses or statistics.
"""

from __future__ import annotations

from datetime import date

import strawberry

from ...services.network import home_patrons as service
from ...store.models import User as UserRow
from .context import NetworkInfo


@strawberry.type(description="A patron as other members may see it (limited information).")
class NetworkPatron:
    home_institution: str
    home_user_id: str
    first_name: str
    last_name: str
    email: str | None
    user_group: str | None
    expiry_date: date | None
    is_linked_account: bool
    source_institution: str | None
    source_user_id: str | None
    network_link_id: str | None

    @classmethod
    def from_row(cls, row: UserRow, institution: str) -> NetworkPatron:
        return cls(
            home_institution=institution,
            home_user_id=row.primary_id,
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            user_group=row.user_group,
            expiry_date=row.expiry_date,
            is_linked_account=row.is_linked,
            source_institution=row.source_institution_code,
            source_user_id=row.source_user_id,
            network_link_id=row.network_link_id,
        )


@strawberry.type
class PatronsQuery:
    @strawberry.field(
        description="This member's patrons by primary id; unknown ids are simply absent."
    )
    async def home_patrons(self, info: NetworkInfo, primary_ids: list[str]) -> list[NetworkPatron]:
        info.context.hub()
        code = await info.context.runtime.institution_code()
        rows = await info.context.read(
            lambda session: service.home_patrons(session, primary_ids=primary_ids)
        )
        return [NetworkPatron.from_row(r, code) for r in rows]

    @strawberry.field(
        description="The patron a visitor at another member's desk says they are, when their "
        "primary id and last name both match (else null: which part failed is not said)."
    )
    async def desk_patron(
        self, info: NetworkInfo, primary_id: str, last_name: str
    ) -> NetworkPatron | None:
        info.context.hub()
        code = await info.context.runtime.institution_code()
        row = await info.context.read(
            lambda session: service.desk_patron(session, primary_id=primary_id, last_name=last_name)
        )
        return None if row is None else NetworkPatron.from_row(row, code)
