"""Disabled staff, revoked API keys and ended sessions are refused at the hub too, not only at
the member that issued the token (issue 15: "refused at once"; docs/NETWORK.md "Trust")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from institution_node.services.staff_access import keys, users
from network_common.tokens import Principal
from network_common.vocabulary import PrincipalKind
from network_hub.members.ended_sessions import Ended
from tests.network.conftest import NetworkFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.network import LiveNetwork

MEMBERS = "query { members { code } }"
OPERATOR = "unia-admin"  # its API key id is its name too (tests/support/builders.py)


async def _codes(net: LiveNetwork, token: str) -> list[str]:
    body = await net.hub_gql_raw(MEMBERS, token=token)
    if body.get("errors"):
        return [e["extensions"]["code"] for e in body["errors"]]
    return ["OK"]


async def _at_unia(net: LiveNetwork, change: Callable[[AsyncSession], Awaitable[None]]) -> None:
    async with net.nodes["UNIA"].runtime.sessions() as session:
        await change(session)


@pytest.mark.parametrize(
    "end",
    [
        lambda s: users.set_disabled(s, primary_id=OPERATOR, disabled=True),
        lambda s: users.end_sessions(s, primary_id=OPERATOR),
        lambda s: keys.revoke_key(s, key_id=OPERATOR),
    ],
    ids=["disabled", "sessions-ended", "key-revoked"],
)
async def test_a_token_the_member_ended_is_refused_at_the_hub(
    network_factory: NetworkFactory, end: Callable[[AsyncSession], Awaitable[None]]
) -> None:
    # 0: the hub asks the member on every request, so "at once" is checked exactly here.
    net = await network_factory(
        [two_library_institution("UNIA")], hub_settings={"ended_sessions_seconds": 0.0}
    )
    token = await net.staff_token("UNIA", api_key(OPERATOR))
    assert await _codes(net, token) == ["OK"]
    await _at_unia(net, end)
    assert await _codes(net, token) == ["UNAUTHENTICATED"]
    # The member refuses it on its own staff API as well.
    answer = await net.http.post(
        f"{net.nodes['UNIA'].url}/graphql",
        json={"query": "{ libraries { code } }"},
        headers={"authorization": f"Bearer {token}"},
    )
    assert answer.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_an_operator_enabled_again_is_accepted_again(network_factory: NetworkFactory) -> None:
    net = await network_factory(
        [two_library_institution("UNIA")], hub_settings={"ended_sessions_seconds": 0.0}
    )
    token = await net.staff_token("UNIA", api_key(OPERATOR))
    await _at_unia(net, lambda s: users.set_disabled(s, primary_id=OPERATOR, disabled=True))
    assert await _codes(net, token) == ["UNAUTHENTICATED"]
    await _at_unia(net, lambda s: users.set_disabled(s, primary_id=OPERATOR, disabled=False))
    assert await _codes(net, token) == ["OK"]


async def test_only_the_hub_may_ask_for_ended_sessions(network_factory: NetworkFactory) -> None:
    net = await network_factory([two_library_institution("UNIA")])
    token = await net.staff_token("UNIA", api_key(OPERATOR))
    url = f"{net.nodes['UNIA'].url}/network/ended-sessions"
    async with httpx.AsyncClient() as http:
        for headers in ({}, {"authorization": f"Bearer {token}"}):
            answer = await http.get(url, headers=headers)
            assert answer.status_code == 401
            assert answer.json()["error"]["code"] == "UNAUTHENTICATED"


def _principal(**changes: object) -> Principal:
    fields: dict[str, object] = {
        "kind": PrincipalKind.STAFF,
        "institution": "UNIA",
        "user_id": 7,
        "primary_id": "op",
        "session_id": "s",
        "api_key_id": "k1",
        "session_epoch": 1,
    }
    return Principal(**{**fields, **changes})  # type: ignore[arg-type]


def test_what_an_answer_refuses() -> None:
    ended = Ended(revoked_keys=frozenset({"k2"}), staff={7: (1, False), 8: (0, True)})
    assert not ended.refuses(_principal())
    assert ended.refuses(_principal(api_key_id="k2"))
    assert ended.refuses(_principal(session_epoch=0))  # issued before the sessions were ended
    assert ended.refuses(_principal(user_id=8, session_epoch=0))  # disabled
    assert not ended.refuses(_principal(user_id=9, session_epoch=0))  # nothing ended
    assert ended.refuses(_principal(kind=PrincipalKind.DISCOVERY, user_id=None, api_key_id="k2"))
