"""Linked accounts on the network API: the index sync page and ``ensureLinkedAccount``."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Annotated

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.graphql_vocabulary import LinkChangeKind, LinkOrigin

from ...services.network import link_changes
from ...services.network import linked_accounts as service
from .context import NetworkInfo


@strawberry.type(description="A local record of another member's patron.")
class LinkedAccount:
    local_primary_id: str
    home_institution: str
    home_user_id: str
    network_link_id: str
    first_name: str
    last_name: str
    email: str | None
    user_group: str | None
    expiry_date: date | None
    origin: LinkOrigin | None

    @classmethod
    def from_domain(cls, account: service.LinkedAccount) -> LinkedAccount:
        return cls(
            local_primary_id=account.local_primary_id,
            home_institution=account.home_institution,
            home_user_id=account.home_user_id,
            network_link_id=account.network_link_id,
            first_name=account.first_name,
            last_name=account.last_name,
            email=account.email,
            user_group=account.user_group,
            expiry_date=account.expiry_date,
            origin=None if account.origin is None else LinkOrigin(account.origin),
        )


@strawberry.type
class LinkedAccountPage:
    accounts: list[LinkedAccount]
    next_after: int | None = strawberry.field(
        description="Pass as `after` for the next page; null on the last page."
    )
    change_cursor: int = strawberry.field(
        description="The change feed's position when this page was read: `linkChanges` "
        "after it gives everything that changed since (read it from the first page)."
    )


@strawberry.type(description="A linked account appeared here or went away.")
class LinkChange:
    seq: int
    kind: LinkChangeKind
    local_primary_id: str
    home_institution: str
    home_user_id: str
    network_link_id: str

    @classmethod
    def from_domain(cls, change: link_changes.Change) -> LinkChange:
        return cls(
            seq=change.seq,
            kind=change.kind,
            local_primary_id=change.local_primary_id,
            home_institution=change.home_institution,
            home_user_id=change.home_user_id,
            network_link_id=change.network_link_id,
        )


@strawberry.type
class LinkChangePage:
    changes: list[LinkChange]
    cursor: int = strawberry.field(
        description="Pass as `after` next time (the last `seq` here, or `after` when none)."
    )
    more: bool = strawberry.field(description="More changes follow: ask again at once.")
    resync: bool = strawberry.field(
        description="`after` is not part of this feed (e.g. the database was restored): read "
        "`linkedAccounts` again and continue from its `changeCursor`."
    )


@strawberry.input(description="The home record of a patron (limited information only).")
class NetworkPatronInput:
    home_institution: str
    home_user_id: str
    first_name: str
    last_name: str
    email: str | None = None
    user_group: str | None = None
    expiry_date: date | None = None

    def to_domain(self) -> service.HomeRecord:
        return service.HomeRecord(
            home_institution=self.home_institution.strip(),
            home_user_id=self.home_user_id.strip(),
            first_name=self.first_name,
            last_name=self.last_name,
            email=self.email,
            user_group=self.user_group,
            expiry_date=self.expiry_date,
        )


@strawberry.type
class LinkedAccountsQuery:
    @strawberry.field(description="This member's linked accounts, by local id (index sync).")
    async def linked_accounts(
        self, info: NetworkInfo, after: int | None = None, first: int = 500
    ) -> LinkedAccountPage:
        info.context.hub()

        async def page(
            session: AsyncSession,
        ) -> tuple[int, Sequence[service.LinkedAccount], int | None]:
            # Read before the page: whatever changes meanwhile comes after this cursor.
            cursor = await link_changes.latest(session)
            accounts, next_after = await service.list_linked_accounts(
                session, after=after, first=first
            )
            return cursor, accounts, next_after

        cursor, accounts, next_after = await info.context.read(page)
        return LinkedAccountPage(
            accounts=[LinkedAccount.from_domain(a) for a in accounts],
            next_after=next_after,
            change_cursor=cursor,
        )

    @strawberry.field(
        description="Linked accounts created or removed here since `after` (a `seq`), oldest "
        "first; the hub polls it to keep its index fresh between full syncs."
    )
    async def link_changes(self, info: NetworkInfo, after: int, first: int = 500) -> LinkChangePage:
        info.context.hub()
        page = await info.context.read(
            lambda session: link_changes.changes_after(session, after=after, first=first)
        )
        return LinkChangePage(
            changes=[LinkChange.from_domain(c) for c in page.changes],
            cursor=page.cursor,
            more=page.more,
            resync=page.resync,
        )


@strawberry.type
class LinkedAccountsMutation:
    @strawberry.mutation(
        description="Create the patron's linked account here once, or refresh it; "
        "REGISTRATION_DISABLED when this member does not register other members' patrons."
    )
    async def ensure_linked_account(
        self,
        info: NetworkInfo,
        patron: NetworkPatronInput,
        origin: LinkOrigin,
        idempotency_key: str,
        desk_code: Annotated[
            str | None,
            strawberry.argument(
                description="WALK_IN: the registering desk (its registration rules apply)."
            ),
        ] = None,
    ) -> LinkedAccount:
        info.context.hub()
        async with info.context.session() as session:
            account = await service.ensure_linked_account(
                session,
                patron=patron.to_domain(),
                origin=origin,
                idempotency_key=idempotency_key,
                desk_code=desk_code,
            )
        return LinkedAccount.from_domain(account)

    @strawberry.mutation(
        description="Refresh the patron's existing linked account from the home record "
        "(any registration setting: it creates nothing); null when there is no account here."
    )
    async def refresh_linked_account(
        self, info: NetworkInfo, patron: NetworkPatronInput, idempotency_key: str
    ) -> LinkedAccount | None:
        info.context.hub()
        async with info.context.session() as session:
            account = await service.refresh_linked_account(
                session, patron=patron.to_domain(), idempotency_key=idempotency_key
            )
        return None if account is None else LinkedAccount.from_domain(account)
