"""HTTP endpoints: ``POST /auth/token``, ``POST /auth/patron-token``, JWKS."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from network_common.errors import DomainError, ErrorCode, InvalidInput, Unauthenticated
from network_common.tokens import Principal, verify_local

from ..runtime import NodeRuntime
from ..services import auth as auth_service

_STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INVALID_INPUT: 400,
}


def error_response(error: DomainError) -> JSONResponse:
    return JSONResponse(
        {"error": {"code": error.code.value, "message": error.message}},
        status_code=_STATUS.get(error.code, 400),
    )


def runtime_of(request: Request) -> NodeRuntime:
    runtime: NodeRuntime = request.app.state.runtime
    return runtime


async def _json_body(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError as exc:
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
    return verify_local(token, runtime.signing_key, await runtime.institution_code())


def _token_answer(token: str, ttl: int) -> JSONResponse:
    return JSONResponse(
        {"access_token": token, "token_type": "Bearer", "expires_in": ttl},
        headers={"cache-control": "no-store"},
    )


async def token_endpoint(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    try:
        body = await _json_body(request)
        api_key = body.get("api_key")
        if not isinstance(api_key, str) or not api_key:
            raise InvalidInput("Give 'api_key' in the JSON body")
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


async def patron_token_endpoint(request: Request) -> JSONResponse:
    runtime = runtime_of(request)
    try:
        caller = await local_principal(request)
        if caller is None:
            raise Unauthenticated("A discovery client's bearer token is required")
        body = await _json_body(request)
        primary_id = body.get("primary_id")
        if not isinstance(primary_id, str) or not primary_id:
            raise InvalidInput("Give the patron's 'primary_id' in the JSON body")
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
        runtime_of(request).signing_key.jwks(), headers={"cache-control": "public, max-age=300"}
    )
