"""Patron record edits on the staff API: blocks, notes, statistical categories, desk
registration and patron role renewal."""

from __future__ import annotations

from datetime import date
from typing import Any

import strawberry

from ...services.patrons import records as service
from ...services.patrons import registration
from ...services.patrons.records import OwnedView, RecordKind
from ..context import StaffInfo
from .circ_types import Block, Note, PatronRole, StatCategory
from .ids import parse_id
from .users import User


@strawberry.input(description="A new patron registered at a desk.")
class PatronRegistrationInput:
    primary_id: str
    first_name: str
    last_name: str
    email: str | None = None
    user_group: str | None = None


@strawberry.type
class RecordMutation:
    @strawberry.mutation(description="Block a patron; a library's block stops only its items.")
    async def add_block(
        self,
        info: StaffInfo,
        patron: str,
        description: str,
        owner_library: str | None = None,
        block_type: str = "GENERAL",
        expiry_date: date | None = None,
    ) -> Block:
        values = {"description": description, "block_type": block_type, "expiry_date": expiry_date}
        view = await _add(info, RecordKind.BLOCK, patron, owner_library, values)
        return Block.from_domain(view)

    @strawberry.mutation
    async def add_note(
        self, info: StaffInfo, patron: str, text: str, owner_library: str | None = None
    ) -> Note:
        view = await _add(info, RecordKind.NOTE, patron, owner_library, {"text": text})
        return Note.from_domain(view)

    @strawberry.mutation
    async def add_stat_category(
        self,
        info: StaffInfo,
        patron: str,
        category: str,
        value: str,
        owner_library: str | None = None,
    ) -> StatCategory:
        values = {"category": category, "value": value}
        view = await _add(info, RecordKind.STAT_CATEGORY, patron, owner_library, values)
        return StatCategory.from_domain(view)

    @strawberry.mutation(description="Remove a block; answers the removed id.")
    async def remove_block(self, info: StaffInfo, id: strawberry.ID) -> strawberry.ID:
        return await _remove(info, RecordKind.BLOCK, id)

    @strawberry.mutation(description="Remove a note; answers the removed id.")
    async def remove_note(self, info: StaffInfo, id: strawberry.ID) -> strawberry.ID:
        return await _remove(info, RecordKind.NOTE, id)

    @strawberry.mutation(description="Remove a statistical category; answers the removed id.")
    async def remove_stat_category(self, info: StaffInfo, id: strawberry.ID) -> strawberry.ID:
        return await _remove(info, RecordKind.STAT_CATEGORY, id)

    @strawberry.mutation(description="Register a new patron at a desk (registration rules).")
    async def register_patron(
        self, info: StaffInfo, desk: str, patron: PatronRegistrationInput
    ) -> User:
        actor = info.context.staff()
        async with info.context.session() as session:
            row = await registration.register_patron(
                session,
                actor=actor,
                desk_code=desk,
                primary_id=patron.primary_id,
                first_name=patron.first_name,
                last_name=patron.last_name,
                email=patron.email,
                user_group=patron.user_group,
            )
        return User.from_row(row)

    @strawberry.mutation(
        description="Extend a patron role to newExpiry, or by the registration period."
    )
    async def renew_patron_role(
        self, info: StaffInfo, role_id: strawberry.ID, new_expiry: date | None = None
    ) -> PatronRole:
        actor = info.context.staff()
        async with info.context.session() as session:
            view = await registration.renew_patron_role(
                session,
                actor=actor,
                role_id=parse_id(role_id, "patron role"),
                new_expiry=new_expiry,
            )
        return PatronRole.from_domain(view)


async def _add(
    info: StaffInfo,
    kind: RecordKind,
    patron: str,
    owner_library: str | None,
    values: dict[str, Any],
) -> OwnedView:
    actor = info.context.staff()
    async with info.context.session() as session:
        return await service.add_record(
            session,
            actor=actor,
            patron_primary_id=patron,
            kind=kind,
            owner_library_code=owner_library,
            values=values,
        )


async def _remove(info: StaffInfo, kind: RecordKind, record_id: strawberry.ID) -> strawberry.ID:
    actor = info.context.staff()
    async with info.context.session() as session:
        removed = await service.remove_record(
            session, actor=actor, kind=kind, record_id=parse_id(record_id, kind.value.lower())
        )
    return strawberry.ID(str(removed))
