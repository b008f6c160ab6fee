"""Staff sign-in at the node: passwords with lockout, API keys, revocation at once."""

from __future__ import annotations

from typing import Any

import pytest

from institution_node.services.staff_access import keys as key_service
from institution_node.services.staff_access import users as user_service
from tests.conftest import NodeFactory
from tests.support.builders import api_key, staff, two_library_institution
from tests.support.nodes import GraphQLErrors, NodeHarness

PASSWORD = "correct horse battery staple"
LIBRARIES = "{ libraries { code } }"


@pytest.fixture
async def node(node_factory: NodeFactory, db_url: str) -> NodeHarness:
    data = two_library_institution()
    data["users"].append(staff("desk-ann", role="CIRCULATION_DESK_MANAGER"))
    harness = await node_factory(data, db_url=db_url, login_max_failures=3)
    async with harness.runtime.sessions() as session:
        await user_service.set_password(session, primary_id="desk-ann", password=PASSWORD)
    return harness


async def _login(node: NodeHarness, body: dict[str, Any]) -> Any:
    return await node.client.post("/auth/login", json=body)


async def _works(node: NodeHarness, token: str) -> None:
    data = await node.gql(LIBRARIES, token=token)
    assert {lib["code"] for lib in data["libraries"]} == {"MAIN", "LAW"}


async def _refused(node: NodeHarness, token: str) -> None:
    with pytest.raises(GraphQLErrors) as err:
        await node.gql(LIBRARIES, token=token)
    assert err.value.codes == ["UNAUTHENTICATED"]
    assert "session has ended" in err.value.errors[0]["message"]


async def test_password_sign_in_gives_the_same_token_shape_as_api_keys(node: NodeHarness) -> None:
    response = await _login(node, {"username": "desk-ann", "password": PASSWORD})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == node.runtime.settings.token_ttl_seconds
    assert response.headers["cache-control"] == "no-store"
    await _works(node, body["access_token"])
    keyed = await node.client.post("/auth/token", json={"api_key": api_key("desk-ann")})
    assert set(keyed.json()) == set(body)
    # The institution may be named; it must be this node's.
    ok = await _login(node, {"institution": "UNIA", "username": "desk-ann", "password": PASSWORD})
    assert ok.status_code == 200
    other = await _login(
        node, {"institution": "UNIB", "username": "desk-ann", "password": PASSWORD}
    )
    assert other.status_code == 401


@pytest.mark.parametrize(
    "body",
    [
        {"username": "desk-ann", "password": "wrong password here"},
        {"username": "nobody", "password": PASSWORD},
        {"username": "unia-admin", "password": PASSWORD},  # staff without a password
        {"username": "P1", "password": PASSWORD},  # a patron
    ],
    ids=["wrong-password", "unknown-user", "no-password", "patron"],
)
async def test_bad_credentials_get_one_answer(node: NodeHarness, body: dict[str, str]) -> None:
    response = await _login(node, body)
    assert response.status_code == 401
    assert response.json() == {
        "error": {"code": "UNAUTHENTICATED", "message": "The user name or password is not valid"}
    }


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"not json", 400),
        (b"[1]", 400),
        (b'{"username": "desk-ann"}', 400),
        (b'{"username": 3, "password": "x"}', 400),
        (b'{"username": "a", "password": "' + b"x" * 2000 + b'"}', 400),
        (b"[" * 5000 + b"]" * 5000, 400),
    ],
    ids=["not-json", "not-object", "no-password", "not-text", "too-long", "too-deep"],
)
async def test_malformed_bodies_are_400(node: NodeHarness, raw: bytes, status: int) -> None:
    response = await node.client.post(
        "/auth/login", content=raw, headers={"content-type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == "INVALID_INPUT"


async def test_a_body_beyond_the_cap_is_413_before_it_is_read(node: NodeHarness) -> None:
    big = b'{"username": "a", "password": "' + b"x" * 20000 + b'"}'
    response = await node.client.post(
        "/auth/login", content=big, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "PAYLOAD_TOO_LARGE"


async def test_repeated_failures_lock_the_account_then_back_off(node: NodeHarness) -> None:
    wrong = {"username": "desk-ann", "password": "not the password"}
    for _ in range(3):  # login_max_failures = 3
        assert (await _login(node, wrong)).status_code == 401
    locked = await _login(node, {"username": "desk-ann", "password": PASSWORD})
    assert locked.status_code == 429
    assert locked.json()["error"]["code"] == "ACCOUNT_LOCKED"
    assert 1 <= int(locked.headers["retry-after"]) <= 60
    # The lock does not depend on the password, and attempts while locked do not count.
    assert (await _login(node, wrong)).status_code == 429
    async with node.runtime.sessions() as session:
        [view] = [
            v for v in await user_service.list_staff_users(session) if v.primary_id == "desk-ann"
        ]
        assert view.locked_until is not None
        await user_service.unlock(session, primary_id="desk-ann")
    assert (await _login(node, {"username": "desk-ann", "password": PASSWORD})).status_code == 200


async def test_disabled_staff_are_refused_at_once(node: NodeHarness) -> None:
    token = (await _login(node, {"username": "desk-ann", "password": PASSWORD})).json()
    keyed = await node.token(api_key("desk-ann"))
    await _works(node, token["access_token"])
    async with node.runtime.sessions() as session:
        await user_service.set_disabled(session, primary_id="desk-ann", disabled=True)
    await _refused(node, token["access_token"])
    await _refused(node, keyed)
    response = await _login(node, {"username": "desk-ann", "password": PASSWORD})
    assert response.status_code == 401
    assert "disabled" in response.json()["error"]["message"]
    refused_key = await node.client.post("/auth/token", json={"api_key": api_key("desk-ann")})
    assert refused_key.status_code == 401
    async with node.runtime.sessions() as session:
        await user_service.set_disabled(session, primary_id="desk-ann", disabled=False)
    await _works(
        node,
        (await _login(node, {"username": "desk-ann", "password": PASSWORD})).json()["access_token"],
    )


async def test_revoked_and_rotated_api_keys(node: NodeHarness) -> None:
    old_token = await node.token(api_key("desk-ann"))
    password_token = (await _login(node, {"username": "desk-ann", "password": PASSWORD})).json()
    key_id = api_key("desk-ann").split("_")[1]
    async with node.runtime.sessions() as session:
        new = await key_service.rotate_key(session, key_id=key_id)
    await _refused(node, old_token)  # the old key's token, at once
    await _works(node, password_token["access_token"])  # other sessions go on
    new_token = await node.token(new.secret_key)
    await _works(node, new_token)
    again = await node.client.post("/auth/token", json={"api_key": api_key("desk-ann")})
    assert again.status_code == 401
    async with node.runtime.sessions() as session:
        await key_service.revoke_key(session, key_id=new.key_id)
        listed = {k.key_id: k for k in await key_service.list_keys(session, user="desk-ann")}
    await _refused(node, new_token)
    assert listed[key_id].revoked
    assert listed[new.key_id].revoked
    assert listed[new.key_id].last_used_at is not None


async def test_a_new_password_ends_the_old_sessions(node: NodeHarness) -> None:
    old = (await _login(node, {"username": "desk-ann", "password": PASSWORD})).json()
    async with node.runtime.sessions() as session:
        await user_service.set_password(
            session, primary_id="desk-ann", password="another long password"
        )
    await _refused(node, old["access_token"])
    assert (await _login(node, {"username": "desk-ann", "password": PASSWORD})).status_code == 401
    fresh = await _login(node, {"username": "desk-ann", "password": "another long password"})
    await _works(node, fresh.json()["access_token"])


async def test_short_passwords_are_refused() -> None:
    from institution_node.auth.passwords import hash_password
    from network_common.errors import InvalidInput

    with pytest.raises(InvalidInput, match="at least 12"):
        hash_password("short")
