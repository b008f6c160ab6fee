"""The network's rules enforced where requests are placed and patrons registered (issue 11):
real nodes and a real hub on loopback. Home UNIA, owner UNIB, pickup member UNIC."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update

from institution_node.store.models import Fee, Library, Notification, PatronRole, Request, User
from tests.network.conftest import NetworkFactory
from tests.network.test_getit import REGISTER, patron_token
from tests.support.builders import two_library_institution
from tests.support.fulfilment_queries import HUB_LOAN, HUB_REQUEST, HUB_WALK_IN
from tests.support.network import LiveNetwork
from tests.support.nodes import GraphQLErrors
from tests.support.pickup_network import b_sends, c_receives, owner_data, staff

pytestmark = pytest.mark.network

GETIT = """
query($ids: [String!]!) {
  getIt(recordIds: $ids, shape: FULL) {
    records { others { institutionCode access requestable resourceSharing } }
  }
}"""


def _ask(barcode: str, key: str, user: str | None = None) -> dict[str, Any]:
    return {"owner": "UNIB", "pi": "UNIB", "pl": "MAIN", "barcode": barcode, "key": key,
            "user": user}  # fmt: skip


async def _codes(net: LiveNetwork, variables: dict[str, Any], token: str) -> list[str]:
    with pytest.raises(GraphQLErrors) as caught:
        await net.hub_gql(HUB_REQUEST, variables, token=token)
    return caught.value.codes


async def _at_b(net: LiveNetwork) -> tuple[int, int]:
    """(requests, linked accounts) at the owner."""
    async with net.nodes["UNIB"].runtime.sessions() as s:
        requests = await s.scalar(select(func.count(Request.id)))
        linked = await s.scalar(
            select(func.count(User.id)).where(User.source_institution_code.is_not(None))
        )
    return int(requests or 0), int(linked or 0)


async def test_availability_only_home_cannot_request_directly(
    network_factory: NetworkFactory,
) -> None:
    home = two_library_institution("UNIA", network_availability_display="AVAILABILITY_ONLY")
    net = await network_factory(
        [home, two_library_institution("UNIB", uresolver_remote_register="AUTO")]
    )
    patron = await patron_token(net, "P1")
    assert await _codes(net, _ask("M-1", "rs-1"), patron) == ["RESOURCE_SHARING_ONLY"]
    home_staff = await staff(net, "UNIA")
    assert await _codes(net, _ask("M-1", "rs-2", "P1"), home_staff) == ["RESOURCE_SHARING_ONLY"]
    assert await _at_b(net) == (0, 0)
    # Get It sends the patron to the home's resource sharing request instead.
    data = await net.hub_gql(GETIT, {"ids": ["rec-1"]}, token=patron)
    assert data["getIt"]["records"][0]["others"] == [
        {"institutionCode": "UNIB", "access": "AVAILABILITY_ONLY", "requestable": False,
         "resourceSharing": True}
    ]  # fmt: skip


async def test_manual_member_refuses_requests_before_register(
    network_factory: NetworkFactory,
) -> None:
    owner = two_library_institution("UNIB", uresolver_remote_register="MANUAL")
    net = await network_factory([two_library_institution("UNIA"), owner])
    patron = await patron_token(net, "P1")
    assert await _codes(net, _ask("M-1", "m-1"), patron) == ["REGISTRATION_REQUIRED"]
    home_staff = await staff(net, "UNIA")
    assert await _codes(net, _ask("M-2", "m-2", "P2"), home_staff) == ["REGISTRATION_REQUIRED"]
    assert await _at_b(net) == (0, 0)  # nothing made behind the patron's back
    await net.hub_gql(REGISTER, {"member": "UNIB", "ids": []}, token=patron)
    step = (await net.hub_gql(HUB_REQUEST, _ask("M-1", "m-3"), token=patron))["networkRequest"]
    assert step["requestStatus"] == "PICK_FROM_SHELF"
    assert await _at_b(net) == (1, 1)


async def test_a_loan_at_the_pickup_member_refreshes_the_linked_account(
    network_factory: NetworkFactory,
) -> None:
    net = await network_factory(
        [two_library_institution("UNIA"), owner_data(), two_library_institution("UNIC")]
    )
    patron = await patron_token(net, "P1")
    variables = {**_ask("S-1", "r-1"), "pi": "UNIC"}
    await net.hub_gql(HUB_REQUEST, variables, token=patron)
    await b_sends(net, "S-1")
    await c_receives(net, "S-1", "c-1")
    async with net.nodes["UNIA"].runtime.sessions() as s:  # the patron moves at home
        await s.execute(
            update(User).where(User.primary_id == "P1").values(email="new@home.example.edu")
        )
        await s.commit()
    c_desk = await staff(net, "UNIC", "main-op")
    loan = {"owner": "UNIB", "barcode": "S-1", "desk": "MAIN-DESK", "home": "UNIA",
            "user": "P1", "key": "l-1"}  # fmt: skip
    step = (await net.hub_gql(HUB_LOAN, loan, token=c_desk))["loanForOwner"]
    assert step["loanStatus"] == "ACTIVE"
    async with net.nodes["UNIB"].runtime.sessions() as s:
        email = await s.scalar(select(User.email).where(User.primary_id == "UNIA:P1"))
    assert email == "new@home.example.edu"


async def test_walk_in_registration_applies_the_desks_registration_rules(
    network_factory: NetworkFactory,
) -> None:
    owner = two_library_institution("UNIB", registration_role_scope="LIBRARY")
    owner["libraries"][0]["registration_fee"] = "5.00"  # MAIN
    for user in owner["users"]:  # walk-in registration needs the consortial privilege
        for role in user.get("staff_roles", []):
            role["consortial_services"] = True
    net = await network_factory([two_library_institution("UNIA"), owner])
    law_desk = await staff(net, "UNIB", "law-op")
    with pytest.raises(GraphQLErrors) as caught:  # not a desk of the operator's library
        await net.hub_gql(
            HUB_WALK_IN, {"home": "UNIA", "user": "P2", "key": "w-0", "desk": "MAIN-DESK"},
            token=law_desk,
        )  # fmt: skip
    assert caught.value.codes == ["FORBIDDEN"]
    main_desk = await staff(net, "UNIB", "main-op")
    account = await net.hub_gql(
        HUB_WALK_IN, {"home": "UNIA", "user": "P2", "key": "w-1", "desk": "MAIN-DESK"},
        token=main_desk,
    )  # fmt: skip
    assert account["walkInRegister"]["localPrimaryId"] == "UNIA:P2"
    async with net.nodes["UNIB"].runtime.sessions() as s:
        user_id = await s.scalar(select(User.id).where(User.primary_id == "UNIA:P2"))
        roles = (
            await s.execute(
                select(Library.code)
                .select_from(PatronRole)
                .outerjoin(Library, Library.id == PatronRole.library_id)
                .where(PatronRole.user_id == user_id)
            )
        ).all()
        fees = (
            await s.execute(
                select(Fee.fee_type, Library.code, Fee.original_minor)
                .join(Library, Library.id == Fee.owner_library_id)
                .where(Fee.user_id == user_id)
            )
        ).all()
        letter = (
            await s.execute(
                select(Notification.letter, Library.code)
                .join(Library, Library.id == Notification.owner_library_id)
                .where(Notification.user_id == user_id, Notification.letter == "Registration")
            )
        ).all()
    assert [tuple(r) for r in roles] == [("MAIN",)]
    assert [tuple(f) for f in fees] == [("REGISTRATION", "MAIN", 500)]
    assert [tuple(x) for x in letter] == [("Registration", "MAIN")]
