"""Network requests at the owner: placed for another member's patron, cancelled by them.

The linked account (origin REQUEST) and the request are written in one transaction under
one idempotency key, so a member that fails half-way leaves neither behind.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import ErrorCode, Forbidden, Ineligible, InvalidInput, NotFound
from network_common.vocabulary import ItemStatus, LinkOrigin, RemoteRegister

from ...domain.requests import RequestEvent, RequestKind
from ...domain.vocabulary import UserKind
from ...store.models import Item, Request, User
from ..idempotency import run_idempotent
from ..institution import get_institution
from ..network import linked_accounts
from ..network.linked_accounts import HomeRecord
from ..requests import lifecycle as request_service
from ..requests import placement as request_placement
from .steps import OwnerStep, build_step, home_destination


@dataclass(frozen=True, slots=True)
class RemotePickup:
    """The pickup place as the patron chose it (the hub checked it with that member)."""

    institution: str
    library_code: str
    library_name: str | None = None


async def place_network_request(
    session: AsyncSession,
    *,
    patron: HomeRecord,
    record_id: str | None,
    barcode: str | None,
    pickup: RemotePickup,
    idempotency_key: str,
) -> OwnerStep:
    """Place a request here for another member's patron (its linked account made if needed)."""
    payload = {
        "patron": [patron.home_institution, patron.home_user_id],
        "record_id": record_id,
        "barcode": barcode,
        "pickup": asdict(pickup),
    }

    async def action() -> dict[str, Any]:
        return (await _place(session, patron, record_id, barcode, pickup)).to_dict()

    result = await run_idempotent(
        session,
        key=idempotency_key,
        operation="placeNetworkRequest",
        payload=payload,
        action=action,
    )
    return OwnerStep.from_dict(result)


async def _place(
    session: AsyncSession,
    patron: HomeRecord,
    record_id: str | None,
    barcode: str | None,
    pickup: RemotePickup,
) -> OwnerStep:
    institution = await get_institution(session)
    if institution.uresolver_remote_register == RemoteRegister.NONE:
        # DOMAIN §6.1: no linked account may be made for a request, so no direct requests.
        raise Forbidden(
            f"{institution.name} does not take direct requests from other members' patrons",
            code=ErrorCode.REGISTRATION_DISABLED,
        )
    if pickup.institution == institution.code:
        place = await request_placement.local_pickup(
            session, own_code=institution.code, library_code=pickup.library_code
        )
    else:
        if pickup.institution not in (institution.pickup_anywhere or ()):
            raise Ineligible(
                f"{institution.name} items may not be picked up at {pickup.institution}",
                code=ErrorCode.PICKUP_NOT_ALLOWED,
            )
        if not pickup.library_code.strip():
            raise InvalidInput("A pickup library is required")
        place = request_placement.Pickup(
            institution=pickup.institution,
            library_code=pickup.library_code,
            library_name=pickup.library_name or pickup.library_code,
        )
    if institution.uresolver_remote_register == RemoteRegister.MANUAL and (
        await linked_user(session, home=patron.home_institution, home_user_id=patron.home_user_id)
        is None
    ):
        # DOMAIN §5: under MANUAL the patron registers (Get It's Register) first; a request
        # must not make the account behind the patron's back.
        raise Forbidden(
            f"Register at {institution.name} (Get It's Register option) before requesting "
            "its items",
            code=ErrorCode.REGISTRATION_REQUIRED,
        )
    account = await linked_accounts.ensure_in_session(
        session, patron=patron, origin=LinkOrigin.REQUEST
    )
    user_id = await session.scalar(
        select(User.id).where(User.primary_id == account.local_primary_id)
    )
    assert user_id is not None
    request = await request_placement.place_request(
        session,
        patron_id=user_id,
        record_id=record_id,
        barcode=barcode,
        pickup=place,
        commit=False,
    )
    item = await session.get(Item, request.item_id) if request.item_id else None
    return await build_step(session, item=item, request=request)


async def linked_user(session: AsyncSession, *, home: str, home_user_id: str) -> User | None:
    """The local record of a network identity: a linked account, or our own patron."""
    own_code = (await get_institution(session)).code
    if home == own_code:
        query = select(User).where(
            User.primary_id == home_user_id, User.kind == UserKind.PATRON.value
        )
    else:
        query = select(User).where(
            User.source_institution_code == home, User.source_user_id == home_user_id
        )
    found: User | None = await session.scalar(query)
    return found


async def cancel_network_request(
    session: AsyncSession,
    *,
    home: str,
    home_user_id: str,
    request_id: int,
    reason: str,
    idempotency_key: str,
) -> OwnerStep:
    """The patron cancels their own request here; an item already moving goes home."""
    if not reason.strip():
        raise InvalidInput("A cancellation reason is required")
    payload = {"patron": [home, home_user_id], "request_id": request_id, "reason": reason}

    async def action() -> dict[str, Any]:
        user = await linked_user(session, home=home, home_user_id=home_user_id)
        owned = (
            await session.scalar(
                select(Request.id).where(
                    Request.id == request_id,
                    Request.user_id == user.id,
                    Request.kind == RequestKind.PATRON.value,
                )
            )
            if user is not None
            else None
        )
        if owned is None:
            raise NotFound("No such request")
        request = await request_service.close_request(
            session,
            request_id=request_id,
            event=RequestEvent.CANCEL,
            reason=reason.strip(),
            by="PATRON",
        )
        item = await session.get(Item, request.item_id) if request.item_id else None
        extra: dict[str, Any] = {}
        if item is not None and item.status == ItemStatus.IN_TRANSIT.value:
            extra = await home_destination(session, item)
        step = await build_step(session, item=item, request=request, **extra)
        return step.to_dict()

    result = await run_idempotent(
        session,
        key=idempotency_key,
        operation="cancelNetworkRequest",
        payload=payload,
        action=action,
    )
    return OwnerStep.from_dict(result)
