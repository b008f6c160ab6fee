"""What the resource sharing resolvers share: the caller as an ``Actor``, one unit of work
per mutation (the step, then its commit), and what the query asked for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry
from strawberry.types.nodes import FragmentSpread, InlineFragment, SelectedField

from network_common.tokens import Principal
from network_common.vocabulary import RESOURCE_SHARING_ROLES

from ...services.resource_sharing import views
from ...services.resource_sharing.common import Actor
from ..context import StaffInfo
from .ids import parse_id
from .rs_types import BorrowingRequest, LendingRequest

Step = Callable[..., Awaitable[Any]]


def operator(info: StaffInfo) -> Principal:
    """The calling Fulfillment Services Operator / Manager."""
    return info.context.staff(RESOURCE_SHARING_ROLES)


def asks_for(info: StaffInfo, name: str) -> bool:
    """Whether the query selects a field ``name`` anywhere below this root field (so a
    list loads history or facets only when they are shown)."""

    def walk(nodes: list[Any]) -> bool:
        for node in nodes:
            if isinstance(node, SelectedField) and node.name == name:
                return True
            if isinstance(node, SelectedField | FragmentSpread | InlineFragment) and walk(
                list(node.selections)
            ):
                return True
        return False

    return walk(list(info.selected_fields))


async def borrowing_step(
    info: StaffInfo, step: Step, id: strawberry.ID, **arguments: Any
) -> BorrowingRequest:
    """Take one step on a borrowing request as the operator, commit, answer the request."""
    actor = Actor(principal=operator(info))
    request_id = parse_id(id, "borrowing request")
    async with info.context.session() as session:
        await step(session, actor=actor, request_id=request_id, **arguments)
        await session.commit()
        view = await views.borrowing_request(session, actor=None, request_id=request_id)
    return BorrowingRequest.from_domain(view)


async def lending_step(
    info: StaffInfo, step: Step, id: strawberry.ID, **arguments: Any
) -> LendingRequest:
    """Take one step on a lending request as the operator, commit, answer the request."""
    actor = Actor(principal=operator(info))
    request_id = parse_id(id, "lending request")
    async with info.context.session() as session:
        await step(session, actor=actor, request_id=request_id, **arguments)
        await session.commit()
        view = await views.lending_request(session, actor=None, request_id=request_id)
    return LendingRequest.from_domain(view)


async def desk_step(
    info: StaffInfo, step: Step, id: strawberry.ID, **arguments: Any
) -> BorrowingRequest:
    """A desk's loan or return of a borrowed item (the desk's own transaction), then the
    request as it is now."""
    principal = operator(info)
    request_id = parse_id(id, "borrowing request")
    async with info.context.session() as session:
        await step(session, actor=principal, request_id=request_id, **arguments)
    async with info.context.session() as session:
        view = await views.borrowing_request(session, actor=None, request_id=request_id)
    return BorrowingRequest.from_domain(view)
