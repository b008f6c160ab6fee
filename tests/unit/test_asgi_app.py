"""``network_common.asgi_app.App``: POSTs to the direct paths skip Starlette's stack but are
metered like the rest, and an error escaping the endpoint is a GraphQL-shaped 500."""

from __future__ import annotations

import logging
from collections.abc import Iterator

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


class _SentSoFar(logging.Handler):
    """Each access line with what the server had been handed of the answer by then."""

    def __init__(self, sent: list[str]) -> None:
        super().__init__(logging.INFO)
        self.sent = sent
        self.lines: list[tuple[str, list[str]]] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.getMessage(), list(self.sent)))


@pytest.fixture
def access_lines() -> Iterator[_SentSoFar]:
    handler = _SentSoFar([])
    logger = logging.getLogger("network_common.access")
    level, logger.level = logger.level, logging.INFO
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


async def _asgi(app: App, scope_extra: dict[str, object], sent: list[str]) -> None:
    scope: dict[str, object] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"",
        "headers": [],
        "client": ("10.0.0.7", 51234),
        "server": ("127.0.0.1", 8000),
        **scope_extra,
    }

    async def receive() -> dict[str, object]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, object]) -> None:
        sent.append(str(message["type"]))

    await app(scope, receive, send)  # type: ignore[arg-type]


async def test_the_access_line_is_uvicorns_and_written_once_the_answer_is_out(
    access_lines: _SentSoFar,
) -> None:
    """uvicorn's own access log is off in ``serve`` (it writes before the body goes out)."""
    from uvicorn.protocols.utils import get_client_addr, get_path_with_query_string

    app, _endpoint, _metrics = build()
    await _asgi(app, {"path": "/graphql", "method": "POST"}, access_lines.sent)
    odd = {"path": '/no where"\n', "method": "GET"}
    await _asgi(app, odd, access_lines.sent)
    [(line, sent_then), (odd_line, _)] = access_lines.lines
    assert sent_then == ["http.response.start", "http.response.body"]
    for scope, logged, status in (({"path": "/graphql"}, line, 200), (odd, odd_line, 404)):
        full = {"client": ("10.0.0.7", 51234), "query_string": b"", **scope}
        client = get_client_addr(full)  # type: ignore[arg-type]
        target = get_path_with_query_string(full)  # type: ignore[arg-type]
        method = "GET" if scope is odd else "POST"
        assert logged == f'{client} - "{method} {target} HTTP/1.1" {status}'
    assert line == '10.0.0.7:51234 - "POST /graphql HTTP/1.1" 200'
    assert odd_line == '10.0.0.7:51234 - "GET /no%20where%22%0A HTTP/1.1" 404'


async def test_the_access_line_names_query_parameters_without_their_values(
    access_lines: _SentSoFar,
) -> None:
    """A GraphQL GET carries its variables (a patron id, say) in the query string."""
    app, _endpoint, _metrics = build()
    query = b"query=%7BnetworkActivity%7D&variables=%7B%22patronId%22%3A%22P1%22%7D&x&%0A=1"
    await _asgi(app, {"method": "GET", "query_string": query}, access_lines.sent)
    [(line, _)] = access_lines.lines
    assert line == '10.0.0.7:51234 - "GET /graphql?query&variables&x&%250A HTTP/1.1" 200'
    assert "P1" not in line
    assert "patronId" not in line


async def test_a_failed_request_gets_its_500_line(access_lines: _SentSoFar) -> None:
    app, endpoint, _metrics = build()
    endpoint.fail = "before"
    await _asgi(app, {}, access_lines.sent)
    await _asgi(app, {"client": None}, access_lines.sent)
    assert [line for line, _ in access_lines.lines] == [
        '10.0.0.7:51234 - "POST /graphql HTTP/1.1" 500',
        ' - "POST /graphql HTTP/1.1" 500',
    ]
