"""The hub's side of a patron's resource sharing request (DOMAIN §5, §8).

When the patron's home shows other members as availability only, a direct request at
another member is refused (RESOURCE_SHARING_ONLY) and Get It's resource sharing link leads
here: the hub asks the patron's *home* to make a borrowing request, which its staff then
send to partners. Only the patron themself may ask (their own verified token); the write
carries an idempotency key derived from the client's, so a retry never makes two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from network_common.errors import Forbidden, NotFound
from network_common.tokens import Principal
from network_common.vocabulary import PrincipalKind

from ..fulfilment.calls import call, caller_key, claim_key
from . import documents

if TYPE_CHECKING:
    from ..runtime import HubRuntime


async def request_resource_sharing(
    *,
    runtime: HubRuntime,
    principal: Principal,
    request: dict[str, Any],
    idempotency_key: str,
) -> dict[str, Any]:
    """Ask the patron's home for a borrowing request; the home's answer and its code."""
    if principal.kind != PrincipalKind.PATRON:
        raise Forbidden(
            "Only a patron asks for resource sharing here (staff use their own node's API)"
        )
    home = principal.institution
    if home not in runtime.registry:
        raise NotFound(f"{home} is not a member of this network")
    key = caller_key(principal, idempotency_key)
    await claim_key(
        runtime=runtime,
        key=key,
        member=home,
        operation="requestResourceSharing",
        payload={"user": principal.primary_id, **request},
    )
    data = await call(
        runtime=runtime,
        member=home,
        document=documents.REQUEST,
        variables={"user": principal.primary_id, "request": request, "key": key},
    )
    return {"institutionCode": home, **data["request"]}
