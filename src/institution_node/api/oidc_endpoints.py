"""``GET /auth/oidc/login`` and ``GET /auth/oidc/callback``: staff sign-in through the
institution's identity provider (auth/oidc.py). The callback answers like /auth/token."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from network_common.errors import DomainError, NotFound

from ..auth.oidc import check_callback
from ..services.staff_access.signin import oidc_sign_in
from .auth_endpoints import _token_answer, error_response, runtime_of


async def oidc_login(request: Request) -> Response:
    """Redirect the operator's browser to the identity provider."""
    runtime = runtime_of(request)
    try:
        if runtime.oidc is None:
            raise NotFound("Sign-in through an identity provider is not set up at this node")
        url = await runtime.oidc.begin()
    except DomainError as error:
        return error_response(error)
    return RedirectResponse(url, status_code=302, headers={"cache-control": "no-store"})


async def oidc_callback(request: Request) -> JSONResponse:
    """The provider's redirect back: validate, find the operator, answer their token."""
    runtime = runtime_of(request)
    try:
        if runtime.oidc is None:
            raise NotFound("Sign-in through an identity provider is not set up at this node")
        code, state = check_callback(dict(request.query_params))
        claims = await runtime.oidc.finish(code=code, state=state)
        async with runtime.sessions() as session:
            token, ttl = await oidc_sign_in(
                session,
                subject=str(claims["sub"]),
                key=runtime.signing_key,
                institution=await runtime.institution_code(),
                ttl_seconds=runtime.settings.token_ttl_seconds,
            )
    except DomainError as error:
        return error_response(error)
    return _token_answer(token, ttl)
