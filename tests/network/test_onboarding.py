"""Adding a member: check-network and the running hub catch a wrong code, a wrong key and a
bad URL (docs/ONBOARDING.md), through real nodes and a real hub."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import update

from institution_node.auth.static_jwks import StaticJwks
from institution_node.store.models import Institution
from network_common.keys import SigningKey
from network_hub.cli import main as hub_main
from network_hub.network_file import Member, render_network
from tests.network.conftest import NetworkFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.network import LiveNetwork, reserve_socket
from tests.support.nodes import GraphQLErrors

pytestmark = pytest.mark.network

MEMBERS = "query { members { code reachable accepted problem } }"


@pytest.fixture
async def net(network_factory: NetworkFactory) -> LiveNetwork:
    return await network_factory(
        [two_library_institution("UNIA"), two_library_institution("UNIB")],
        hub_settings={"member_check_seconds": 0.0},
    )


async def _check(
    net: LiveNetwork, tmp_path: Path, members: list[Member], capsys: pytest.CaptureFixture[str]
) -> tuple[int, list[list[str]], str]:
    network_file = tmp_path / "check.toml"
    network_file.write_text(render_network(members))
    argv = [
        "--data-dir",
        str(net.hub_runtime.settings.data_dir),
        "--network-file",
        str(network_file),
        "check-network",
    ]
    code = await asyncio.to_thread(hub_main, argv)
    out, err = capsys.readouterr()
    return code, [line.split("\t") for line in out.strip().splitlines()], err


async def test_check_network_catches_a_wrong_code_a_wrong_key_and_a_bad_url(
    net: LiveNetwork, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    unia, unib = net.nodes["UNIA"], net.nodes["UNIB"]
    code, rows, err = await _check(
        net, tmp_path, [Member("UNIA", "A", unia.url), Member("UNIB", "B", unib.url)], capsys
    )
    assert code == 0, rows
    assert [r[:2] for r in rows] == [["UNIA", "ok"], ["UNIB", "ok"]]
    assert "2 of 2 member(s) agree" in err

    closed = reserve_socket()
    dead_url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    # UNIB's entry names the wrong code; a wrong key: UNIA trusts another hub's key now.
    unia.runtime.hub_keys = StaticJwks(f'{{"keys": [{_jwk(SigningKey.generate())}]}}')
    code, rows, _ = await _check(
        net,
        tmp_path,
        [
            Member("UNIA", "A", unia.url),
            Member("UNIX", "X", unib.url),
            Member("UNIC", "C", dead_url),
        ],
        capsys,
    )
    assert code == 1
    assert rows[0][:2] == ["UNIA", "REFUSED"]
    assert "refuses this hub's service tokens" in rows[0][2]
    assert net.hub_runtime.keyring.current.kid in rows[0][2]
    assert rows[1] == [
        "UNIX",
        "REFUSED",
        f"the node at {unib.url} says it is UNIB, the network file says UNIX",
    ]
    assert rows[2][:2] == ["UNIC", "UNREACHABLE"]

    # A bad URL (or code, or an unknown key) in the network file: one line, exit 2.
    bad = tmp_path / "bad.toml"
    for text, says in (
        ('[[members]]\ncode = "UNIA"\nname = "A"\nurl = "ftp://node"\n', "http:// or https://"),
        ('[[members]]\ncode = "UN IA"\nname = "A"\nurl = "http://node"\n', "letters, digits"),
        ('[[members]]\ncode = "UNIA"\nname = "A"\nurl = "http://n"\nkey = "x"\n', "unknown key"),
    ):
        bad.write_text(text)
        argv = ["--data-dir", str(tmp_path), "--network-file", str(bad), "check-network"]
        assert await asyncio.to_thread(hub_main, argv) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1
        assert says in err


def _jwk(key: SigningKey) -> str:
    import json

    return json.dumps(key.public_jwk())


async def test_the_running_hub_refuses_a_member_whose_code_does_not_match(
    net: LiveNetwork, caplog: pytest.LogCaptureFixture
) -> None:
    unia_token = await net.nodes["UNIA"].token(api_key("unia-admin"))
    unib_token = await net.nodes["UNIB"].token(api_key("unib-admin"))
    data = await net.hub_gql(MEMBERS, token=unib_token)
    assert [(m["code"], m["accepted"], m["problem"]) for m in data["members"]] == [
        ("UNIA", True, None),
        ("UNIB", True, None),
    ]
    # UNIB's node now declares another code (e.g. the URL was given to another institution).
    unib = net.nodes["UNIB"]
    async with unib.runtime.sessions() as session:
        await session.execute(update(Institution).values(code="UNIZ"))
        await session.commit()
    unib.runtime._institution_code = None
    with caplog.at_level("WARNING", logger="network_hub.members"):
        data = await net.hub_gql(MEMBERS, token=unia_token)
    [row] = [m for m in data["members"] if m["code"] == "UNIB"]
    assert row["accepted"] is False
    assert row["problem"] == f"the node at {unib.url} says it is UNIZ, the network file says UNIB"
    assert any("member_refused code=UNIB" in r.getMessage() for r in caplog.records)
    # Tokens in UNIB's name are refused now, even one the hub had already verified.
    with pytest.raises(GraphQLErrors) as err:
        await net.hub_gql(MEMBERS, token=unib_token)
    assert err.value.codes == ["UNAUTHENTICATED"]
    # A node that refuses the hub's tokens shows why too.
    net.nodes["UNIA"].runtime.hub_keys = StaticJwks(f'{{"keys": [{_jwk(SigningKey.generate())}]}}')
    data = await net.hub_gql(MEMBERS, token=unia_token)
    [row] = [m for m in data["members"] if m["code"] == "UNIA"]
    assert "refuses this hub's service tokens" in row["problem"]
