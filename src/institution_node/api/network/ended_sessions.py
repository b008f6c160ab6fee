"""``GET /network/ended-sessions``: so the hub refuses a disabled operator's or a revoked
key's token at once, as this node's own staff API does (docs/NETWORK.md "Trust").

Only the hub may ask (its service token, as for the network API). The answer lists API keys
revoked within a token lifetime and staff whose tokens may have ended (disabled, or a
raised session epoch); nothing else about them.
"""

from __future__ import annotations

from datetime import timedelta

from starlette.requests import Request
from starlette.responses import JSONResponse

from network_common.errors import Unauthenticated
from network_common.models_base import utcnow

from ...runtime import NodeRuntime
from ...services.staff_access import sessions as service
from .context import REFUSED, caller_of

#: Revocations are reported for a token lifetime plus this margin (clock skew, retries).
MARGIN = timedelta(seconds=60)


async def ended_sessions_endpoint(request: Request) -> JSONResponse:
    runtime: NodeRuntime = request.app.state.runtime
    try:
        await caller_of(request, runtime)
    except Unauthenticated:
        return JSONResponse({"error": {"code": "UNAUTHENTICATED", "message": REFUSED}}, 401)
    since = utcnow() - timedelta(seconds=runtime.settings.token_ttl_seconds) - MARGIN
    state = await runtime.read(lambda session: service.ended_sessions(session, since=since))
    return JSONResponse(
        {
            "revokedKeyIds": list(state.revoked_key_ids),
            "staff": [{"userId": u, "sessionEpoch": e, "disabled": d} for u, e, d in state.staff],
        },
        headers={"cache-control": "no-store"},
    )
