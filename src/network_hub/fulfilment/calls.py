"""Calling one member for a fulfilment step: a member's refusal keeps its stable code (the
caller must know *why*: NOT_FOUND, PICKUP_NOT_ALLOWED, IDEMPOTENCY_MISMATCH, ...); a member
that cannot answer is MEMBER_TIMEOUT / MEMBER_UNAVAILABLE. Messages are fixed texts, so no
member URL or internal detail reaches the caller."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import IntegrityError

from network_common.errors import DomainError, ErrorCode, NotFound
from network_common.tokens import Principal

from ..members.failures import MemberFailure, UnavailableCode
from ..store.models import HubIdempotencyRecord

if TYPE_CHECKING:
    from ..runtime import HubRuntime

MAX_KEY_LENGTH = 128
# Upstream codes passed through as they are; anything else is the member failing.
_PASSED = frozenset(ErrorCode) - {ErrorCode.INTERNAL, ErrorCode.UNAUTHENTICATED}
_REFUSALS = {
    ErrorCode.NOT_FOUND: "does not know this item or request for your institution",
    ErrorCode.FORBIDDEN: "does not allow this",
    ErrorCode.ILLEGAL_TRANSITION: "cannot take this step in the item's current state",
    ErrorCode.PICKUP_NOT_ALLOWED: "does not allow pickup there",
    ErrorCode.RETURN_NOT_ALLOWED: "does not accept returns of its items at your institution",
    ErrorCode.REGISTRATION_DISABLED: "does not take patrons or requests from other members",
    ErrorCode.REGISTRATION_REQUIRED: "takes requests only from patrons who registered there "
    "(Register in Get It first)",
    ErrorCode.IDEMPOTENCY_MISMATCH: "already used this idempotency key for another request",
}


def refusal(name: str, code: ErrorCode) -> DomainError:
    text = _REFUSALS.get(code, f"refused the step ({code.value})")
    return DomainError(f"{name} {text}", code=code)


def unavailable(failure: MemberFailure) -> DomainError:
    if failure.code is UnavailableCode.MEMBER_TIMEOUT:
        return DomainError(
            f"{failure.member_name}: {failure.message}", code=ErrorCode.MEMBER_TIMEOUT
        )
    return DomainError(
        f"{failure.member_name}: {failure.message}", code=ErrorCode.MEMBER_UNAVAILABLE
    )


async def call(
    *, runtime: HubRuntime, member: str, document: str, variables: dict[str, Any]
) -> dict[str, Any]:
    """One network call to ``member``; its data, or a DomainError with a stable code."""
    client = runtime.registry.get(member)
    if client is None:
        raise NotFound(f"{member} is not a member of this network")
    try:
        return await client.query(document, variables)
    except MemberFailure as failure:
        codes = [ErrorCode(c) for c in failure.upstream_codes if c in _PASSED]
        if failure.code is UnavailableCode.MEMBER_ERROR and codes:
            raise refusal(failure.member_name, codes[0]) from failure
        raise unavailable(failure) from failure


def derived_key(client_key: str, *, institution: str, user: str) -> str:
    """The key sent to the member: one per (calling institution, user, client key), so two
    members' clients never collide; the member checks the payload under it."""
    if not client_key or len(client_key) > MAX_KEY_LENGTH:
        raise DomainError(
            f"idempotencyKey must be 1 to {MAX_KEY_LENGTH} characters",
            code=ErrorCode.INVALID_INPUT,
        )
    digest = hashlib.sha256(json.dumps([institution, user, client_key]).encode()).hexdigest()
    return f"hub-ff:{digest[:48]}"


def caller_key(principal: Principal, client_key: str) -> str:
    """The key sent to the member for this caller's ``client_key``."""
    return derived_key(client_key, institution=principal.institution, user=principal.primary_id)


async def claim_key(
    *, runtime: HubRuntime, key: str, member: str, operation: str, payload: dict[str, Any]
) -> None:
    """Tie a derived key to one step (member, operation, what it is about) at the hub, so the
    same client key reused for a different step — even at another member, which could not
    know — is IDEMPOTENCY_MISMATCH. Retries of the same step pass (the member then replays
    its first answer). Concurrent first uses race on the primary key; the loser re-reads."""
    digest = hashlib.sha256(
        json.dumps([member, operation, payload], sort_keys=True, default=str).encode()
    ).hexdigest()
    async with runtime.sessions() as session:
        row = await session.get(HubIdempotencyRecord, key)
        if row is None:
            session.add(
                HubIdempotencyRecord(
                    key=key, operation=f"{member}:{operation}", payload_hash=digest, result=""
                )
            )
            try:
                await session.commit()
                return
            except IntegrityError:
                await session.rollback()
                row = await session.get(HubIdempotencyRecord, key)
        if row is not None and row.payload_hash != digest:
            raise DomainError(
                "This idempotency key was already used for another request",
                code=ErrorCode.IDEMPOTENCY_MISMATCH,
            )
