"""``network_common.asgi_app.App``: POSTs to the direct paths skip Starlette's stack but are
metered like the rest, and an error escaping the endpoint is a GraphQL-shaped 500."""

from __future__ import annotations

import logging

import httpx
import pytest
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from network_common.asgi_app import App
from network_common.observability import Metrics


class Endpoint:
    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []  # (method, came through the router)
        self.fail: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.calls.append((scope["method"], "endpoint" in scope))
        if self.fail == "before":
            raise RuntimeError("secret detail")
        await send({"type": "http.response.start", "status": 200, "headers": []})
        if self.fail == "after":
            raise RuntimeError("secret detail")
        await send({"type": "http.response.body", "body": b"ok"})


async def hello(_request: object) -> PlainTextResponse:
    return PlainTextResponse("hello")


def build() -> tuple[App, Endpoint, Metrics]:
    endpoint, metrics = Endpoint(), Metrics("test_app")
    app = App(
        routes=[
            Route("/graphql", endpoint, methods=["GET", "POST"]),
            Route("/hello", hello),
            Route("/json", lambda _r: JSONResponse({})),
        ],
        metrics=metrics,
        direct_posts={"/graphql": endpoint},
    )
    return app, endpoint, metrics


def count(metrics: Metrics, path: str, method: str, status: int) -> float:
    value = metrics.registry.get_sample_value(
        "http_requests_total",
        {"app": "test_app", "path": path, "method": method, "status": str(status)},
    )
    return value or 0.0


async def call(app: App, method: str, path: str, **kwargs: object) -> httpx.Response:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False, **kwargs)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.request(method, path)


async def test_direct_posts_are_answered_and_metered_like_routed_requests() -> None:
    app, endpoint, metrics = build()
    assert (await call(app, "POST", "/graphql")).text == "ok"
    assert (await call(app, "GET", "/graphql")).text == "ok"  # through the router
    assert (await call(app, "GET", "/hello")).text == "hello"
    assert (await call(app, "GET", "/nowhere")).status_code == 404
    assert endpoint.calls == [("POST", False), ("GET", True)]
    assert count(metrics, "/graphql", "POST", 200) == 1
    assert count(metrics, "/graphql", "GET", 200) == 1
    assert count(metrics, "/hello", "GET", 200) == 1
    assert count(metrics, "other", "GET", 404) == 1
    timed = metrics.registry.get_sample_value(
        "http_request_duration_seconds_count", {"app": "test_app", "path": "/graphql"}
    )
    assert timed == 2


async def test_other_methods_and_mounted_apps_take_the_router() -> None:
    app, endpoint, metrics = build()
    assert (await call(app, "PUT", "/graphql")).status_code == 405
    assert (await call(app, "POST", "/graphql", root_path="/mounted")).text == "ok"
    assert endpoint.calls == [("POST", True)]
    assert count(metrics, "/graphql", "PUT", 405) == 1


async def test_an_error_before_the_answer_is_a_graphql_shaped_500_without_detail(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, endpoint, metrics = build()
    endpoint.fail = "before"
    with caplog.at_level(logging.ERROR, logger="network_common.asgi_app"):
        answer = await call(app, "POST", "/graphql")
    assert answer.status_code == 500
    assert answer.json() == {
        "data": None,
        "errors": [{"message": "Internal server error", "extensions": {"code": "INTERNAL"}}],
    }
    assert "secret" not in answer.text
    assert "secret detail" in caplog.text  # the operator sees it in the log
    assert count(metrics, "/graphql", "POST", 500) == 1


async def test_an_error_after_the_answer_started_is_raised_to_the_server(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app, endpoint, metrics = build()
    endpoint.fail = "after"
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with (
            caplog.at_level(logging.ERROR, logger="network_common.asgi_app"),
            pytest.raises(RuntimeError, match="secret detail"),
        ):
            await client.post("/graphql")
    assert count(metrics, "/graphql", "POST", 200) == 1
