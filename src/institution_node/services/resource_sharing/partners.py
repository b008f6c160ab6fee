"""The partner directory (DOMAIN §8): network members (kept in step with the hub's member
list, never retyped) and outside partners (ISO 18626 peers, NCIP brokers) typed in by
staff.

Functions other capabilities use (NCIP broker lending, the ISO 18626 endpoint):

- :func:`partner_by_code`, :func:`partner_for_agency`, :func:`partner_by_secret` — find
  the partner a message comes from (``None`` when unknown or inactive);
- :func:`partner_user` — the patron record standing for the partner's institution (what
  we lend to the partner is loaned to it);
- :func:`create_partner` / :func:`update_partner` / :func:`rotate_secret` — staff upkeep;
  :func:`sync_network_members` — the hub's member list into the directory.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import Conflict, InvalidInput, NotFound
from network_common.tokens import Principal

from ...domain.partners import (
    NETWORK_AGENCY_TYPE,
    PartnerAuth,
    PartnerOrigin,
    PartnerProtocol,
    partner_user_id,
)
from ...domain.vocabulary import UserKind
from ...store.models import Library, Partner, PatronRole, User
from . import common

SECRET_PREFIX = "lfnrs_"


@dataclass(frozen=True, slots=True)
class PartnerView:
    id: int
    code: str
    name: str
    origin: PartnerOrigin
    protocol: PartnerProtocol
    agency_type: str
    agency_value: str
    endpoint_url: str | None
    auth_kind: PartnerAuth
    has_inbound_secret: bool
    has_outbound_secret: bool
    outbound_header: str
    ncip_application_profile: str | None
    lending_library_code: str | None
    active: bool


@dataclass(frozen=True, slots=True)
class PartnerSpec:
    """What staff type in for an outside partner (``None``: keep / not set)."""

    code: str
    name: str
    protocol: PartnerProtocol = PartnerProtocol.ISO18626
    agency_type: str | None = None
    agency_value: str | None = None
    endpoint_url: str | None = None
    outbound_secret: str | None = None
    outbound_header: str | None = None
    ncip_application_profile: str | None = None
    lending_library_code: str | None = None
    active: bool = True


@dataclass(frozen=True, slots=True)
class NetworkMemberInfo:
    """One member as the hub lists it for resource sharing."""

    code: str
    name: str
    iso18626_url: str
    jwks_url: str


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)


def secret_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(secret: str, stored_hash: str | None) -> bool:
    return stored_hash is not None and hmac.compare_digest(secret_digest(secret), stored_hash)


async def _library_codes(session: AsyncSession) -> dict[int, str]:
    return {r.id: r.code for r in await session.execute(select(Library.id, Library.code))}


def _view(row: Partner, libraries: dict[int, str]) -> PartnerView:
    return PartnerView(
        id=row.id,
        code=row.code,
        name=row.name,
        origin=PartnerOrigin(row.origin),
        protocol=PartnerProtocol(row.protocol),
        agency_type=row.agency_type,
        agency_value=row.agency_value,
        endpoint_url=row.endpoint_url,
        auth_kind=PartnerAuth(row.auth_kind),
        has_inbound_secret=row.inbound_secret_hash is not None,
        has_outbound_secret=row.outbound_secret is not None,
        outbound_header=row.outbound_header,
        ncip_application_profile=row.ncip_application_profile,
        lending_library_code=libraries.get(row.lending_library_id)
        if row.lending_library_id
        else None,
        active=row.active,
    )


async def list_partners(
    session: AsyncSession, *, actor: Principal, active_only: bool = False
) -> list[PartnerView]:
    """The directory, network members first, then by code."""
    common.staff_scope(actor)
    network_first = case((Partner.origin == PartnerOrigin.NETWORK.value, 0), else_=1)
    query = select(Partner).order_by(network_first, Partner.code)
    if active_only:
        query = query.where(Partner.active.is_(True))
    rows = (await session.scalars(query)).all()
    libraries = await _library_codes(session)
    return [_view(r, libraries) for r in rows]


async def view(session: AsyncSession, partner: Partner) -> PartnerView:
    return _view(partner, await _library_codes(session))


async def partner_by_code(
    session: AsyncSession, code: str, *, active_only: bool = True
) -> Partner | None:
    query = select(Partner).where(Partner.code == code)
    if active_only:
        query = query.where(Partner.active.is_(True))
    row: Partner | None = await session.scalar(query)
    return row


async def require_partner(session: AsyncSession, code: str) -> Partner:
    """An active partner by code, or NOT_FOUND naming it."""
    row = await partner_by_code(session, code)
    if row is None:
        raise NotFound(f"No active partner {code}")
    return row


async def partner_for_agency(
    session: AsyncSession, agency_type: str, agency_value: str
) -> Partner | None:
    """The active partner with this agency id (types compare case-insensitively)."""
    rows = await session.scalars(
        select(Partner).where(Partner.agency_value == agency_value, Partner.active.is_(True))
    )
    for row in rows:
        if row.agency_type.lower() == agency_type.strip().lower():
            return row
    return None


async def partner_by_secret(session: AsyncSession, secret: str) -> Partner | None:
    """The active SHARED_SECRET partner presenting ``secret`` (one indexed lookup)."""
    if not secret.startswith(SECRET_PREFIX):
        return None
    digest = secret_digest(secret)
    row: Partner | None = await session.scalar(
        select(Partner).where(
            Partner.inbound_secret_hash == digest,
            Partner.auth_kind == PartnerAuth.SHARED_SECRET.value,
            Partner.active.is_(True),
        )
    )
    if row is None or not secret_matches(secret, row.inbound_secret_hash):
        return None
    return row


def _check_url(url: str | None, *, protocol: PartnerProtocol) -> str | None:
    text = common.clean_text(url, field="endpointUrl", limit=512)
    if text is None:
        if protocol is PartnerProtocol.ISO18626:
            raise InvalidInput("An ISO 18626 partner needs its endpoint URL")
        return None
    if not text.startswith(("http://", "https://")):
        raise InvalidInput("endpointUrl must be an http:// or https:// URL")
    return text


def _check_code(code: str) -> str:
    text = (code or "").strip()
    if not text or len(text) > 64 or not all(c.isalnum() or c in "-_." for c in text):
        raise InvalidInput("A partner code is 1 to 64 letters, digits, '-', '_' or '.'")
    return text


async def _library_id(session: AsyncSession, code: str | None) -> int | None:
    if not code:
        return None
    found = await session.scalar(select(Library.id).where(Library.code == code))
    if found is None:
        raise NotFound(f"No library {code}")
    return found


def new_secret() -> tuple[str, str]:
    """A fresh inbound secret for a partner: (the secret to hand over once, its digest)."""
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    return secret, secret_digest(secret)


async def create_partner(
    session: AsyncSession, *, actor: Principal, spec: PartnerSpec
) -> tuple[PartnerView, str]:
    """Add an outside partner; answers it with the secret it must present to us (shown this
    once; only its digest is kept). Commits."""
    common.directory_keeper(actor)
    code = _check_code(spec.code)
    name = common.clean_text(spec.name, field="name", limit=255)
    if not name:
        raise InvalidInput("A partner needs a name")
    agency_value = common.clean_text(spec.agency_value, field="agencyValue", limit=128) or code
    agency_type = common.clean_text(spec.agency_type, field="agencyType", limit=64) or "ISIL"
    if agency_type.upper() == NETWORK_AGENCY_TYPE:
        raise InvalidInput(f"The agency type {NETWORK_AGENCY_TYPE} is for network members")
    secret, digest = new_secret()
    row = Partner(
        code=code,
        name=name,
        origin=PartnerOrigin.LOCAL.value,
        protocol=spec.protocol.value,
        agency_type=agency_type,
        agency_value=agency_value,
        endpoint_url=_check_url(spec.endpoint_url, protocol=spec.protocol),
        auth_kind=PartnerAuth.SHARED_SECRET.value,
        inbound_secret_hash=digest,
        outbound_secret=common.clean_text(spec.outbound_secret, field="outboundSecret", limit=512),
        outbound_header=_header(spec.outbound_header),
        ncip_application_profile=common.clean_text(
            spec.ncip_application_profile, field="ncipApplicationProfile", limit=128
        ),
        lending_library_id=await _library_id(session, spec.lending_library_code),
        active=spec.active,
    )
    session.add(row)
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("A partner with this code or agency id exists already") from exc
    answer = await view(session, row)
    await session.commit()
    return answer, secret


def _header(value: str | None) -> str:
    text = (value or "authorization").strip().lower()
    if not text or len(text) > 64 or not all(c.isalnum() or c == "-" for c in text):
        raise InvalidInput("outboundHeader must be an HTTP header name")
    return text


async def update_partner(
    session: AsyncSession, *, actor: Principal, code: str, spec: PartnerSpec
) -> PartnerView:
    """Change a partner (network members: only the lending library and active flag, the
    rest follows the hub). Commits."""
    common.directory_keeper(actor)
    row = await session.scalar(select(Partner).where(Partner.code == code).with_for_update())
    if row is None:
        raise NotFound(f"No partner {code}")
    row.lending_library_id = await _library_id(session, spec.lending_library_code)
    row.active = spec.active
    if row.origin == PartnerOrigin.LOCAL.value:
        name = common.clean_text(spec.name, field="name", limit=255)
        if not name:
            raise InvalidInput("A partner needs a name")
        row.name = name
        row.endpoint_url = _check_url(spec.endpoint_url, protocol=PartnerProtocol(row.protocol))
        agency_value = common.clean_text(spec.agency_value, field="agencyValue", limit=128)
        agency_type = common.clean_text(spec.agency_type, field="agencyType", limit=64)
        if agency_value:
            row.agency_value = agency_value
        if agency_type:
            row.agency_type = agency_type
        if spec.outbound_secret is not None:
            row.outbound_secret = common.clean_text(
                spec.outbound_secret, field="outboundSecret", limit=512
            )
        if spec.outbound_header is not None:
            row.outbound_header = _header(spec.outbound_header)
        row.ncip_application_profile = common.clean_text(
            spec.ncip_application_profile, field="ncipApplicationProfile", limit=128
        )
    try:
        await session.flush()
    except IntegrityError as exc:
        await session.rollback()
        raise Conflict("Another partner has this agency id") from exc
    answer = await view(session, row)
    await session.commit()
    return answer


async def rotate_secret(session: AsyncSession, *, actor: Principal, code: str) -> str:
    """A new inbound secret for an outside partner (the old one stops working). Commits."""
    common.directory_keeper(actor)
    row = await session.scalar(select(Partner).where(Partner.code == code).with_for_update())
    if row is None:
        raise NotFound(f"No partner {code}")
    if row.auth_kind != PartnerAuth.SHARED_SECRET.value:
        raise InvalidInput("Network members authenticate with their node keys, not a secret")
    secret, digest = new_secret()
    row.inbound_secret_hash = digest
    await session.commit()
    return secret


async def sync_network_members(
    session: AsyncSession, *, own_code: str, members: Sequence[NetworkMemberInfo]
) -> SyncReport:
    """Bring the directory's network members in step with the hub's list: new members are
    added, changed ones updated, members no longer listed deactivated. Commits."""
    report = SyncReport()
    listed = {m.code: m for m in members if m.code != own_code}
    rows = {
        r.code: r
        for r in await session.scalars(
            select(Partner).where(Partner.origin == PartnerOrigin.NETWORK.value).with_for_update()
        )
    }
    for code, member in listed.items():
        row = rows.get(code)
        if row is None:
            clash = await session.scalar(select(Partner.id).where(Partner.code == code))
            if clash is not None:
                continue  # an outside partner already uses the code: keep staff's record
            session.add(
                Partner(
                    code=code,
                    name=member.name,
                    origin=PartnerOrigin.NETWORK.value,
                    protocol=PartnerProtocol.ISO18626.value,
                    agency_type=NETWORK_AGENCY_TYPE,
                    agency_value=code,
                    endpoint_url=member.iso18626_url,
                    auth_kind=PartnerAuth.NETWORK_TOKEN.value,
                    jwks_url=member.jwks_url,
                    outbound_header="authorization",
                    active=True,
                )
            )
            report.added.append(code)
            continue
        changed = (row.name, row.endpoint_url, row.jwks_url) != (
            member.name,
            member.iso18626_url,
            member.jwks_url,
        )
        if changed:
            row.name, row.endpoint_url, row.jwks_url = (
                member.name,
                member.iso18626_url,
                member.jwks_url,
            )
            report.updated.append(code)
    for code, row in rows.items():
        if code not in listed and row.active:
            row.active = False
            report.deactivated.append(code)
    await session.commit()
    return report


async def partner_user(session: AsyncSession, partner: Partner) -> int:
    """The patron record standing for ``partner``'s institution (made once): loans to the
    partner are loans to it. An institution-wide role lets it borrow any library's items."""
    if partner.user_id is not None:
        return partner.user_id
    primary = partner_user_id(partner.code)
    existing = await session.scalar(select(User.id).where(User.primary_id == primary))
    if existing is None:
        user = User(
            primary_id=primary,
            kind=UserKind.PATRON.value,
            first_name=partner.name[:128],
            last_name="(resource sharing partner)",
            user_group="RESOURCE_SHARING_PARTNER",
        )
        session.add(user)
        await session.flush()
        session.add(PatronRole(user_id=user.id, library_id=None, expiry_date=None))
        existing = user.id
    partner.user_id = existing
    await session.flush()
    return existing


async def set_partner_active(
    session: AsyncSession, *, actor: Principal, code: str, active: bool
) -> PartnerView:
    """Deactivate (or reactivate) a partner: an inactive one is asked nothing and its
    messages are refused; requests in flight keep it. Commits."""
    common.directory_keeper(actor)
    row = await session.scalar(select(Partner).where(Partner.code == code).with_for_update())
    if row is None:
        raise NotFound(f"No partner {code}")
    row.active = active
    answer = await view(session, row)
    await session.commit()
    return answer
