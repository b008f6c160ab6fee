"""Who may call ``/ncip``: brokers in the partner directory (``protocol = NCIP``).

A broker is an outside partner staff typed in (``services/resource_sharing/partners``):
its agency id (``agency_value``) is the ``FromAgencyId`` its messages carry, and it proves
itself with the secret we issued to it, sent as ``FromAgencyAuthentication`` or as
``Authorization: Bearer <secret>``. A message without any agency id is accepted on the
secret alone (the secret names exactly one partner). When the partner record names an
application profile, a message naming another profile is refused.

Refusals change nothing: Unknown Agency (no active NCIP partner has that agency id),
Agency Authentication Failed (no secret, or not that broker's), Unauthorized Service For
Agency (another application profile).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from ..domain.partners import PartnerProtocol
from ..services.resource_sharing import partners
from ..store.models import Institution, Partner
from .endpoint import Caller
from .messages import Header
from .problems import NcipProblem, ProblemType


class BrokerDirectory:
    """``Directory`` for the endpoint, over the node's partner records."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self.sessions = sessions

    async def authenticate(self, header: Header, bearer: str | None) -> Caller:
        secrets = [s for s in (header.authentication, bearer) if s]
        async with self.sessions() as session:
            own = await session.scalar(select(Institution.code))
            partner = await self._partner(session, header, secrets)
        if not any(partners.secret_matches(s, partner.inbound_secret_hash) for s in secrets):
            raise NcipProblem(
                ProblemType.AGENCY_AUTHENTICATION_FAILED,
                "The agency did not present its credentials",
                element="InitiationHeader/FromAgencyAuthentication",
            )
        profile = partner.ncip_application_profile
        if profile and header.application_profile and header.application_profile != profile:
            raise NcipProblem(
                ProblemType.UNAUTHORIZED_SERVICE_FOR_AGENCY,
                "This agency is configured for another application profile",
                element="InitiationHeader/ApplicationProfileType",
                value=header.application_profile,
            )
        return Caller(
            partner_id=partner.id,
            code=partner.code,
            agency_id=partner.agency_value,
            ours=header.to_agency or own or "",
        )

    async def _partner(self, session: AsyncSession, header: Header, secrets: list[str]) -> Partner:
        if header.from_agency is None:
            for secret in secrets:
                found = await partners.partner_by_secret(session, secret)
                if found is not None and found.protocol == PartnerProtocol.NCIP.value:
                    return found
            raise NcipProblem(
                ProblemType.UNKNOWN_AGENCY,
                "The message does not name its agency",
                element="InitiationHeader/FromAgencyId/AgencyId",
            )
        row: Partner | None = await session.scalar(
            select(Partner)
            .where(
                Partner.agency_value == header.from_agency,
                Partner.protocol == PartnerProtocol.NCIP.value,
                Partner.active.is_(True),
            )
            .order_by(Partner.id)
            .limit(1)
        )
        if row is None:
            raise NcipProblem(
                ProblemType.UNKNOWN_AGENCY,
                "No broker of this node has that agency id",
                element="InitiationHeader/FromAgencyId/AgencyId",
                value=header.from_agency,
            )
        return row
