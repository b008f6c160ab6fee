"""Bad credentials on the staff API: a clear UNAUTHENTICATED answer, and nothing changes."""

from __future__ import annotations

import time

import jwt
import pytest
from sqlalchemy import func, select

from institution_node.store.models import Loan
from network_common import tokens
from network_common.keys import SigningKey
from network_common.tokens import RoleGrant
from network_common.vocabulary import PrincipalKind, StaffRoleType
from tests.conftest import NodeFactory
from tests.support.builders import api_key, staff, two_library_institution
from tests.support.circ_queries import LOAN
from tests.support.nodes import GraphQLErrors, NodeHarness

GRANT = (RoleGrant(StaffRoleType.CIRCULATION_DESK_MANAGER, None, False),)


def _token(key: SigningKey, *, issued: float, kid: str | None = None) -> str:
    token, _ = tokens.issue(
        key,
        institution="UNIA",
        kind=PrincipalKind.STAFF,
        primary_id="unia-admin",
        user_id=1,
        ttl_seconds=300,
        roles=GRANT,
        now=issued,
    )
    if kid is None:
        return token
    # Same claims, signed by ``key``, but naming another key id.
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, key.private_key, algorithm="ES256", headers={"kid": kid})


@pytest.fixture
async def node(node_factory: NodeFactory) -> NodeHarness:
    return await node_factory(two_library_institution())


async def _refused(node: NodeHarness, token: str | None, message: str) -> None:
    variables = {"desk": "MAIN-DESK", "patron": "P1", "barcode": "M-1"}
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(LOAN, variables, token=token)
    assert err.value.codes == ["UNAUTHENTICATED"]
    assert message in err.value.errors[0]["message"]
    async with node.runtime.sessions() as s:
        assert await s.scalar(select(func.count()).select_from(Loan)) == 0


async def test_expired_token(node: NodeHarness) -> None:
    stale = _token(node.runtime.signing_key, issued=time.time() - 3600)
    await _refused(node, stale, "expired")


async def test_wrong_signature(node: NodeHarness) -> None:
    forged = _token(SigningKey.generate(), issued=time.time(), kid=node.runtime.signing_key.kid)
    await _refused(node, forged, "not valid")


async def test_garbage_and_missing_token(node: NodeHarness) -> None:
    await _refused(node, "not-a-jwt", "not valid")
    await _refused(node, None, "bearer token")


async def test_unknown_api_key_gets_no_token(node: NodeHarness) -> None:
    response = await node.client.post("/auth/token", json={"api_key": api_key("nobody")})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHENTICATED"
    assert "access_token" not in response.json()


@pytest.mark.parametrize("body", [b"\xff\xfe", b"{not json", b'"\xff"'])
async def test_a_body_that_is_not_json_is_400_not_500(
    node_factory: NodeFactory, body: bytes
) -> None:
    node = await node_factory(two_library_institution())
    response = await node.client.post(
        "/graphql", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400


async def test_text_with_nul_characters_is_invalid_input(
    node_factory: NodeFactory, db_url: str
) -> None:
    """PostgreSQL cannot store or compare text with NUL: a clear refusal on every backend."""
    node = await node_factory(two_library_institution(), db_url=db_url)
    response = await node.client.post("/auth/token", json={"api_key": "lfn_a\u0000b_secret"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "INVALID_INPUT"
    admin = await node.token(api_key("unia-admin"))
    lookup = "query($p: String!) { user(primaryId: $p) { primaryId } }"
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(lookup, {"p": "P\u00001"}, token=admin)
    assert err.value.codes == ["INVALID_INPUT"]
    note = 'mutation { addNote(patron: "P1", text: "a\\u0000b") { id } }'
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(note, token=admin)
    assert err.value.codes == ["INVALID_INPUT"]


async def test_a_staff_user_without_any_role_sees_no_patron_data(
    node_factory: NodeFactory,
) -> None:
    data = two_library_institution()
    data["users"].append({**staff("unia-nobody"), "staff_roles": []})
    node = await node_factory(data)
    nobody = await node.token(api_key("unia-nobody"))
    for query in (
        '{ user(primaryId: "P1") { primaryId loans { id } fees { id } notes { text } } }',
        '{ searchUsers(text: "P1") { primaryId } }',
    ):
        with pytest.raises(GraphQLErrors) as err:
            await node.gql(query, token=nobody)
        assert err.value.codes == ["FORBIDDEN"]
