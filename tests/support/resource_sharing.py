"""Load-file data and small helpers for resource sharing tests (DOMAIN §8)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from institution_node.jobs import outbox_delivery
from institution_node.runtime import NodeRuntime
from institution_node.services.resource_sharing.common import now
from institution_node.services.resource_sharing.partners import (
    NetworkMemberInfo,
    sync_network_members,
)
from institution_node.store.models import History, OutboxMessage
from network_common.tokens import Principal, RoleGrant
from network_common.vocabulary import PrincipalKind, StaffRoleType
from tests.support.builders import holding, record, staff, two_library_institution
from tests.support.network import LiveNetwork


def rs_institution(code: str, **settings: Any) -> dict[str, Any]:
    """``two_library_institution`` plus resource sharing staff: ``<c>-rs-manager``
    (institution-wide manager), ``<c>-rs-main`` and ``<c>-rs-law`` (operators scoped to one
    library), and a few records to lend (``rs-1`` held by MAIN, ``rs-2`` by LAW)."""
    data = two_library_institution(code, **settings)
    c = code.lower()
    data["users"] += [
        staff(
            f"{c}-rs-manager",
            roles=[
                {"role": "FULFILLMENT_SERVICES_MANAGER", "libraries": None},
                {"role": "CIRCULATION_DESK_MANAGER", "libraries": None},
                {"role": "REQUESTS_OPERATOR", "libraries": None},
            ],
        ),
        staff(
            f"{c}-rs-main",
            roles=[
                {"role": "FULFILLMENT_SERVICES_OPERATOR", "libraries": ["MAIN"]},
                {"role": "CIRCULATION_DESK_OPERATOR", "libraries": ["MAIN"]},
            ],
        ),
        staff(
            f"{c}-rs-law",
            roles=[{"role": "FULFILLMENT_SERVICES_OPERATOR", "libraries": ["LAW"]}],
        ),
    ]
    data["records"] += [
        record("rs-1", title="Shared Title One", holdings=[holding("MAIN", f"{code}-R1")]),
        record("rs-2", title="Shared Title Two", holdings=[holding("LAW", f"{code}-R2")]),
    ]
    return data


async def add_network_partners(runtime: NodeRuntime, own: str, members: dict[str, str]) -> None:
    """Put ``members`` (code -> base URL) into the node's directory as the hub would."""
    async with runtime.sessions() as session:
        await sync_network_members(
            session,
            own_code=own,
            members=[
                NetworkMemberInfo(
                    code=code,
                    name=f"University {code}",
                    iso18626_url=f"{url}/iso18626",
                    jwks_url=f"{url}/.well-known/jwks.json",
                )
                for code, url in members.items()
            ],
        )


async def outbox_kinds(runtime: NodeRuntime) -> list[tuple[str, str]]:
    """(channel, message kind) of every outbox message, oldest first."""
    async with runtime.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [(r.channel, str(r.payload.get("kind"))) for r in rows]


async def history_kinds(runtime: NodeRuntime, *, lending_id: int | None = None) -> list[str]:
    async with runtime.sessions() as session:
        rows = await session.scalars(
            select(History.kind)
            .where(History.lending_request_id == lending_id)
            .order_by(History.id)
        )
        return list(rows)


def staff_principal(code: str) -> Principal:
    """An institution-wide operator of ``code`` with every role a test step needs."""
    return Principal(
        kind=PrincipalKind.STAFF,
        institution=code,
        user_id=None,
        primary_id=f"{code.lower()}-admin",
        session_id="test",
        roles=tuple(RoleGrant(role, None, False) for role in StaffRoleType),
    )


async def settle(net: LiveNetwork) -> None:
    """Run every node's outbox delivery until a whole round has nothing to send (a message
    delivered may cause the next: an unfilled answer makes the borrower ask the next
    partner). Each round sends at least one message, so the rounds are bounded."""
    for _ in range(20):
        handled = 0
        for node in net.nodes.values():
            report = await outbox_delivery(node.runtime, now=now())
            assert (report.retried, report.failed) == (0, 0), (node.code, report)
            handled += report.handled
        if handled == 0:
            return
    raise AssertionError("the outboxes did not settle")
