"""HTTP endpoints: ``POST /auth/token`` (API key), ``POST /auth/login`` (password),
``POST /auth/patron-token``, JWKS."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from network_common.body_limit import BodyIncomplete, BodyTooLarge, read_body
from network_common.errors import (
    AccountLocked,
    DomainError,
    ErrorCode,
    InvalidInput,
    Unauthenticated,
)
from network_common.tokens import Principal, verify_local

from ..runtime import NodeRuntime
from ..services import auth as auth_service
from ..services.staff_access import sessions as staff_sessions
from ..services.staff_access.signin import LockoutPolicy, password_sign_in

_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INVALID_INPUT: 400,
    ErrorCode.ACCOUNT_LOCKED: 429,
    ErrorCode.PAYLOAD_TOO_LARGE: 413,
}
#: Bodies of the /auth endpoints are small JSON objects of two or three short strings: a
#: fixed cap (not a setting) well above any real one.
MAX_BODY_BYTES = 16 * 1024
#: An API key or a patron's primary id is never longer than this.
MAX_VALUE_LENGTH = 256


def error_response(error: DomainError) -> JSONResponse:
    headers = {"cache-control": "no-store"}
    if error.code is ErrorCode.PAYLOAD_TOO_LARGE:
        headers["connection"] = "close"  # the rest of the body is not read
    if isinstance(error, AccountLocked):
        headers["retry-after"] = str(error.retry_after)
    return JSONResponse(
        {"error": {"code": error.code.value, "message": error.message}},
        status_code=_STATUS.get(error.code, 400),
        headers=headers,
    )


def runtime_of(request: Request) -> NodeRuntime:
    runtime: NodeRuntime = request.app.state.runtime
    return runtime


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        raw = await read_body(request, max_bytes=MAX_BODY_BYTES)
    except BodyTooLarge as exc:
        raise DomainError(str(exc), code=ErrorCode.PAYLOAD_TOO_LARGE) from exc
    except BodyIncomplete as exc:
        raise InvalidInput("The request body is incomplete") from exc
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise InvalidInput("The request body must be a JSON object") from exc
    if not isinstance(body, dict):
        raise InvalidInput("The request body must be a JSON object")
    return body


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


async def local_principal(request: Request) -> Principal | None:
    """The caller of a staff/patron endpoint, if a valid local token is presented."""
    token = bearer(request)
    if token is None:
        return None
    runtime = runtime_of(request)
    principal = verify_local(token, runtime.keyring, await runtime.institution_code())
    # Stateless tokens would outlive a revoked key or a disabled operator: check each time.
    async with runtime.read_session() as session:
        await staff_sessions.ensure_active(session, principal=principal)
    return principal


def _token_answer(token: str, ttl: int) -> JSONResponse:
    return JSONResponse(
        {"access_token": token, "token_type": "Bearer", "expires_in": ttl},
        headers={"cache-control": "no-store"},
    )


async def token_endpoint(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    try:
        body = await _json_body(request)
        api_key = _text(body, "api_key", MAX_VALUE_LENGTH)
        async with runtime.sessions() as session:
            token, ttl = await auth_service.exchange_api_key(
                session,
                api_key=api_key,
                key=runtime.signing_key,
                institution=await runtime.institution_code(),
                ttl_seconds=runtime.settings.token_ttl_seconds,
            )
    except DomainError as error:
        return error_response(error)
    return _token_answer(token, ttl)


def _text(body: dict[str, Any], name: str, limit: int) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"Give '{name}' in the JSON body")
    if len(value) > limit:
        raise InvalidInput(f"'{name}' has at most {limit} characters")
    return value


async def login_endpoint(request: Request) -> JSONResponse:
    """Password sign-in of a staff user: ``{"username", "password"}`` (and optionally
    ``"institution"``, which must be this node's code) → the same answer as /auth/token."""
    runtime = runtime_of(request)
    settings = runtime.settings
    try:
        body = await _json_body(request)
        username = _text(body, "username", 128)
        password = _text(body, "password", 1024)
        institution = await runtime.institution_code()
        asked = body.get("institution")
        if asked is not None and asked != institution:
            raise Unauthenticated("The user name or password is not valid")
        async with runtime.sessions() as session:
            token, ttl = await password_sign_in(
                session,
                username=username,
                password=password,
                key=runtime.signing_key,
                institution=institution,
                ttl_seconds=settings.token_ttl_seconds,
                policy=LockoutPolicy(
                    max_failures=settings.login_max_failures,
                    lockout_seconds=settings.login_lockout_seconds,
                    lockout_max_seconds=settings.login_lockout_max_seconds,
                ),
            )
    except DomainError as error:
        return error_response(error)
    return _token_answer(token, ttl)


async def patron_token_endpoint(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    try:
        caller = await local_principal(request)
        if caller is None:
            raise Unauthenticated("A discovery client's bearer token is required")
        body = await _json_body(request)
        primary_id = _text(body, "primary_id", MAX_VALUE_LENGTH)
        async with runtime.sessions() as session:
            token, ttl = await auth_service.patron_token(
                session,
                caller=caller,
                primary_id=primary_id,
                key=runtime.signing_key,
                institution=await runtime.institution_code(),
                ttl_seconds=runtime.settings.token_ttl_seconds,
            )
    except DomainError as error:
        return error_response(error)
    return _token_answer(token, ttl)


async def jwks_endpoint(request: Request) -> JSONResponse:
    return JSONResponse(
        runtime_of(request).keyring.jwks(), headers={"cache-control": "public, max-age=300"}
    )
