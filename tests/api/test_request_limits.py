"""What every GraphQL endpoint refuses before GraphQL runs, and the limits GraphQL then applies
(issue 10, items 7-10): the hub's /graphql, the node's /graphql and /network/graphql.

Each case runs against all three endpoints, through the ASGI apps."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import strawberry.schema.schema as strawberry_schema

from network_hub.app import create_app as create_hub_app
from network_hub.runtime import HubRuntime
from network_hub.settings import HubSettings
from tests.conftest import NodeFactory
from tests.support.builders import api_key, two_library_institution
from tests.support.service_tokens import hub_key, hub_settings, service_token

KEY = hub_key()
#: Small limits, so each case needs only small bodies (the defaults are documented).
LIMITS = {
    "max_body_bytes": 8192,
    "max_query_length": 2048,
    "max_string_length": 100,
}


@dataclass
class Endpoint:
    name: str
    client: httpx.AsyncClient
    path: str
    token: str | None
    #: A mistyped query per kind of suggestion graphql-core makes (field, argument, ...).
    typos: list[tuple[str, dict[str, Any]]]
    #: A query two levels deep (below its root field).
    two_deep: str

    def headers(self, **extra: str) -> dict[str, str]:
        headers = {"content-type": "application/json", **extra}
        if self.token:
            headers["authorization"] = f"Bearer {self.token}"
        return headers

    async def post(self, body: bytes | dict[str, Any], **kwargs: Any) -> httpx.Response:
        content = json.dumps(body).encode() if isinstance(body, dict) else body
        return await self.client.post(self.path, content=content, headers=self.headers())

    async def query(self, query: str, variables: dict[str, Any] | None = None) -> httpx.Response:
        return await self.post({"query": query, "variables": variables or {}})


HUB_TYPOS: list[tuple[str, dict[str, Any]]] = [
    ("{ membrs { code } }", {}),
    ("{ members { cod } }", {}),
    ("query($s: GetItShap) { __typename }", {}),
]
STAFF_TYPOS: list[tuple[str, dict[str, Any]]] = [
    ('{ usr(primaryId: "P1") { primaryId } }', {}),
    ('{ user(primaryID: "P1") { primaryId } }', {}),
]
STAFF_TWO_DEEP = '{ user(primaryId: "P1") { loans { id } } }'
NETWORK_TYPOS: list[tuple[str, dict[str, Any]]] = [
    ("{ membr { code } }", {}),
    ('{ availability(recordIds: ["r"], detal: FULL) { institutionCode } }', {}),
    ('{ availability(recordIds: ["r"], detail: FUL) { institutionCode } }', {}),
    (
        "query($p: [NetworkIdentityInput!]!) { networkActivity(patrons: $p) { found } }",
        {"p": [{"homeInstitutio": "UNIB", "homeUserId": "B1"}]},
    ),
]


async def _endpoint(
    name: str, tmp_path: Path, node_factory: NodeFactory, **settings: Any
) -> AsyncIterator[Endpoint]:
    if name == "hub":
        hub = HubSettings(data_dir=tmp_path / "hub", sync_index_on_start=False, **settings)
        app = create_hub_app(hub, runtime=HubRuntime.create(hub, members=[]))
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://hub") as client:
            yield Endpoint(
                name,
                client,
                "/graphql",
                None,
                HUB_TYPOS,
                "{ getIt(recordIds: []) { records { recordId } } }",
            )
        return
    node = await node_factory(two_library_institution("UNIA"), **hub_settings(KEY), **settings)
    if name == "staff":
        token = await node.token(api_key("unia-admin"))
        yield Endpoint(name, node.client, "/graphql", token, STAFF_TYPOS, STAFF_TWO_DEEP)
    else:
        token = service_token(KEY, "UNIA")
        two_deep = "{ availability(recordIds: []) { records { recordId } } }"
        yield Endpoint(name, node.client, "/network/graphql", token, NETWORK_TYPOS, two_deep)


@pytest.fixture(params=["hub", "staff", "network"])
async def endpoint(
    request: pytest.FixtureRequest, tmp_path: Path, node_factory: NodeFactory
) -> AsyncIterator[Endpoint]:
    async for e in _endpoint(request.param, tmp_path, node_factory, **LIMITS):
        yield e


def _refusal(response: httpx.Response, status: int, code: str) -> str:
    """The refusal's message, after checking it is GraphQL-shaped with ``code``."""
    assert response.status_code == status, response.text
    body = response.json()
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]
    message: str = body["errors"][0]["message"]
    return message


def _nested(depth: int) -> str:
    return '{"a":' * depth + "1" + "}" * depth


MALFORMED = {
    "a-string": b'"x"',
    "null": b"null",
    "a-number": b"1",
    "a-list": b"[]",
    "not-json": b"{query",
    "not-utf8": b'{"query": "\xff"}',
    "no-query": b"{}",
    "query-not-text": b'{"query": 5}',
    "variables-not-object": b'{"query": "{ __typename }", "variables": "x"}',
    "operation-name-not-text": b'{"query": "{ __typename }", "operationName": 5}',
    # 2,000 levels: beyond what the JSON decoder itself can nest (it used to be a 500).
    "variables-2000-deep": (
        '{"query": "{ __typename }", "variables": {"a": ' + "[" * 2000 + "]" * 2000 + "}}"
    ).encode(),
    # Decodes, but nests beyond what any GraphQL input needs.
    "variables-40-deep": ('{"query": "{ __typename }", "variables": ' + _nested(40) + "}").encode(),
}


@pytest.mark.parametrize("body", list(MALFORMED.values()), ids=list(MALFORMED))
async def test_a_malformed_request_is_400_with_a_code(endpoint: Endpoint, body: bytes) -> None:
    _refusal(await endpoint.post(body), 400, "BAD_REQUEST")


async def test_a_well_formed_request_still_answers(endpoint: Endpoint) -> None:
    response = await endpoint.query("{ __typename }", {"deep": json.loads(_nested(20))})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "Query"}}


def _chunks(count: int, size: int, pulled: list[int]) -> Iterator[bytes]:
    yield b'{"query": "{ __typename }", "variables": {"x": "'
    for _ in range(count):
        pulled.append(size)
        yield b"a" * size
    yield b'"}}'


async def test_a_streamed_body_beyond_the_cap_is_refused_before_it_is_read_whole(
    endpoint: Endpoint,
) -> None:
    pulled: list[int] = []

    async def stream() -> AsyncIterator[bytes]:
        for chunk in _chunks(100, 1024, pulled):
            yield chunk

    # No Content-Length: the body is counted while it arrives.
    response = await endpoint.client.post(
        endpoint.path, content=stream(), headers=endpoint.headers()
    )
    message = _refusal(response, 413, "PAYLOAD_TOO_LARGE")
    assert "8192 bytes" in message
    assert sum(pulled) <= LIMITS["max_body_bytes"] + 1024  # stopped right after the cap


async def test_a_declared_length_beyond_the_cap_is_refused_without_reading(
    endpoint: Endpoint,
) -> None:
    pulled: list[int] = []

    async def stream() -> AsyncIterator[bytes]:
        for chunk in _chunks(100, 1024, pulled):
            yield chunk

    headers = endpoint.headers(**{"content-length": str(50 * 1024 * 1024)})
    response = await endpoint.client.post(endpoint.path, content=stream(), headers=headers)
    _refusal(response, 413, "PAYLOAD_TOO_LARGE")
    assert pulled == []


async def test_a_body_at_the_cap_is_read(endpoint: Endpoint) -> None:
    padding = LIMITS["max_body_bytes"] - len(json.dumps({"query": "{ __typename }"}).encode())
    body = json.dumps({"query": "{ __typename }"}).encode()[:-1] + b" " * padding + b"}"
    assert len(body) == LIMITS["max_body_bytes"]
    assert (await endpoint.post(body)).json() == {"data": {"__typename": "Query"}}
    _refusal(await endpoint.post(body[:-1] + b" }"), 413, "PAYLOAD_TOO_LARGE")


async def test_a_query_document_beyond_its_cap_is_refused_before_parsing(
    endpoint: Endpoint,
) -> None:
    at_cap = "{ __typename }".ljust(LIMITS["max_query_length"])
    assert (await endpoint.query(at_cap)).json() == {"data": {"__typename": "Query"}}
    message = _refusal(await endpoint.query(at_cap + " "), 413, "PAYLOAD_TOO_LARGE")
    assert "2048 characters" in message


async def test_a_string_in_the_variables_beyond_its_cap_is_refused(endpoint: Endpoint) -> None:
    limit = LIMITS["max_string_length"]
    ok = await endpoint.query("{ __typename }", {"s": ["x" * limit]})
    assert ok.json() == {"data": {"__typename": "Query"}}
    for variables in ({"s": ["x" * (limit + 1)]}, {"x" * (limit + 1): 1}):
        message = _refusal(
            await endpoint.query("{ __typename }", variables), 413, "PAYLOAD_TOO_LARGE"
        )
        assert "100 characters" in message


async def test_a_string_literal_beyond_its_cap_is_a_coded_error(endpoint: Endpoint) -> None:
    limit = LIMITS["max_string_length"]
    query = '{ a: __typename @skip(if: false) b: __typename @deprecated(reason: "%s") }'
    response = await endpoint.query(query % ("x" * (limit + 1)))
    assert response.status_code == 200
    codes = [e["extensions"]["code"] for e in response.json()["errors"]]
    assert "PAYLOAD_TOO_LARGE" in codes


async def test_variables_with_too_many_values_are_refused(endpoint: Endpoint) -> None:
    response = await endpoint.query("{ __typename }", {"ids": list(range(10_001))})
    _refusal(response, 413, "PAYLOAD_TOO_LARGE")


# The same GraphQL limits on every API (item 10), refused with a code and, for the ones an
# attacker uses to burn CPU, before graphql-core's validation runs.


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the documents graphql-core's validation sees."""
    seen: list[int] = []
    original = strawberry_schema.validate_document

    def counting(*args: Any, **kwargs: Any) -> Any:
        seen.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(strawberry_schema, "validate_document", counting)
    return seen


def _chained_fragments(n: int) -> str:
    parts = [f"fragment F{i} on Query {{ ...F{i + 1} }}" for i in range(n)]
    return "query { ...F0 }\n" + "\n".join(parts) + f"\nfragment F{n} on Query {{ __typename }}"


@pytest.fixture(params=["hub", "staff", "network"])
async def default_endpoint(
    request: pytest.FixtureRequest, tmp_path: Path, node_factory: NodeFactory
) -> AsyncIterator[Endpoint]:
    """An endpoint with the default limits."""
    async for e in _endpoint(request.param, tmp_path, node_factory):
        yield e


def _errors(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.status_code in (200, 413), response.text
    errors: list[dict[str, Any]] = response.json()["errors"]
    assert errors
    assert all(e["extensions"]["code"] for e in errors), errors  # every error is coded
    return errors


@pytest.mark.parametrize("n", [40, 220, 300])
async def test_chained_fragments_are_refused_with_a_code(
    default_endpoint: Endpoint, validations: list[int], n: int
) -> None:
    errors = _errors(await default_endpoint.query(_chained_fragments(n)))
    assert "recursion" not in json.dumps(errors)
    assert validations == []


async def test_thousands_of_fields_are_refused_before_validation(
    default_endpoint: Endpoint, validations: list[int]
) -> None:
    for count in (10_000, 1_990, 301):
        errors = _errors(await default_endpoint.query("{ " + "__typename " * count + "}"))
        assert errors[0]["extensions"]["code"] in ("GRAPHQL_VALIDATION_FAILED", "PAYLOAD_TOO_LARGE")
    assert validations == []
    answer = await default_endpoint.query("{ " + "__typename " * 300 + "}")
    assert answer.json() == {"data": {"__typename": "Query"}}


async def test_aliases_are_limited(default_endpoint: Endpoint) -> None:
    aliases = "{ " + " ".join(f"a{i}: __typename" for i in range(31)) + " }"
    errors = _errors(await default_endpoint.query(aliases))
    assert "31 aliases" in errors[0]["message"]


@pytest.mark.parametrize("name", ["hub", "staff", "network"])
async def test_depth_is_limited_as_configured(
    name: str, tmp_path: Path, node_factory: NodeFactory
) -> None:
    async for endpoint in _endpoint(name, tmp_path, node_factory, max_depth=1):
        errors = _errors(await endpoint.query(endpoint.two_deep))
        assert "exceeds maximum operation depth of 1" in errors[0]["message"]


async def test_tokens_are_limited(default_endpoint: Endpoint) -> None:
    query = "{ __typename(" + "a: 1 " * 700 + ") }"
    errors = _errors(await default_endpoint.query(query))
    assert "more than 2000 tokens" in errors[0]["message"]


# Item 9: with introspection off, no suggestions ("Did you mean 'user'?") anywhere.


@pytest.mark.parametrize("introspection", [True, False])
@pytest.mark.parametrize("name", ["hub", "staff", "network"])
async def test_suggestions_only_with_introspection(
    name: str, introspection: bool, tmp_path: Path, node_factory: NodeFactory
) -> None:
    async for endpoint in _endpoint(name, tmp_path, node_factory, introspection=introspection):
        messages = []
        for query, variables in endpoint.typos:
            errors = _errors(await endpoint.query(query, variables))
            messages.append(" ".join(e["message"] for e in errors))
        suggested = ["Did you mean" in m for m in messages]
        assert suggested == [introspection] * len(messages), messages
