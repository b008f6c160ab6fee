"""The network file and the hub's service tokens."""

from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest

from network_common.keys import SigningKey
from network_hub.members.service_tokens import ServiceTokens
from network_hub.network_file import (
    Member,
    NetworkFileError,
    load_network,
    parse_network,
    render_network,
)


def test_network_file_round_trip(tmp_path: Path) -> None:
    members = (Member("UNIA", "University A", "http://127.0.0.1:8001"),)
    path = tmp_path / "network.toml"
    path.write_text(render_network(members))
    assert load_network(path) == members
    assert members[0].network_endpoint == "http://127.0.0.1:8001/network/graphql"


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({}, "at least one"),
        ({"members": [{"code": "A", "name": "A"}]}, "lacks url"),
        (
            {
                "members": [
                    {"code": "A", "name": "A", "url": "http://a.example"},
                    {"code": "A", "name": "B", "url": "http://b.example"},
                ]
            },
            "twice",
        ),
        ({"members": [{"code": "A", "name": "A", "url": "ftp://a"}]}, "http:// or https://"),
        ({"members": [{"code": "A", "name": "A", "url": "a.example:80"}]}, "http:// or https://"),
        ({"members": [{"code": "A", "name": "A", "url": "http://"}]}, "has no host"),
        ({"members": [{"code": "A", "name": "A", "url": "http://h:99999"}]}, "not a URL"),
        ({"members": [{"code": "A", "name": "A", "url": "http://h/?x=1"}]}, "query"),
        ({"members": [{"code": "A B", "name": "A", "url": "http://h"}]}, "letters, digits"),
        ({"members": [{"code": "A", "name": " ", "url": "http://h"}]}, "name is empty"),
        (
            {"members": [{"code": "A", "name": "A", "url": "http://h", "jwks": "x"}]},
            "unknown key.s. jwks",
        ),
        (
            {"member": [], "members": [{"code": "A", "name": "A", "url": "http://h"}]},
            "unknown key.s. member",
        ),
    ],
)
def test_malformed_network_files_are_explained(data: dict[str, object], says: str) -> None:
    with pytest.raises(NetworkFileError, match=says):
        parse_network(data)


def test_missing_network_file(tmp_path: Path) -> None:
    with pytest.raises(NetworkFileError, match="no such network file"):
        load_network(tmp_path / "absent.toml")


def test_service_tokens_are_per_member_and_reused_until_a_minute_before_expiry() -> None:
    key = SigningKey.generate()
    now = [time.time()]
    tokens = ServiceTokens(key, issuer="network-hub", clock=lambda: now[0])
    first = tokens.for_member("UNIB")
    claims = jwt.decode(first, key.private_key.public_key(), algorithms=["ES256"], audience="UNIB")
    assert (claims["iss"], claims["typ"], claims["exp"] - claims["iat"]) == (
        "network-hub",
        "service",
        300,
    )
    assert tokens.for_member("UNIC") != first
    now[0] += 239
    assert tokens.for_member("UNIB") == first
    now[0] += 2
    assert tokens.for_member("UNIB") != first
