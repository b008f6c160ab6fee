"""Access tokens: short-lived ES256 JWTs issued by this node.

Claims: ``iss`` (institution code), ``sub`` (user primary id), ``uid`` (local user id),
``typ`` (``staff``/``patron``/``discovery``), ``sid`` (session id: one per token exchange),
``roles`` for staff (``[{"role", "libs" (null = institution-wide), "cs"}]``),
``iat``/``exp``/``jti``; ``amr`` (how the operator signed in: ``pwd``, ``oidc``, ``apikey``),
``akid`` (the API key's id, when one was exchanged) and ``sep`` (the operator's session
epoch: raising it at the node ends every session). The hub verifies the same tokens against
this node's JWKS.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from typing import Any

import jwt

from network_common.errors import Unauthenticated
from network_common.keys import KeyRing, SigningKey
from network_common.scope import Scope
from network_common.vocabulary import PrincipalKind, StaffRoleType

ALGORITHM = "ES256"
LEEWAY_SECONDS = 5


@dataclass(frozen=True, slots=True)
class RoleGrant:
    role: StaffRoleType
    libraries: frozenset[int] | None  # None: institution-wide
    consortial_services: bool

    def to_claim(self) -> dict[str, Any]:
        libs = None if self.libraries is None else sorted(self.libraries)
        return {"role": self.role.value, "libs": libs, "cs": self.consortial_services}

    @classmethod
    def from_claim(cls, claim: dict[str, Any]) -> RoleGrant:
        libs = claim.get("libs")
        return cls(
            role=StaffRoleType(claim["role"]),
            libraries=None if libs is None else frozenset(int(x) for x in libs),
            consortial_services=bool(claim.get("cs", False)),
        )


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling, as the verified token says."""

    kind: PrincipalKind
    institution: str
    user_id: int | None
    primary_id: str
    session_id: str
    roles: tuple[RoleGrant, ...] = ()
    #: The API key this token was exchanged for (``akid``), if any.
    api_key_id: str | None = None
    #: The operator's session epoch when the token was issued (``sep``).
    session_epoch: int = 0

    def has_any_role(self, allowed: frozenset[StaffRoleType]) -> bool:
        return any(g.role in allowed for g in self.roles)

    def scope(self, allowed: frozenset[StaffRoleType] | None = None) -> Scope:
        """The libraries this operator works for (through ``allowed`` roles, or any role)."""
        grants = [g for g in self.roles if allowed is None or g.role in allowed]
        if any(g.libraries is None for g in grants):
            return Scope(institution=True, session_id=self.session_id)
        libs: frozenset[int] = frozenset().union(*(g.libraries or () for g in grants))
        return Scope(institution=False, libraries=libs, session_id=self.session_id)


def issue(
    key: SigningKey,
    *,
    institution: str,
    kind: PrincipalKind,
    primary_id: str,
    user_id: int | None,
    ttl_seconds: int,
    roles: tuple[RoleGrant, ...] = (),
    extra: dict[str, Any] | None = None,
    now: float | None = None,
) -> tuple[str, int]:
    """Sign a token; returns it and its lifetime in seconds."""
    issued = int(now if now is not None else time.time())
    claims: dict[str, Any] = {
        "iss": institution,
        "sub": primary_id,
        "uid": user_id,
        "typ": kind.value,
        "sid": secrets.token_hex(12),
        "jti": secrets.token_hex(12),
        "iat": issued,
        "exp": issued + ttl_seconds,
    }
    if roles:
        claims["roles"] = [r.to_claim() for r in roles]
    if extra:
        claims.update(extra)
    token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
    return token, ttl_seconds


def decode(token: str, public_key: Any, *, issuer: str | None = None) -> dict[str, Any]:
    """Verify signature, expiry and (optionally) issuer; raise Unauthenticated otherwise."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            public_key,
            algorithms=[ALGORITHM],
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": ["exp", "iat", "iss", "sub"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthenticated("The access token has expired") from exc
    except jwt.PyJWTError as exc:
        raise Unauthenticated("The access token is not valid") from exc
    return claims


def principal_from_claims(claims: dict[str, Any]) -> Principal:
    try:
        return Principal(
            kind=PrincipalKind(claims["typ"]),
            institution=str(claims["iss"]),
            user_id=None if claims.get("uid") is None else int(claims["uid"]),
            primary_id=str(claims["sub"]),
            session_id=str(claims.get("sid", "")),
            roles=tuple(RoleGrant.from_claim(c) for c in claims.get("roles", [])),
            api_key_id=None if claims.get("akid") is None else str(claims["akid"]),
            session_epoch=int(claims.get("sep", 0)),
        )
    except (KeyError, ValueError, TypeError) as exc:
        raise Unauthenticated("The access token is not valid") from exc


def verify_local(token: str, key: SigningKey | KeyRing, institution: str) -> Principal:
    """Verify a token this node issued (with its current key, or one still in its overlap
    window after a rotation)."""
    if isinstance(key, KeyRing):
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError as exc:
            raise Unauthenticated("The access token is not valid") from exc
        public = key.public_key(None if kid is None else str(kid))
        if public is None:
            raise Unauthenticated("The access token is not valid")
    else:
        public = key.private_key.public_key()
    claims = decode(token, public, issuer=institution)
    return principal_from_claims(claims)
