"""The hub's side of a patron's resource sharing request (DOMAIN §5, §8).

When the patron's home shows other members as availability only, a direct request at
another member is refused (RESOURCE_SHARING_ONLY) and Get It's resource sharing link leads
here: the hub asks the patron's *home* to make a borrowing request, which its staff then
send to partners. Get It's link carries only the network record id: the hub then asks the
other members for the record's title (the home need not hold the record). Only the patron
themself may ask (their own verified token); the write
carries an idempotency key derived from the client's, so a retry never makes two.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from network_common.errors import Forbidden, InvalidInput, NotFound
from network_common.tokens import Principal
from network_common.vocabulary import RESOURCE_SHARING_ROLES, PrincipalKind

from ..fulfilment.calls import call, caller_key, claim_key
from ..members.failures import MemberFailure, UnavailableCode
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
    if request.get("recordId") and not request.get("title"):
        title = await record_title(runtime=runtime, record_id=request["recordId"], home=home)
        if title:
            request = {**request, "title": title}
    data = await call(
        runtime=runtime,
        member=home,
        document=documents.REQUEST,
        variables={"user": principal.primary_id, "request": request, "key": key},
    )
    return {"institutionCode": home, **data["request"]}


async def my_requests(*, runtime: HubRuntime, principal: Principal) -> list[dict[str, Any]]:
    """The calling patron's own resource sharing requests at their home, newest first (the
    home's answer, as it came); a home that cannot answer is MEMBER_UNAVAILABLE."""
    if principal.kind != PrincipalKind.PATRON:
        raise Forbidden("Only a patron sees their own resource sharing requests here")
    home = principal.institution
    data = await call(
        runtime=runtime,
        member=home,
        document=documents.PATRON_REQUESTS,
        variables={"user": principal.primary_id},
    )
    return [{"institutionCode": home, **r} for r in data["requests"]]


async def record_title(*, runtime: HubRuntime, record_id: str, home: str) -> str | None:
    """The title another member gives the network record (asked all at once), if any."""

    async def one(code: str) -> str | None:
        client = runtime.registry.get(code)
        assert client is not None
        try:
            data = await client.query(documents.RECORD_TITLE, {"ids": [record_id]})
        except MemberFailure:
            return None
        for record in data["availability"]["records"]:
            if record.get("found") and record.get("title"):
                return str(record["title"])
        return None

    others = sorted(m.code for m in runtime.registry.members if m.code != home)
    titles = await asyncio.gather(*(one(code) for code in others))
    return next((t for t in titles if t), None)


MAX_RECORD_ID = 256


@dataclass(frozen=True, slots=True)
class RotaCandidate:
    """A member holding the record with a copy available now."""

    code: str
    name: str
    available_items: int
    total_items: int


async def network_rota(
    *, runtime: HubRuntime, principal: Principal, record_id: str
) -> tuple[list[RotaCandidate], list[MemberFailure]]:
    """A rota from live availability: the other members holding an available copy of the
    network record, most available copies first (then by code), asked all at once; the
    members that could not answer come back named. For resource sharing staff of any
    member, so that they need not guess whom to ask."""
    if principal.kind != PrincipalKind.STAFF or not any(
        grant.role in RESOURCE_SHARING_ROLES for grant in principal.roles
    ):
        raise Forbidden("A network rota is for resource sharing staff")
    record_id = record_id.strip()
    if not record_id or len(record_id) > MAX_RECORD_ID:
        raise InvalidInput(f"recordId must be 1 to {MAX_RECORD_ID} characters")

    async def one(code: str) -> RotaCandidate | MemberFailure | None:
        client = runtime.registry.get(code)
        assert client is not None
        try:
            data = await client.query(documents.NETWORK_ROTA, {"ids": [record_id]})
            for record in data["availability"]["records"]:
                if record.get("found") and int(record["availableItems"]) > 0:
                    return RotaCandidate(
                        code=code,
                        name=client.member.name,
                        available_items=int(record["availableItems"]),
                        total_items=int(record["totalItems"]),
                    )
        except MemberFailure as failure:
            return failure
        except (KeyError, TypeError, ValueError):  # an answer off the contract
            return MemberFailure(code, client.member.name, UnavailableCode.MEMBER_ERROR)
        return None

    others = sorted(m.code for m in runtime.registry.members if m.code != principal.institution)
    results = await asyncio.gather(*(one(code) for code in others))
    candidates = [r for r in results if isinstance(r, RotaCandidate)]
    candidates.sort(key=lambda c: (-c.available_items, c.code))
    return candidates, [r for r in results if isinstance(r, MemberFailure)]
