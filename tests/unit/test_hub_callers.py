"""Caller tokens: verified against the issuer's keys once, remembered until they expire."""

from __future__ import annotations

import time
from typing import Any

import pytest

from network_common.errors import Unauthenticated
from network_common.keys import SigningKey
from network_common.tokens import issue
from network_common.vocabulary import PrincipalKind
from network_hub.members import callers
from network_hub.members.callers import CallerVerifier
from tests.unit.test_hub_batching import registry


class Keys:
    def __init__(self, key: SigningKey) -> None:
        self.key = key
        self.lookups = 0

    async def key_for(self, kid: str | None) -> Any:
        self.lookups += 1
        if kid != self.key.kid:
            raise Unauthenticated("The access token is not valid")
        return self.key.private_key.public_key()


async def test_a_verified_token_is_remembered_until_it_expires(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    members = registry("B")
    verifier = CallerVerifier(members)
    key = SigningKey.generate()
    keys = Keys(key)
    verifier._caches["B"] = keys  # type: ignore[assignment]
    token, _ = issue(
        key, institution="B", kind=PrincipalKind.STAFF, primary_id="op", user_id=1, ttl_seconds=60
    )

    assert (await verifier.verify(token)).primary_id == "op"
    assert (await verifier.verify(token)).primary_id == "op"
    assert keys.lookups == 1

    later = time.time() + 61
    monkeypatch.setattr(callers.time, "time", lambda: later)
    await verifier.verify(token)  # past its expiry, the token is checked again in full
    assert keys.lookups == 2

    forged, _ = issue(
        SigningKey.generate(),
        institution="B",
        kind=PrincipalKind.STAFF,
        primary_id="op",
        user_id=1,
        ttl_seconds=60,
    )
    with pytest.raises(Unauthenticated):
        await verifier.verify(forged)
    with pytest.raises(Unauthenticated, match="not issued by a member"):
        await verifier.verify(
            issue(
                key,
                institution="Z",
                kind=PrincipalKind.STAFF,
                primary_id="x",
                user_id=1,
                ttl_seconds=60,
            )[0]
        )
    await members.aclose()
