"""Staff delete a linked account at their institution; the network then no longer finds it."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from institution_node.store.models import Fee, Loan, User
from tests.conftest import NodeFactory
from tests.support.builders import api_key
from tests.support.network_data import member_with_linked_patrons
from tests.support.nodes import GraphQLErrors, NodeHarness
from tests.support.service_tokens import hub_key, hub_settings, service_token

KEY = hub_key()
DELETE = "mutation Delete($id: String!) { deleteLinkedAccount(primaryId: $id) }"
FOUND = """
query Found($id: String!) {
  networkActivity(patrons: [{homeInstitution: "UNIA", homeUserId: $id}]) { found }
}
"""


async def found(node: NodeHarness, home_user_id: str) -> bool:
    data = await node.gql(
        FOUND, {"id": home_user_id}, token=service_token(KEY, "UNIB"), path="/network/graphql"
    )
    return bool(data["networkActivity"][0]["found"])


async def close_activity(node: NodeHarness, primary_id: str) -> None:
    """Return the loans and settle the fees of a linked account (history remains)."""
    async with node.runtime.sessions() as session:
        user_id = select(User.id).where(User.primary_id == primary_id).scalar_subquery()
        await session.execute(update(Loan).where(Loan.user_id == user_id).values(status="RETURNED"))
        await session.execute(update(Fee).where(Fee.user_id == user_id).values(status="CLOSED"))
        await session.commit()


@pytest.fixture
async def node(node_factory: NodeFactory) -> NodeHarness:
    data = member_with_linked_patrons("UNIB", patrons=2)
    data["loans"] = data["loans"][:1]  # L1 borrows; L2 has only a fee
    data["fees"] = data["fees"][:1]
    return await node_factory(data, **hub_settings(KEY))


async def test_account_with_activity_cannot_be_deleted(node: NodeHarness) -> None:
    token = await node.token(api_key("unib-admin"))
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(DELETE, {"id": "UNIA:L1"}, token=token)
    assert caught.value.codes == ["CONFLICT"]
    assert await found(node, "L1")


async def test_deleted_account_is_gone_for_the_network(node: NodeHarness) -> None:
    token = await node.token(api_key("unib-admin"))
    assert (await node.gql(DELETE, {"id": "UNIA:L2"}, token=token))["deleteLinkedAccount"]
    assert not await found(node, "L2")
    async with node.runtime.sessions() as session:
        assert await session.scalar(select(User).where(User.primary_id == "UNIA:L2")) is None


async def test_account_with_history_is_unlinked(node: NodeHarness) -> None:
    await close_activity(node, "UNIA:L1")
    token = await node.token(api_key("unib-admin"))
    await node.gql(DELETE, {"id": "UNIA:L1"}, token=token)
    assert not await found(node, "L1")
    async with node.runtime.sessions() as session:  # the returned loan still has its patron
        loan_user = await session.scalar(select(User).join(Loan, Loan.user_id == User.id))
    assert loan_user is not None
    assert loan_user.source_institution_code is None


async def test_only_linked_accounts_are_deleted_here(node: NodeHarness) -> None:
    token = await node.token(api_key("unib-admin"))
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(DELETE, {"id": "P1"}, token=token)
    assert caught.value.codes == ["NOT_FOUND"]
