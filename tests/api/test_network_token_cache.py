"""Hub service tokens are verified once and remembered until they expire, never longer, and
never after the hub withdrew the key that signed them (auth/verified_tokens.py)."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import jwt
import pytest

from institution_node.api.network import context
from institution_node.auth import static_jwks
from institution_node.auth.verified_tokens import Remembered, VerifiedTokens
from tests.conftest import NodeFactory
from tests.support.builders import two_library_institution
from tests.support.nodes import GraphQLErrors, NodeHarness
from tests.support.service_tokens import hub_key, hub_settings, service_token

NETWORK = "/network/graphql"
MEMBER = "query { member { code } }"
KEY = hub_key()


@pytest.fixture
async def node(node_factory: NodeFactory) -> NodeHarness:
    return await node_factory(two_library_institution("UNIA"), **hub_settings(KEY))


async def _member(node: NodeHarness, token: str) -> Any:
    return (await node.gql(MEMBER, token=token, path=NETWORK))["member"]["code"]


async def _refused(node: NodeHarness, token: str) -> None:
    with pytest.raises(GraphQLErrors) as caught:
        await node.gql(MEMBER, token=token, path=NETWORK)
    assert caught.value.codes == ["UNAUTHENTICATED"]


def _count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = jwt.decode

    def counting(token: str, *args: Any, **kwargs: Any) -> Any:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(context.jwt, "decode", counting)
    return seen


async def test_a_reused_token_is_verified_once(
    node: NodeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = _count_decodes(monkeypatch)
    token, other = service_token(KEY, "UNIA"), service_token(KEY, "UNIA")

    for _ in range(3):
        assert await _member(node, token) == "UNIA"
    assert await _member(node, other) == "UNIA"

    assert decoded == [token, other]


async def test_refused_tokens_are_not_remembered(
    node: NodeHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    decoded = _count_decodes(monkeypatch)
    wrong_audience = service_token(KEY, "UNIB")
    await _refused(node, wrong_audience)
    await _refused(node, wrong_audience)
    assert decoded == [wrong_audience, wrong_audience]
    assert len(node.runtime.hub_tokens) == 0


async def test_a_remembered_token_is_refused_once_it_expires(node: NodeHarness) -> None:
    # Expired 4 s ago: still inside the 5 s leeway for about one more second.
    token = service_token(KEY, "UNIA", issued_at=time.time() - 304, ttl=300)
    assert await _member(node, token) == "UNIA"
    await asyncio.sleep(1.2)
    await _refused(node, token)


async def test_a_remembered_token_is_refused_once_its_key_is_withdrawn(
    node_factory: NodeFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(static_jwks, "RELOAD_SECONDS", 0.0)
    jwks = tmp_path / "hub-jwks.json"
    jwks.write_text(json.dumps(KEY.jwks()))
    node = await node_factory(two_library_institution("UNIA"), hub_jwks_file=jwks)
    token = service_token(KEY, "UNIA")
    assert await _member(node, token) == "UNIA"

    rotated = hub_key()  # the hub replaced its key and no longer publishes the old one
    jwks.write_text(json.dumps(rotated.jwks()))

    await _refused(node, token)
    assert await _member(node, service_token(rotated, "UNIA")) == "UNIA"


def test_the_memory_is_bounded_least_recently_used_first() -> None:
    now = [1000.0]
    tokens: VerifiedTokens[str] = VerifiedTokens(max_entries=2, clock=lambda: now[0])

    def entry(caller: str, until: float = 2000.0) -> Remembered[str]:
        return Remembered(caller=caller, kid="k", key=None, valid_until=until)

    tokens.remember("a", entry("A"))
    tokens.remember("b", entry("B"))
    assert tokens.get("a") is not None  # a is now the most recently used
    tokens.remember("c", entry("C"))
    assert [tokens.get(t) is not None for t in ("a", "b", "c")] == [True, False, True]

    tokens.remember("d", entry("D", until=1001.0))
    now[0] = 1001.0
    assert tokens.get("d") is None
    assert len(tokens) == 1
