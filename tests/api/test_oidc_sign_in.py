"""Staff sign-in through an OpenID Connect provider: a real one (oidc-provider-mock, an
Authlib-based provider) run on loopback, through the node's real endpoints."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from oidc_provider_mock import run_server_in_thread

from institution_node.services.staff_access import users as user_service
from tests.conftest import NodeFactory
from tests.support.builders import staff, two_library_institution
from tests.support.nodes import NodeHarness

CALLBACK = "http://node.test/auth/oidc/callback"


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
async def node(node_factory: NodeFactory, provider: str) -> NodeHarness:
    data = two_library_institution()
    data["users"].append(staff("desk-ann", role="CIRCULATION_DESK_MANAGER"))
    harness = await node_factory(
        data,
        oidc_issuer=provider,
        oidc_client_id="lfn-node-unia",
        oidc_client_secret="a client secret",
        oidc_redirect_url=CALLBACK,
        oidc_scopes="openid email",
    )
    async with harness.runtime.sessions() as session:
        await user_service.set_oidc_subject(session, primary_id="desk-ann", subject="ann@idp")
    return harness


async def _authorize(node: NodeHarness, subject: str) -> dict[str, str]:
    """The browser's part: start at the node, sign in at the provider, come back."""
    start = await node.client.get("/auth/oidc/login")
    assert start.status_code == 302
    location = start.headers["location"]
    asked = parse_qs(urlsplit(location).query)
    assert asked["code_challenge_method"] == ["S256"]
    assert asked["redirect_uri"] == [CALLBACK]
    assert {"state", "nonce", "code_challenge"} <= set(asked)
    async with httpx.AsyncClient() as browser:
        answer = await browser.post(location, data={"sub": subject})
    assert answer.status_code == 302, answer.text
    back = urlsplit(answer.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return {k: v[0] for k, v in parse_qs(back.query).items()}


async def test_oidc_sign_in_gives_a_staff_token(node: NodeHarness) -> None:
    params = await _authorize(node, "ann@idp")
    response = await node.client.get("/auth/oidc/callback", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    data = await node.gql("{ libraries { code } }", token=body["access_token"])
    assert {lib["code"] for lib in data["libraries"]} == {"MAIN", "LAW"}
    # The same code and state cannot be used twice.
    again = await node.client.get("/auth/oidc/callback", params=params)
    assert again.status_code == 401
    assert "unknown or has expired" in again.json()["error"]["message"]


async def test_an_untied_identity_and_a_disabled_user_are_refused(node: NodeHarness) -> None:
    response = await node.client.get(
        "/auth/oidc/callback", params=await _authorize(node, "stranger@idp")
    )
    assert response.status_code == 401
    assert "not tied to a staff user" in response.json()["error"]["message"]
    async with node.runtime.sessions() as session:
        await user_service.set_disabled(session, primary_id="desk-ann", disabled=True)
    response = await node.client.get(
        "/auth/oidc/callback", params=await _authorize(node, "ann@idp")
    )
    assert response.status_code == 401
    assert "disabled" in response.json()["error"]["message"]


async def test_a_forged_state_or_a_refusal_signs_nobody_in(node: NodeHarness) -> None:
    params = await _authorize(node, "ann@idp")
    forged = await node.client.get(
        "/auth/oidc/callback", params={"code": params["code"], "state": "made-up"}
    )
    assert forged.status_code == 401
    denied = await node.client.get("/auth/oidc/callback", params={"error": "access_denied"})
    assert denied.status_code == 401
    missing = await node.client.get("/auth/oidc/callback")
    assert missing.status_code == 400


async def test_without_a_provider_the_endpoints_say_so(node_factory: NodeFactory) -> None:
    plain = await node_factory(two_library_institution())
    response = await plain.client.get("/auth/oidc/login")
    assert response.status_code == 404
    assert "not set up" in response.json()["error"]["message"]
