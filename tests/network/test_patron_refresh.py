"""A patron updated at home (CSV import) reaches the linked accounts at other members the
next time the patron uses the network (DOMAIN §3), through a real hub and real nodes."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from institution_node.loader.imports.patrons import import_patrons
from institution_node.store.models import PatronRole, User
from tests.network.conftest import NetworkFactory
from tests.network.test_getit import REGISTER, get_it, home, patron_token, remote
from tests.support.network import LiveNetwork

pytestmark = pytest.mark.network


def with_walk_in(data: dict[str, Any]) -> dict[str, Any]:
    """A NONE member that still holds a linked account for UNIA's P1 (a desk walk-in)."""
    data["users"].append(
        {
            "primary_id": "UNIA:P1",
            "kind": "PATRON",
            "first_name": "P1",
            "last_name": "Reader",
            "email": "p1@example.edu",
            "user_group": "UNDERGRAD",
            "patron_roles": [{"library": None}],
            "linked": {"source_institution": "UNIA", "source_user_id": "P1"},
        }
    )
    return data


async def linked_copy(net: LiveNetwork, code: str) -> tuple[Any, ...]:
    async with net.nodes[code].runtime.sessions() as session:
        user = await session.scalar(
            select(User).where(User.source_institution_code == "UNIA", User.source_user_id == "P1")
        )
        assert user is not None, code
        role_expiry = await session.scalar(
            select(PatronRole.expiry_date).where(
                PatronRole.user_id == user.id, PatronRole.library_id.is_(None)
            )
        )
    return (user.last_name, user.email, user.user_group, user.expiry_date, role_expiry)


async def test_a_home_update_reaches_every_linked_account_on_the_next_visit(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory(
        [
            home(),
            with_walk_in(remote("UNIB", "NONE")),
            remote("UNIC", "MANUAL"),
            remote("UNID", "AUTO"),
        ]
    )
    token = await patron_token(net, "P1")
    await get_it(net, "FULL", token=token)  # AUTO: linked at UNID
    await net.hub_gql(REGISTER, {"member": "UNIC"}, token=token)  # MANUAL: linked at UNIC
    before = ("Reader", "p1@example.edu", "UNDERGRAD")
    for code in ("UNIB", "UNIC", "UNID"):
        assert (await linked_copy(net, code))[:3] == before

    # The home's circulation system exports the patron again, changed; imported at home.
    csv = (
        b"primary_id,first_name,last_name,email,user_group,expiry_date\n"
        b"P1,P1,Okafor-Reader,p1.okafor@example.edu,GRAD,2031-06-30\n"
    )
    async with net.nodes["UNIA"].runtime.sessions() as session:
        report = await import_patrons(session, csv)
        await session.commit()
    assert report.updated == 1
    # Nothing crosses until the patron uses the network.
    assert (await linked_copy(net, "UNIC"))[:3] == before

    await get_it(net, "BRIEF", token=token)  # the patron's next search
    after = ("Okafor-Reader", "p1.okafor@example.edu", "GRAD", date(2031, 6, 30), date(2031, 6, 30))
    for code in ("UNIB", "UNIC", "UNID"):
        assert await linked_copy(net, code) == after, code

    # Up to date now: the next visit only asks for availability (no refresh calls).
    net.reset_calls()
    await get_it(net, "BRIEF", token=token)
    assert {code: net.nodes[code].network_calls for code in ("UNIB", "UNIC", "UNID")} == {
        "UNIB": 1,
        "UNIC": 1,
        "UNID": 1,
    }
    assert net.nodes["UNIA"].network_calls == 1
