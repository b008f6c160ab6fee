"""One linked account however many concurrent ensureLinkedAccount calls the hub sends
(the PostgreSQL leg of issue 5's 100 concurrent registrations, at the node's API)."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from institution_node.store.models import User
from network_hub.getit.linking import idempotency_key
from tests.conftest import NodeFactory
from tests.support.builders import two_library_institution
from tests.support.service_tokens import hub_key, hub_settings, service_token

KEY = hub_key()
ENSURE = """
mutation ($patron: NetworkPatronInput!, $key: String!) {
  ensureLinkedAccount(patron: $patron, origin: REGISTER, idempotencyKey: $key) {
    localPrimaryId networkLinkId
  }
}
"""


async def test_100_concurrent_registrations_make_one_account(
    node_factory: NodeFactory, db_url: str
) -> None:
    data = two_library_institution("UNIC", uresolver_remote_register="MANUAL")
    node = await node_factory(data, db_url=db_url, **hub_settings(KEY))
    patron = {"homeInstitution": "UNIA", "homeUserId": "P1", "firstName": "P", "lastName": "One"}
    token = service_token(KEY, "UNIC")
    same_key = idempotency_key("UNIC", "UNIA", "P1", "REGISTER", patron, now=0.0)
    # Half replay the hub's derived key, half come with keys of their own (other hub replicas,
    # a changed home record): the database still allows one account per identity.
    keys = [same_key if n % 2 else f"other-{n}" for n in range(100)]
    answers = await asyncio.gather(
        *(
            node.gql(ENSURE, {"patron": patron, "key": k}, token=token, path="/network/graphql")
            for k in keys
        )
    )
    assert len({a["ensureLinkedAccount"]["networkLinkId"] for a in answers}) == 1
    async with node.runtime.sessions() as session:
        count = await session.scalar(
            select(func.count(User.id)).where(User.source_institution_code == "UNIA")
        )
    assert count == 1
