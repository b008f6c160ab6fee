"""Resource sharing on the hub's schema: a logged-in patron asks their home institution for
a borrowing request; resource sharing staff get a rota from live availability. Thin: parse,
call the service, map (the home's answer, as it came)."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from network_common.graphql_vocabulary import BorrowingFormat, BorrowingStatus

from ..schema.common import MemberUnavailable
from ..schema.context import HubInfo
from . import service


@strawberry.input(
    description="What the patron asks for: a network record (the Get It record id), or a "
    "book or article by its details; where to pick it up at home."
)
class ResourceSharingRequestInput:
    pickup_library_code: str
    record_id: str | None = None
    title: str | None = None
    author: str | None = None
    isbn: str | None = None
    issn: str | None = None
    year: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    article_title: str | None = None
    article_author: str | None = None
    format: BorrowingFormat = BorrowingFormat.BOOK
    needed_by: date | None = None
    # The patron's own words to their library (not a staff note: no note crosses the network).
    message: str | None = None

    def to_variables(self) -> dict[str, Any]:
        """The node's PatronResourceSharingInput (camelCase; unset fields left out)."""
        values = {
            "pickupLibraryCode": self.pickup_library_code,
            "recordId": self.record_id,
            "title": self.title,
            "author": self.author,
            "isbn": self.isbn,
            "issn": self.issn,
            "year": self.year,
            "volume": self.volume,
            "issue": self.issue,
            "pages": self.pages,
            "articleTitle": self.article_title,
            "articleAuthor": self.article_author,
            "format": self.format.value,
            "neededBy": self.needed_by.isoformat() if self.needed_by else None,
            "message": self.message,
        }
        return {k: v for k, v in values.items() if v is not None}


# Field names are the wire's camelCase: the answer is the home's dict, read as it came.
@strawberry.type(description="The patron's borrowing request at their home institution.")
class ResourceSharingRequest:
    institutionCode: str
    id: int
    status: BorrowingStatus
    title: str
    pickupLibraryCode: str
    pickupLibraryName: str | None
    neededBy: str | None


@strawberry.type
class ResourceSharingMutation:
    @strawberry.mutation(
        description="The calling patron asks their home institution for a resource sharing "
        "request (Get It's resource sharing link); its staff send it to partners. The same "
        "idempotencyKey again answers the same request."
    )
    async def request_resource_sharing(
        self, info: HubInfo, input: ResourceSharingRequestInput, idempotency_key: str
    ) -> ResourceSharingRequest:
        ctx = info.context
        found: Any = await service.request_resource_sharing(
            runtime=ctx.runtime,
            principal=ctx.caller(),
            request=input.to_variables(),
            idempotency_key=idempotency_key,
        )
        return found  # type: ignore[no-any-return]


@strawberry.type(description="A member holding an available copy of the record, in rota order.")
class NetworkRotaPartner:
    institution_code: str
    institution_name: str
    available_items: int
    total_items: int


@strawberry.type(
    description="A rota from live availability: ask the partners in this order "
    "(createBorrowingRequest's partnerCodes at your node)."
)
class NetworkRota:
    record_id: str
    partners: list[NetworkRotaPartner]
    unavailable: list[MemberUnavailable]


@strawberry.type
class ResourceSharingQuery:
    @strawberry.field(
        description="The calling patron's own resource sharing requests at their home "
        "institution, newest first (at most 50). Only for the patron themself."
    )
    async def my_resource_sharing_requests(self, info: HubInfo) -> list[ResourceSharingRequest]:
        ctx = info.context
        found: Any = await service.my_requests(runtime=ctx.runtime, principal=ctx.caller())
        return found  # type: ignore[no-any-return]

    @strawberry.field(
        description="The other members holding an available copy of a network record, most "
        "available copies first: a rota for a borrowing request, from live availability. "
        "For resource sharing staff (Fulfillment Services roles)."
    )
    async def network_rota(self, info: HubInfo, record_id: str) -> NetworkRota:
        ctx = info.context
        partners, failures = await service.network_rota(
            runtime=ctx.runtime, principal=ctx.caller(), record_id=record_id
        )
        return NetworkRota(
            record_id=record_id.strip(),
            partners=[
                NetworkRotaPartner(
                    institution_code=p.code,
                    institution_name=p.name,
                    available_items=p.available_items,
                    total_items=p.total_items,
                )
                for p in partners
            ],
            unavailable=[MemberUnavailable.from_domain(f) for f in failures],
        )
