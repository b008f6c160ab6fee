"""Resource sharing on the network API (DOMAIN §5, §8): a home patron's own borrowing
request, asked for through the hub (the hub verified the patron's token; idempotent by
key), and the hub's member list, which keeps the partner directory's network members."""

from __future__ import annotations

from datetime import date

import strawberry

from network_common.errors import InvalidInput
from network_common.graphql_vocabulary import BorrowingFormat, BorrowingStatus

from ...services.resource_sharing import partners
from ...services.resource_sharing import patron as service
from .context import NetworkInfo


@strawberry.input(
    description="What the patron asks for: a network record, or a book or article by its details."
)
class PatronResourceSharingInput:
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

    def to_domain(self) -> service.PatronAsk:
        return service.PatronAsk(
            pickup_library_code=self.pickup_library_code,
            record_id=self.record_id,
            title=self.title,
            author=self.author,
            isbn=self.isbn,
            issn=self.issn,
            publication_date=self.year,
            volume=self.volume,
            issue=self.issue,
            pages=self.pages,
            article_title=self.article_title,
            article_author=self.article_author,
            format=self.format.value,
            needed_by=self.needed_by,
            note=self.message,
        )


@strawberry.type(description="The patron's borrowing request at home, as the patron sees it.")
class PatronBorrowingRequest:
    id: int
    status: BorrowingStatus
    title: str
    pickup_library_code: str
    pickup_library_name: str | None
    needed_by: str | None

    @classmethod
    def from_domain(cls, v: service.PatronBorrowing) -> PatronBorrowingRequest:
        return cls(
            id=v.id,
            status=BorrowingStatus(v.status),
            title=v.title,
            pickup_library_code=v.pickup_library_code,
            pickup_library_name=v.pickup_library_name,
            needed_by=v.needed_by,
        )


MAX_MEMBERS = 1000


@strawberry.input(description="A network member as the hub lists it for resource sharing.")
class NetworkPartnerInput:
    code: str
    name: str
    iso18626_url: str
    jwks_url: str

    def to_domain(self) -> partners.NetworkMemberInfo:
        return partners.NetworkMemberInfo(
            code=self.code, name=self.name, iso18626_url=self.iso18626_url, jwks_url=self.jwks_url
        )


@strawberry.type(description="What a directory sync changed (member codes).")
class PartnerSyncReport:
    added: list[str]
    updated: list[str]
    deactivated: list[str]


@strawberry.type
class ResourceSharingQuery:
    @strawberry.field(
        description="Our patron's own borrowing requests (homeUserId: their primary id here), "
        "newest first, at most 50: what the patron sees of them."
    )
    async def patron_borrowing_requests(
        self, info: NetworkInfo, home_user_id: str
    ) -> list[PatronBorrowingRequest]:
        info.context.hub()
        found = await info.context.read(
            lambda session: service.requests_of_patron(session, patron_primary_id=home_user_id)
        )
        return [PatronBorrowingRequest.from_domain(v) for v in found]


@strawberry.type
class ResourceSharingMutation:
    @strawberry.mutation(
        description="The hub's member list: network members become (and stay) partners "
        "without retyping; members no longer listed are deactivated."
    )
    async def sync_resource_sharing_partners(
        self, info: NetworkInfo, members: list[NetworkPartnerInput]
    ) -> PartnerSyncReport:
        info.context.hub()
        if len(members) > MAX_MEMBERS:
            raise InvalidInput(f"At most {MAX_MEMBERS} members per call")
        async with info.context.session() as session:
            report = await partners.sync_network_members(
                session,
                own_code=await info.context.runtime.institution_code(),
                members=[m.to_domain() for m in members],
            )
        return PartnerSyncReport(
            added=report.added, updated=report.updated, deactivated=report.deactivated
        )

    @strawberry.mutation(
        description="Our patron (homeUserId: their primary id here) asks for a resource "
        "sharing request; staff review and send it. The same key again answers the same."
    )
    async def request_resource_sharing(
        self,
        info: NetworkInfo,
        home_user_id: str,
        request: PatronResourceSharingInput,
        idempotency_key: str,
    ) -> PatronBorrowingRequest:
        info.context.hub()
        async with info.context.session() as session:
            made = await service.request_for_patron(
                session,
                patron_primary_id=home_user_id,
                ask=request.to_domain(),
                idempotency_key=idempotency_key,
            )
        return PatronBorrowingRequest.from_domain(made)
