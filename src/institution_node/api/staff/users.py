"""Users on the staff API: look up a patron record, search users.

The record's lists are object fields, each one unit of work with its own session and a
constant number of statements; visibility (DOMAIN §7) is applied in SQL by the services.
"""

from __future__ import annotations

from datetime import date

import strawberry

from ...services import fees as fee_service
from ...services.patrons import records as record_service
from ...services.patrons import users as service
from ...services.patrons.records import RecordKind
from ...store.models import User as UserRow
from ..context import StaffInfo
from .circ_types import (
    Attachment,
    Block,
    Fee,
    Loan,
    Money,
    Note,
    Notification,
    PatronRole,
    StatCategory,
)
from .enums import UserKind


@strawberry.type(description="A search hit: identity only.")
class UserSummary:
    primary_id: str
    kind: UserKind
    first_name: str
    last_name: str
    email: str | None
    user_group: str | None
    expiry_date: date | None

    @classmethod
    def from_row(cls, row: UserRow) -> UserSummary:
        return cls(
            primary_id=row.primary_id,
            kind=UserKind(row.kind),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            user_group=row.user_group,
            expiry_date=row.expiry_date,
        )


@strawberry.type(description="A user record; each list shows only what you may see.")
class User:
    user_id: strawberry.Private[int]
    primary_id: str
    kind: UserKind
    first_name: str
    last_name: str
    email: str | None
    user_group: str | None
    expiry_date: date | None
    linked_institution: str | None

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            user_id=row.id,
            primary_id=row.primary_id,
            kind=UserKind(row.kind),
            first_name=row.first_name,
            last_name=row.last_name,
            email=row.email,
            user_group=row.user_group,
            expiry_date=row.expiry_date,
            linked_institution=row.source_institution_code,
        )

    @strawberry.field(description="Active loans, soonest due first.")
    async def loans(self, info: StaffInfo) -> list[Loan]:
        actor = info.context.staff()
        async with info.context.runtime.read_session() as session:
            views = await service.active_loans(session, actor=actor, user_id=self.user_id)
        return [Loan.from_domain(v) for v in views]

    @strawberry.field(description="Returned loans, newest first.")
    async def loan_history(self, info: StaffInfo, limit: int = 100) -> list[Loan]:
        actor = info.context.staff()
        async with info.context.runtime.read_session() as session:
            views = await service.loan_history(
                session, actor=actor, user_id=self.user_id, limit=limit
            )
        return [Loan.from_domain(v) for v in views]

    @strawberry.field(description="Fines and fees with their transaction history.")
    async def fees(self, info: StaffInfo, open_only: bool = False) -> list[Fee]:
        actor = info.context.staff()
        async with info.context.runtime.read_session() as session:
            views = await fee_service.list_fees(
                session, actor=actor, user_id=self.user_id, open_only=open_only
            )
        return [Fee.from_domain(v) for v in views]

    @strawberry.field(description="The sum of the open fees you may see.")
    async def fee_balance(self, info: StaffInfo) -> Money:
        actor = info.context.staff()
        async with info.context.runtime.read_session() as session:
            balance = await fee_service.fee_balance(session, actor=actor, user_id=self.user_id)
        return Money.from_domain(balance)

    @strawberry.field
    async def patron_roles(self, info: StaffInfo) -> list[PatronRole]:
        info.context.staff()
        async with info.context.runtime.read_session() as session:
            views = await service.patron_roles(session, user_id=self.user_id)
        return [PatronRole.from_domain(v) for v in views]

    async def _records(self, info: StaffInfo, kind: RecordKind) -> list[record_service.OwnedView]:
        actor = info.context.staff()
        async with info.context.runtime.read_session() as session:
            return await record_service.list_records(
                session, actor=actor, user_id=self.user_id, kind=kind
            )

    @strawberry.field
    async def blocks(self, info: StaffInfo) -> list[Block]:
        return [Block.from_domain(v) for v in await self._records(info, RecordKind.BLOCK)]

    @strawberry.field
    async def notes(self, info: StaffInfo) -> list[Note]:
        return [Note.from_domain(v) for v in await self._records(info, RecordKind.NOTE)]

    @strawberry.field
    async def stat_categories(self, info: StaffInfo) -> list[StatCategory]:
        views = await self._records(info, RecordKind.STAT_CATEGORY)
        return [StatCategory.from_domain(v) for v in views]

    @strawberry.field
    async def notifications(self, info: StaffInfo) -> list[Notification]:
        views = await self._records(info, RecordKind.NOTIFICATION)
        return [Notification.from_domain(v) for v in views]

    @strawberry.field
    async def attachments(self, info: StaffInfo) -> list[Attachment]:
        views = await self._records(info, RecordKind.ATTACHMENT)
        return [Attachment.from_domain(v) for v in views]


@strawberry.type
class UserQuery:
    @strawberry.field(description="A user record by primary id.")
    async def user(self, info: StaffInfo, primary_id: str) -> User:
        actor = info.context.staff()
        async with info.context.runtime.read_session() as session:
            row = await service.get_user(session, actor=actor, primary_id=primary_id)
        return User.from_row(row)

    @strawberry.field(description="Users by name, primary id or e-mail.")
    async def search_users(self, info: StaffInfo, text: str, limit: int = 20) -> list[UserSummary]:
        actor = info.context.staff()
        async with info.context.runtime.read_session() as session:
            rows = await service.search_users(session, actor=actor, text=text, limit=limit)
        return [UserSummary.from_row(r) for r in rows]
