"""Per-request batching: keys loaded together cost one fetch per member."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from network_common.keys import SigningKey
from network_hub.members.batching import MemberLoader, load_settled
from network_hub.members.breaker import CircuitBreaker
from network_hub.members.client import MemberClient
from network_hub.members.failures import MemberFailure, UnavailableCode
from network_hub.members.registry import MemberRegistry
from network_hub.members.service_tokens import ServiceTokens
from network_hub.network_file import Member


def registry(*codes: str) -> MemberRegistry:
    tokens = ServiceTokens(SigningKey.generate(), issuer="network-hub")
    return MemberRegistry(
        MemberClient(
            Member(code, f"Member {code}", f"http://{code.lower()}.invalid"),
            tokens=tokens,
            breaker=CircuitBreaker(failure_threshold=1, cooldown_seconds=1),
            timeout=1.0,
        )
        for code in codes
    )


async def test_keys_are_grouped_into_one_fetch_per_member() -> None:
    members = registry("B", "C", "D")
    fetches: list[tuple[str, list[Any]]] = []

    async def fetch(client: MemberClient, keys: list[Any]) -> dict[Any, Any]:
        fetches.append((client.member.code, list(keys)))
        if client.member.code == "D":
            raise MemberFailure("D", "Member D", UnavailableCode.MEMBER_TIMEOUT)
        return {k: f"{client.member.code}:{k}" for k in keys if k != "absent"}

    loader = MemberLoader(members, fetch)
    # Loads issued in the same tick (as concurrently resolved fields do) share one batch.
    first, second = await asyncio.gather(
        load_settled(loader, [("B", "p1"), ("C", "p1"), ("D", "p1")]),
        load_settled(loader, [("B", "p2"), ("B", "absent")]),
    )
    assert sorted(fetches) == [("B", ["p1", "p2", "absent"]), ("C", ["p1"]), ("D", ["p1"])]
    assert first[:2] == ["B:p1", "C:p1"]
    assert isinstance(first[2], MemberFailure)
    assert first[2].code is UnavailableCode.MEMBER_TIMEOUT
    assert second == ["B:p2", None]
    await members.aclose()


async def test_a_member_that_breaks_the_contract_is_a_member_error() -> None:
    members = registry("B")

    async def fetch(_client: MemberClient, _keys: list[Any]) -> dict[Any, Any]:
        raise KeyError("networkActivity")

    [result] = await load_settled(MemberLoader(members, fetch), [("B", "p1")])
    assert isinstance(result, MemberFailure)
    assert result.code is UnavailableCode.MEMBER_ERROR
    await members.aclose()


async def test_malformed_error_lists_are_a_member_error_not_a_crash() -> None:
    # Something at the member's URL that answers JSON off the contract (a proxy, a broken
    # deployment): the member becomes an ``unavailable`` entry, the query still answers.
    members = registry("B")
    client = members.get("B")
    assert client is not None
    for body in (
        b'{"errors": ["boom"]}',
        b'{"errors": "boom"}',
        b'{"errors": [{"extensions": "x"}]}',
        b'{"errors": 5}',
    ):
        with pytest.raises(MemberFailure) as failure:
            client._parse(200, body)
        assert failure.value.code is UnavailableCode.MEMBER_ERROR
    await members.aclose()


@pytest.mark.parametrize(
    ("part", "row"),
    [("requests", {"status": "LOST_IN_SPACE"}), ("fees", {"type": "PARKING"})],
)
async def test_a_value_outside_a_closed_set_is_a_member_error(
    monkeypatch: pytest.MonkeyPatch, part: str, row: dict[str, Any]
) -> None:
    """Request statuses and fee types are decoded into enums at the hub: a member answering
    a value the network does not know is named, not passed on or crashing the answer."""
    from network_hub.activity import upstream

    members = registry("B")
    answer = {"homeInstitution": "A", "homeUserId": "p1", "found": True, part: [row]}

    async def query(_document: str, _variables: Any = None) -> dict[str, Any]:
        return {"networkActivity": [answer]}

    client = members.get("B")
    assert client is not None
    monkeypatch.setattr(client, "query", query)
    [result] = await load_settled(
        MemberLoader(members, upstream.fetch_activity), [("B", ("A", "p1"))]
    )
    assert isinstance(result, MemberFailure)
    assert result.code is UnavailableCode.MEMBER_ERROR
    await members.aclose()


async def test_once_asked_runs_after_every_member_call_has_started() -> None:
    """The privacy ledger's write waits for this: it must come after each member's call
    reached its send, and before any member answers (it runs alongside them)."""
    members = registry("B", "C", "D")
    started: list[str] = []
    answer = asyncio.get_running_loop().create_future()
    seen: list[list[str]] = []
    called = asyncio.Event()

    async def fetch(client: MemberClient, keys: list[Any]) -> dict[Any, Any]:
        started.append(client.member.code)  # where a real call sends its document
        await answer
        return {k: client.member.code for k in keys}

    loader = MemberLoader(members, fetch)

    def asked() -> None:
        seen.append(list(started))
        called.set()

    loader.once_asked(asked)
    loads = asyncio.ensure_future(load_settled(loader, [("B", "p"), ("C", "p"), ("D", "p")]))
    await called.wait()
    assert seen == [["B", "C", "D"]]
    answer.set_result(None)
    assert await loads == ["B", "C", "D"]
    await load_settled(loader, [("B", "q")])
    assert len(seen) == 1  # once: the next batch does not call it again
    await members.aclose()
