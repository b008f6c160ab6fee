"""The staff console's session: the operator's own node token in an HttpOnly cookie.

Sign-in sends the operator's credentials (user name and password at the node's
``/auth/login``, or an API key at ``/auth/token``) to the operator's own member node from the
hub's server side; the browser never sees the token. The cookie is ``HttpOnly``,
``SameSite=Strict``, limited to ``/staff`` and ends with the token. Every write the console
sends (its GraphQL calls, sign-out) carries a CSRF token bound to that session token
(an HMAC of it under a key derived from the hub's signing key, so replicas sharing the key
agree), and form posts must come from the hub's own origin.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from urllib.parse import parse_qs

from starlette.requests import Request

from network_common.body_limit import BodyIncomplete, BodyTooLarge, read_body
from network_common.errors import DomainError
from network_common.tokens import Principal

from ..runtime import HubRuntime

COOKIE = "lfn_staff"
COOKIE_PATH = "/staff"
MAX_FORM_BYTES = 8 * 1024


def _secret(*, runtime: HubRuntime) -> bytes:
    value = runtime.signing_key.private_key.private_numbers().private_value
    return hashlib.sha256(b"lfn staff console csrf\0" + value.to_bytes(32, "big")).digest()


def csrf_for(*, runtime: HubRuntime, token: str) -> str:
    """The CSRF token of one session (stable for the session, useless without it)."""
    return hmac.new(_secret(runtime=runtime), token.encode(), hashlib.sha256).hexdigest()[:40]


def csrf_ok(*, runtime: HubRuntime, token: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(csrf_for(runtime=runtime, token=token), given or "")


def same_origin(request: Request) -> bool:
    """A form post from this hub's own pages (Origin, else Referer, must be ours)."""
    own = f"{request.url.scheme}://{request.url.netloc}"
    origin = request.headers.get("origin")
    if origin is not None:
        return origin == own
    referer = request.headers.get("referer")
    return referer is not None and (referer == own or referer.startswith(own + "/"))


async def read_form(request: Request) -> dict[str, str]:
    """A small urlencoded form (the console's forms are a few fields)."""
    try:
        body = await read_body(request, max_bytes=MAX_FORM_BYTES)
    except (BodyTooLarge, BodyIncomplete):
        return {}
    try:
        parsed = parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return {}
    return {k: v[0] for k, v in parsed.items()}


@dataclass(frozen=True, slots=True)
class StaffSession:
    token: str
    principal: Principal
    csrf: str


async def current(request: Request) -> StaffSession | None:
    """The signed-in operator, if the cookie holds a staff token that still verifies."""
    runtime: HubRuntime = request.app.state.runtime
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    try:
        principal = await runtime.callers.verify(token)
    except DomainError:
        return None
    if principal.kind != "staff":
        return None
    return StaffSession(token, principal, csrf_for(runtime=runtime, token=token))
