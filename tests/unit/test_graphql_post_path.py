"""The short path for plain JSON POSTs (``LimitedGraphQL.answer_post``) answers exactly as
strawberry's general HTTP path does, for good and bad requests alike; everything else still
takes strawberry's path."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import strawberry
from starlette.types import Receive, Scope, Send

from network_common.graphql_errors import QuietSchema, ShapeErrors
from network_common.graphql_http import LimitedGraphQL
from network_common.query_limits import GraphQLLimits

LIMITS = GraphQLLimits(max_query_length=200, max_string_length=20)


@strawberry.type
class Query:
    @strawberry.field
    def echo(self, text: str = "x") -> str:
        return text

    @strawberry.field
    def teapot(self, info: strawberry.Info) -> str:
        response = info.context["response"]
        response.status_code = 418
        response.headers["x-brewed"] = "yes"
        return "short and stout"


@strawberry.type
class Mutation:
    @strawberry.mutation
    def shout(self, text: str) -> str:
        return text.upper()


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def ticks(self) -> AsyncIterator[int]:
        yield 1


SCHEMA = QuietSchema(
    query=Query, mutation=Mutation, subscription=Subscription, extensions=[ShapeErrors]
)


class Counting(LimitedGraphQL[Any, None]):
    """The view under test, counting which path answered."""

    def __init__(self, *, direct: bool) -> None:
        super().__init__(SCHEMA, limits=LIMITS, graphql_ide=None, allow_queries_via_get=False)
        self.short_path = direct
        self.direct_answers = 0
        self.bytes_read = 0

    async def answer_post(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
        self.direct_answers += 1
        await super().answer_post(scope, receive, send, body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def counted() -> Any:
            message = await receive()
            self.bytes_read += len(message.get("body", b""))
            return message

        await super().__call__(scope, counted, send)


async def post(
    view: Counting, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    transport = httpx.ASGITransport(app=view)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.post(
            "/graphql", content=body, headers=headers or {"content-type": "application/json"}
        )


def j(value: object) -> bytes:
    return json.dumps(value).encode()


BODIES: list[bytes] = [
    j({"query": "{ echo }"}),
    j({"query": "query($t: String!) { echo(text: $t) }", "variables": {"t": "hi"}}),
    j({"query": 'mutation { shout(text: "a") }'}),
    j({"query": "{ a: echo } { b: echo }"}),  # two anonymous operations
    j({"query": "query A { echo } query B { echo }", "operationName": "B"}),
    j({"query": "query A { echo } query B { echo }"}),  # which one?
    j({"query": "query A { echo }", "operationName": "C"}),
    j({"query": "{ nope }"}),
    j({"query": "{ echo("}),
    j({"query": "query($t: String!) { echo(text: $t) }", "variables": {"t": 5}}),
    j({"query": "query($t: String!) { echo(text: $t) }"}),
    j({"query": "{ echo }", "variables": None, "extensions": None}),
    j({"query": None}),
    j({}),
    j({"query": 5}),
    j({"query": "{ echo }", "variables": [1]}),
    j({"query": "{ echo }", "extensions": "x"}),
    j({"query": "{ echo }", "operationName": 5}),
    j({"query": "{ echo }", "variables": {"t": "y" * 21}}),
    j({"query": "{ echo }" + " " * 200}),
    j([{"query": "{ echo }"}]),
    j("{ echo }"),
    b"{not json",
    b"\xff\xfe",
    j({"query": "{ teapot }"}),
]


@pytest.mark.parametrize("body", BODIES, ids=range(len(BODIES)))
async def test_both_paths_give_the_same_answer(body: bytes) -> None:
    direct, general = Counting(direct=True), Counting(direct=False)
    ours, theirs = await post(direct, body), await post(general, body)
    assert (direct.direct_answers, general.direct_answers) == (1, 0)
    assert ours.status_code == theirs.status_code
    assert ours.json() == theirs.json()
    assert ours.headers.get("x-brewed") == theirs.headers.get("x-brewed")
    assert ours.headers["content-type"] == theirs.headers["content-type"]
    assert direct.bytes_read == len(body)  # read once, not again for the answer


async def test_the_sub_response_is_kept() -> None:
    answer = await post(Counting(direct=True), j({"query": "{ teapot }"}))
    assert (answer.status_code, answer.headers["x-brewed"]) == (418, "yes")
    assert answer.json() == {"data": {"teapot": "short and stout"}}


async def test_a_subscription_sent_by_post_is_refused() -> None:
    # strawberry's path would run it like a query (and fail inside); no schema here has one.
    answer = await post(Counting(direct=True), j({"query": "subscription { ticks }"}))
    assert answer.status_code == 400
    assert answer.json()["errors"][0] == {
        "message": "subscriptions are not allowed when using POST",
        "extensions": {"code": "BAD_REQUEST"},
    }


@pytest.mark.parametrize(
    "headers",
    [
        {"content-type": "application/graphql"},
        {"content-type": "text/plain"},
        {"content-type": "application/json", "accept": "multipart/mixed"},
        {"content-type": "application/json", "accept": "text/event-stream"},
    ],
)
async def test_other_requests_take_strawberrys_path(headers: dict[str, str]) -> None:
    view = Counting(direct=True)
    await post(view, j({"query": "{ echo }"}), headers)
    assert view.direct_answers == 0


async def test_a_charset_parameter_still_takes_the_short_path() -> None:
    view = Counting(direct=True)
    headers = {"content-type": "Application/JSON; charset=utf-8"}
    answer = await post(view, j({"query": "{ echo }"}), headers)
    assert (view.direct_answers, answer.json()) == (1, {"data": {"echo": "x"}})
