"""Who sent a message: only known, active, authenticated partners may (DOMAIN §8).

- **Network members** (``NETWORK_TOKEN``) present ``Authorization: Bearer <token>``: a
  short-lived ES256 token their node signed with the keys it publishes at
  ``/.well-known/jwks.json`` (the network's existing trust; the partner record holds the
  URL). Claims: ``iss`` the member's code, ``aud`` ours, ``typ`` ``iso18626``. The
  audience and type keep it from being replayed anywhere else (a staff API, the hub, or
  another member), and anything else signed by the member (a staff token) is no ISO
  18626 token here.
- **Outside partners** (``SHARED_SECRET``) present the secret we gave them (we keep its
  SHA-256 only): as ``Authorization: Bearer <secret>`` or in the header's
  ``requestingAgencyAuthentication/securityCode``.

The partner found must also be the agency the message says it comes from; anything less
is refused the same way, before anything changes.
"""

from __future__ import annotations

import time
from typing import Any

import httpx
import jwt
from sqlalchemy.ext.asyncio import AsyncSession

from network_common.errors import DomainError
from network_common.jwks import JwksCache, unverified_header_kid, unverified_issuer
from network_common.keys import SigningKey

from ..domain.partners import PartnerAuth
from ..services.resource_sharing import partners
from ..store.models import Partner

TOKEN_TYPE = "iso18626"
TOKEN_TTL_SECONDS = 120
ALGORITHM = "ES256"
LEEWAY_SECONDS = 5


def network_token(
    key: SigningKey, *, own_code: str, audience: str, now: float | None = None
) -> str:
    """The token this node presents to a member's ``/iso18626``."""
    issued = int(now if now is not None else time.time())
    claims = {
        "iss": own_code,
        "sub": TOKEN_TYPE,
        "aud": audience,
        "typ": TOKEN_TYPE,
        "iat": issued,
        "exp": issued + TOKEN_TTL_SECONDS,
    }
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})


class PartnerKeys:
    """The public keys of member partners, one cache per JWKS URL (made on first use)."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http
        self._caches: dict[str, JwksCache] = {}

    def cache(self, url: str) -> JwksCache:
        found = self._caches.get(url)
        if found is None:
            found = self._caches[url] = JwksCache(url, self._http)
        return found


def _looks_like_jwt(value: str) -> bool:
    return value.count(".") == 2 and not value.startswith(partners.SECRET_PREFIX)


async def _member(
    session: AsyncSession, token: str, *, own_code: str, keys: PartnerKeys
) -> Partner | None:
    try:
        issuer = unverified_issuer(token)
        partner = await partners.partner_by_code(session, issuer)
        if (
            partner is None
            or partner.auth_kind != PartnerAuth.NETWORK_TOKEN.value
            or not partner.jwks_url
        ):
            return None
        key = await keys.cache(partner.jwks_url).key_for(unverified_header_kid(token))
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=partner.code,
            audience=own_code,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "aud"]},
        )
    except (jwt.PyJWTError, DomainError):
        return None
    if claims.get("typ") != TOKEN_TYPE:
        return None
    return partner


async def authenticate(
    session: AsyncSession,
    *,
    bearer: str | None,
    security_code: str | None,
    own_code: str,
    keys: PartnerKeys,
) -> Partner | None:
    """The active partner the credentials prove, or None."""
    if bearer and _looks_like_jwt(bearer):
        return await _member(session, bearer, own_code=own_code, keys=keys)
    for secret in (bearer, security_code):
        if secret and len(secret) <= 256:
            found = await partners.partner_by_secret(session, secret)
            if found is not None:
                return found
    return None


def is_agency(partner: Partner, agency: tuple[str, str]) -> bool:
    """Whether ``agency`` (type, value) is the partner's own agency id."""
    kind, value = agency
    return kind.strip().lower() == partner.agency_type.lower() and value == partner.agency_value
