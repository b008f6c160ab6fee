"""The HTTP side of every GraphQL endpoint (hub ``/graphql``, node ``/graphql`` and
``/network/graphql``): what is checked before GraphQL sees a request, and how a refusal looks.

In order, each step refusing the request before the next one runs:

1. the body is read with a cap (``body_limit``): more than ``max_body_bytes`` (declared or
   counted while it arrives) is HTTP 413 ``PAYLOAD_TOO_LARGE``, before the rest is read;
2. it must be JSON (UTF-8), an object, nested at most ``MAX_JSON_DEPTH`` levels, with a
   string ``query``, an object ``variables``: else HTTP 400 ``BAD_REQUEST`` (never a 500);
3. the query document has at most ``max_query_length`` characters, and every string in the
   variables at most ``max_string_length`` (and the variables at most ``MAX_JSON_VALUES``
   values): else HTTP 413 ``PAYLOAD_TOO_LARGE``, before the document is parsed;
4. GraphQL then applies the schema's own limits (``query_limits``, ``graphql_errors``).

Every refusal is GraphQL-shaped, ``{"data": null, "errors": [{"message", "extensions":
{"code"}}]}``, so a client reads it like any other error.

A plain JSON POST (the way every client and the hub itself call) is answered by
``answer_post``: the same checks, then ``schema.execute`` and strawberry's own result
processing, without strawberry's general HTTP path (content negotiation, multipart and
streaming transports, batching), which cost about a quarter of the hub's CPU for a small
query. Anything else (GET, GraphiQL, another content type, an ``Accept`` asking for a
stream) takes strawberry's path, with the checks above. A subscription sent by a plain JSON
POST is refused (400; strawberry would run it like a query): no schema here has one.
"""

from __future__ import annotations

import json
from typing import Any

import orjson
from cross_web import AsyncHTTPRequestAdapter, HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData
from strawberry.http.typevars import Context, RootValue
from strawberry.schema.base import BaseSchema
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from network_common.body_limit import BodyIncomplete, BodyTooLarge, receive_body, replay
from network_common.errors import ErrorCode
from network_common.query_limits import GraphQLLimits

#: Variables (and extensions) nest at most this deep; GraphQL inputs nest a few levels.
MAX_JSON_DEPTH = 32
#: Values in the variables (each string, number, list, object counts); coercing a list of
#: hundreds of thousands of values would hold the event loop for a noticeable time.
MAX_JSON_VALUES = 10_000


class RequestRefused(Exception):
    """A request refused before GraphQL runs: HTTP ``status`` with ``code``."""

    def __init__(self, status: int, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


def refusal(status: int, code: ErrorCode | str, message: str) -> JSONResponse:
    """A GraphQL-shaped error answer with an HTTP status."""
    headers = {"connection": "close"} if status == 413 else None
    return JSONResponse(
        {"data": None, "errors": [{"message": message, "extensions": {"code": str(code)}}]},
        status_code=status,
        headers=headers,
    )


def _too_large(message: str) -> RequestRefused:
    return RequestRefused(413, ErrorCode.PAYLOAD_TOO_LARGE, message)


def _bad(message: str) -> RequestRefused:
    return RequestRefused(400, ErrorCode.BAD_REQUEST, message)


def check_values(value: Any, *, what: str, max_string_length: int) -> None:
    """Depth, size and string lengths of a decoded JSON value (without recursion)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    count = 0
    while pending:
        item, depth = pending.pop()
        count += 1
        if count > MAX_JSON_VALUES:
            raise _too_large(f"The {what} hold more than {MAX_JSON_VALUES} values")
        if isinstance(item, str):
            if len(item) > max_string_length:
                raise _too_large(
                    f"A string in the {what} is longer than {max_string_length} characters"
                )
        elif isinstance(item, dict | list):
            if depth >= MAX_JSON_DEPTH:
                raise _bad(f"The {what} nest more than {MAX_JSON_DEPTH} levels deep")
            if isinstance(item, dict):
                pending.extend((k, depth + 1) for k in item)
                pending.extend((v, depth + 1) for v in item.values())
            else:
                pending.extend((v, depth + 1) for v in item)


def encode_json(data: object) -> bytes:
    """JSON of a GraphQL answer with orjson; what orjson refuses (an integer beyond 64 bits,
    a key that is not a string) goes through the standard library as before."""
    try:
        return orjson.dumps(data)
    except TypeError:
        return json.dumps(data, separators=(",", ":")).encode()


def _decode_slowly(data: str | bytes) -> object:
    """The standard library's reading of what orjson refused, and why it is refused."""
    try:
        return json.loads(data)
    except UnicodeDecodeError as exc:
        raise _bad("The request body is not UTF-8") from exc
    except RecursionError as exc:
        raise _bad(f"The request nests more than {MAX_JSON_DEPTH} levels deep") from exc
    except ValueError as exc:
        raise _bad("The request body is not JSON") from exc


#: What a POST may run (strawberry's set for POST also holds SUBSCRIPTION, which it would
#: then run like a query; no schema here has subscriptions).
_POST_OPERATIONS = frozenset({OperationType.QUERY, OperationType.MUTATION})
#: ``Accept`` values for which strawberry answers with a stream instead of one JSON body.
_STREAM_ACCEPTS = (b"multipart/mixed", b"text/event-stream")


def _plain_json_post(scope: Scope) -> bool:
    """A POST of ``application/json`` that wants one JSON answer back."""
    if scope["method"] != "POST":
        return False
    json_body = False
    for name, value in scope["headers"]:
        if name == b"content-type":
            json_body = value.partition(b";")[0].strip().lower() == b"application/json"
        elif name == b"accept" and any(kind in value for kind in _STREAM_ACCEPTS):
            return False
    return json_body


class LimitedGraphQL(GraphQL[Context, RootValue]):
    """strawberry's ASGI view with the checks above; the project's GraphQL endpoints
    subclass it (``get_context`` and the rest as usual)."""

    #: Plain JSON POSTs through ``answer_post`` (tests turn it off to compare both paths).
    short_path = True

    def __init__(self, schema: BaseSchema, *, limits: GraphQLLimits, **kwargs: Any) -> None:
        super().__init__(schema, **kwargs)
        self.limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            body = await receive_body(scope, receive, max_bytes=self.limits.max_body_bytes)
        except BodyTooLarge as exc:
            await refusal(413, ErrorCode.PAYLOAD_TOO_LARGE, str(exc))(scope, receive, send)
            return
        except BodyIncomplete:
            return
        receive = replay(body, receive)
        try:
            if self.short_path and _plain_json_post(scope):
                await self.answer_post(scope, receive, send, body)
                return
            response = await self.run(Request(scope, receive))
        except RequestRefused as exc:
            response = refusal(exc.status, exc.code, exc.message)
        except HTTPException as exc:  # strawberry's own refusals (no query, content type)
            code = ErrorCode.NOT_FOUND if exc.status_code == 404 else ErrorCode.BAD_REQUEST
            response = refusal(exc.status_code, code, exc.reason)
        await response(scope, receive, send)

    def encode_json(self, data: object) -> bytes:
        """The answer, encoded once by orjson (UTF-8, no spaces: a tenth of the hub's CPU for
        a large Network Activity went to the standard library's encoder)."""
        return encode_json(data)

    def decode_json(self, data: str | bytes) -> object:
        try:
            value = orjson.loads(data)
        except orjson.JSONDecodeError:
            value = _decode_slowly(data)  # says why, and accepts what the stdlib accepts
        if not isinstance(value, dict):
            raise _bad("The request body must be a JSON object")
        return value

    async def answer_post(self, scope: Scope, receive: Receive, send: Send, body: bytes) -> None:
        """Answer a plain JSON POST (see the module's notes): what strawberry's ``run`` does
        for it, with the same hooks and answers; the body is checked first, so a refused one
        costs no ``get_context`` (no token is verified for it)."""
        data = self.checked(_request_data(self.decode_json(body)))
        request = Request(scope, receive)
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, response=sub_response)
        root_value = await self.get_root_value(request)
        try:
            result = await self.schema.execute(
                data.query,
                root_value=root_value,
                variable_values=data.variables,
                context_value=context,
                operation_name=data.operation_name,
                allowed_operation_types=_POST_OPERATIONS,
                operation_extensions=data.extensions,
            )
        except CannotGetOperationTypeError as exc:
            raise _bad(exc.as_http_error_reason()) from exc
        except InvalidOperationTypeError as exc:
            raise _bad(exc.as_http_error_reason("POST")) from exc
        except MissingQueryError as exc:
            raise _bad("No GraphQL query found in the request") from exc
        response_data = await self.process_result(request, result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        response = self.create_response(response_data=response_data, sub_response=sub_response)
        await response(scope, receive, send)

    async def parse_http_body(self, request: AsyncHTTPRequestAdapter) -> GraphQLRequestData:
        data = await super().parse_http_body(request)
        if isinstance(data, list):  # batching is off on every schema: strawberry refuses
            raise _bad("Send one operation per request")
        return self.checked(data)

    def checked(self, data: GraphQLRequestData) -> GraphQLRequestData:
        """``data`` if it is within the limits (steps 2 and 3 above)."""
        limits = self.limits
        if data.query is not None and len(data.query) > limits.max_query_length:
            raise _too_large(
                f"The query document is longer than {limits.max_query_length} characters"
            )
        if data.operation_name is not None:
            if not isinstance(data.operation_name, str):
                raise _bad("The operation name must be a string")
            check_values(
                data.operation_name,
                what="operation name",
                max_string_length=limits.max_string_length,
            )
        for what, value in (("variables", data.variables), ("extensions", data.extensions)):
            if value is not None:
                check_values(value, what=what, max_string_length=limits.max_string_length)
        return data


def _request_data(value: object) -> GraphQLRequestData:
    """A decoded request body as strawberry reads one, with strawberry's messages."""
    assert isinstance(value, dict)  # decode_json refuses anything else (a batch too)
    query = value.get("query")
    if not isinstance(query, str | None):
        raise _bad("The GraphQL operation's `query` must be a string or null, if provided.")
    variables = value.get("variables")
    if not isinstance(variables, dict | None):
        raise _bad("The GraphQL operation's `variables` must be an object or null, if provided.")
    extensions = value.get("extensions")
    if not isinstance(extensions, dict | None):
        raise _bad("The GraphQL operation's `extensions` must be an object or null, if provided.")
    return GraphQLRequestData(
        query=query,
        variables=variables,
        operation_name=value.get("operationName"),
        extensions=extensions,
        protocol="http",
    )
